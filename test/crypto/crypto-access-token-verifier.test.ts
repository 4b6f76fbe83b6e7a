import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createManualClock } from '../../src/core/clock.js';
import { DomainError } from '../../src/core/errors.js';
import type { Store } from '../../src/core/ports.js';
import { createIssuerPolicy } from '../../src/core/tokens/issuer.js';
import { createAccessTokenVerifier } from '../../src/crypto/access-token-verifier.js';
import { createKeyRing, type KeyRing } from '../../src/crypto/key-ring.js';
import { createSqliteStore } from '../../src/storage/sqlite.js';

const TID = '3a1f0e6c-5b2d-4c8e-9f7a-1b2c3d4e5f60';
const ARM = ['https://management.azure.com/', 'https://management.core.windows.net/'];
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('access-token verifier', () => {
  const clock = createManualClock(Date.now());
  const issuers = createIssuerPolicy('keyless', () => 'https://127.0.0.1:8443');
  let dir: string;
  let store: Store;
  let ring: KeyRing;
  let refreshes = 0;
  let verifier: ReturnType<typeof createAccessTokenVerifier>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyless-verifier-'));
    store = await createSqliteStore({ file: join(dir, 'keyless.db') });
    ring = createKeyRing({ store, clock, policy: { periodSeconds: 86400, maxTokenLifetimeSeconds: 3600 } });
    await ring.start();
    const counted = {
      publicKey: (kid: string) => ring.publicKey(kid),
      refresh: async () => {
        refreshes++;
        await ring.refresh();
      },
    };
    verifier = createAccessTokenVerifier({ keys: counted, issuers, clock, clockSkewSeconds: 300 });
  });
  after(async () => {
    ring.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const now = () => Math.floor(clock.now() / 1000);
  const claims = (over: Record<string, unknown> = {}) => ({
    aud: 'https://management.azure.com/',
    iss: issuers.issuer('1.0', TID),
    tid: TID,
    oid: 'oid-1',
    appid: 'app-1',
    iat: now() - 300,
    nbf: now() - 300,
    exp: now() + 3600,
    ver: '1.0',
    ...over,
  });
  const sign = (payload: Record<string, unknown>, header: Record<string, unknown> = {}, key = createPrivateKey(ring.current().privateKeyPem)) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: ring.current().kid, ...header }).sign(key);

  async function refused(token: string, code: DomainError['code'], message: RegExp, audiences = ARM) {
    await assert.rejects(verifier.verify(token, audiences), (e: unknown) => {
      assert.ok(e instanceof DomainError, String(e));
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    });
  }

  it('accepts a token of this server and says who called', async () => {
    const caller = await verifier.verify(await sign(claims()), ARM);
    assert.deepEqual([caller.objectId, caller.tenantId, caller.appId], ['oid-1', TID, 'app-1']);
    const v2 = await verifier.verify(await sign(claims({ iss: issuers.issuer('2.0', TID), appid: undefined, azp: 'app-2' })), ARM);
    assert.equal(v2.appId, 'app-2');
  });

  it('compares audiences as ARM does: trailing slash optional, host case-insensitive', async () => {
    for (const aud of ['https://management.azure.com', 'https://MANAGEMENT.azure.com/', 'https://management.core.windows.net']) {
      await verifier.verify(await sign(claims({ aud })), ARM);
    }
  });

  it('refuses a forged signature (another key claiming our kid)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await refused(await sign(claims(), {}, privateKey), 'InvalidAuthenticationToken', /signature is invalid/);
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [h, , s] = (await sign(claims())).split('.');
    await refused(`${h}.${b64(claims({ oid: 'someone-else' }))}.${s}`, 'InvalidAuthenticationToken', /signature is invalid/);
  });

  it('refuses alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT', kid: ring.current().kid })}.${b64(claims())}.`;
    await refused(token, 'InvalidAuthenticationToken', /algorithm 'none' is not allowed/);
  });

  it('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const publicPem = new X509Certificate(Buffer.from(ring.current().certificateDer, 'base64')).publicKey.export({ type: 'spki', format: 'pem' });
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: ring.current().kid }).sign(Buffer.from(publicPem));
    await refused(token, 'InvalidAuthenticationToken', /algorithm 'HS256' is not allowed/);
  });

  it('refuses an expired token with ExpiredAuthenticationToken', async () => {
    await refused(await sign(claims({ exp: now() - 301 })), 'ExpiredAuthenticationToken', /expiry UTC time .* is earlier than current UTC time/);
  });

  it('tolerates small clock skew but not a token from the future', async () => {
    await verifier.verify(await sign(claims({ exp: now() - 200 })), ARM);
    await verifier.verify(await sign(claims({ nbf: now() + 200 })), ARM);
    await refused(await sign(claims({ nbf: now() + 3000 })), 'InvalidAuthenticationToken', /not valid yet/);
  });

  it('refuses a wrong audience with InvalidAuthenticationTokenAudience', async () => {
    await refused(
      await sign(claims({ aud: 'https://storage.azure.com/' })),
      'InvalidAuthenticationTokenAudience',
      /wrong audience or resource 'https:\/\/storage.azure.com\/'/,
    );
    await refused(await sign(claims({ aud: 'https://management.azure.com.evil.example/' })), 'InvalidAuthenticationTokenAudience', /wrong audience/);
  });

  it('refuses a wrong issuer, including another tenant’s issuer', async () => {
    await refused(await sign(claims({ iss: 'https://sts.windows.net/' + TID + '/' })), 'InvalidAuthenticationToken', /wrong issuer/);
    await refused(await sign(claims({ iss: issuers.issuer('1.0', 'other-tenant') })), 'InvalidAuthenticationToken', /wrong issuer/);
  });

  it('refuses an unknown kid, reloading the keys at most once per interval', async () => {
    const before = refreshes;
    await refused(await sign(claims(), { kid: 'unknown-kid' }), 'InvalidAuthenticationToken', /'unknown-kid', which is not one of the signing keys/);
    await refused(await sign(claims(), { kid: 'another-unknown' }), 'InvalidAuthenticationToken', /not one of the signing keys/);
    assert.equal(refreshes - before, 1);
  });

  it('refuses tokens that are not JWTs or lack the caller claims', async () => {
    await refused('not-a-token', 'InvalidAuthenticationToken', /not a well-formed JWT/);
    await refused(await sign(claims({ oid: undefined })), 'InvalidAuthenticationToken', /'oid' claim/);
  });
});
