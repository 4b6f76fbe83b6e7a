import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import type { SigningKeyRecord } from '../../src/core/model.js';
import { createSignerPool, type SignerPool } from '../../src/crypto/signer-pool.js';
import { certificateThumbprint, generateSigningKey } from '../../src/crypto/signing-keys.js';

const publicKeyOf = (k: SigningKeyRecord) => new X509Certificate(Buffer.from(k.certificateDer, 'base64')).publicKey;

describe('signing keys', () => {
  it('kid is the base64url SHA-1 thumbprint of the certificate, as Entra does', async () => {
    const now = Date.now();
    const key = await generateSigningKey({ activatesAt: now, expiresAt: now + 86400_000, now });
    const der = Buffer.from(key.certificateDer, 'base64');
    assert.equal(key.kid, certificateThumbprint(der));
    assert.match(key.kid, /^[A-Za-z0-9_-]{27}$/);
    const cert = new X509Certificate(der);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.ok(Date.parse(cert.validTo) >= now + 86400_000, 'the certificate covers the whole publication window');
    assert.match(key.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  });
});

describe('signer pool', () => {
  let first: SigningKeyRecord;
  let second: SigningKeyRecord;
  const pools: SignerPool[] = [];
  before(async () => {
    const now = Date.now();
    const window = { activatesAt: now, expiresAt: now + 86400_000, now };
    [first, second] = await Promise.all([generateSigningKey(window), generateSigningKey(window)]);
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });
  const pool = (threads: number) => {
    const p = createSignerPool({ threads, key: first });
    pools.push(p);
    return p;
  };

  it('signs RS256 JWTs with Entra’s header that verify against the key’s certificate', async () => {
    const signer = pool(1);
    const claims = { aud: 'https://management.azure.com/', tid: 't', oid: 'o', exp: Math.floor(Date.now() / 1000) + 60, note: 'ünïcødé' };
    const token = await signer.sign(claims);
    assert.deepEqual(decodeProtectedHeader(token), { typ: 'JWT', alg: 'RS256', x5t: first.kid, kid: first.kid });
    const { payload } = await jwtVerify(token, publicKeyOf(first), { algorithms: ['RS256'] });
    assert.deepEqual(payload, claims);
    await assert.rejects(compactVerify(token, publicKeyOf(second)), /signature verification failed/);
  });

  it('spreads concurrent requests over its threads and every token is valid and fresh', async () => {
    const signer = pool(2);
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => signer.sign({ i })));
    assert.equal(new Set(tokens).size, 40);
    for (const [i, token] of tokens.entries()) {
      const { payload } = await compactVerify(token, publicKeyOf(first));
      assert.deepEqual(JSON.parse(Buffer.from(payload).toString()), { i });
    }
  });

  it('switches every thread to a new key for the requests that follow', async () => {
    const signer = pool(2);
    await signer.sign({ warm: true });
    signer.setKey(second);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => signer.sign({ after: true })));
    for (const token of tokens) {
      assert.equal(decodeProtectedHeader(token).kid, second.kid);
      await compactVerify(token, publicKeyOf(second));
    }
  });

  it('refuses to sign once closed', async () => {
    const signer = pool(1);
    await signer.close();
    await assert.rejects(signer.sign({}), /closed/);
    assert.throws(() => createSignerPool({ threads: 0, key: first }), RangeError);
  });
});
