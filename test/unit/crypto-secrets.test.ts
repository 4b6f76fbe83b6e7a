import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientSecretHasher, generateClientSecret, hashClientSecret, verifyClientSecret } from '../../src/crypto/secrets.js';

describe('client secrets', () => {
  it('look like Entra secrets and carry 256 random bits', () => {
    const secret = generateClientSecret();
    assert.match(secret, /^[A-Za-z0-9_-]{3}8Q~[A-Za-z0-9_-]{40}$/);
    const random = Buffer.from(secret.slice(0, 3) + secret.slice(6), 'base64url');
    assert.equal(random.length, 32);
    const many = new Set(Array.from({ length: 200 }, generateClientSecret));
    assert.equal(many.size, 200);
  });

  it('never begin with "-", which command lines such as `az login -p <secret>` would read as an option', () => {
    // About one base64url draw in 64 starts with '-': 5000 secrets would hold ~78 of them unchecked.
    const starts = Array.from({ length: 5000 }, () => generateClientSecret()[0]);
    assert.equal(starts.filter((c) => c === '-').length, 0);
    assert.ok(new Set(starts).size > 50, 'the first character stays spread over the alphabet');
  });

  it('are stored salted: the hash reveals nothing and differs for the same secret', () => {
    const secret = generateClientSecret();
    const a = hashClientSecret(secret);
    const b = hashClientSecret(secret);
    assert.notEqual(a, b);
    assert.ok(!a.includes(secret) && !a.includes(secret.slice(6)));
    assert.match(a, /^hs256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  });

  it('verify the right secret only', () => {
    const secret = generateClientSecret();
    const hash = hashClientSecret(secret);
    assert.ok(verifyClientSecret(secret, hash));
    assert.ok(!verifyClientSecret(secret.slice(0, -1), hash));
    assert.ok(!verifyClientSecret(secret + 'x', hash));
    assert.ok(!verifyClientSecret(generateClientSecret(), hash));
    assert.ok(!verifyClientSecret('', hash));
  });

  it('never verify against a malformed or unknown-scheme hash', () => {
    const secret = generateClientSecret();
    const [, salt, digest] = hashClientSecret(secret).split('$');
    for (const bad of ['', 'plain', secret, `sha1$${salt}$${digest}`, `hs256$${salt}`, `hs256$$${digest}`, `hs256$${salt}$`, `hs256$${salt}$${digest}$x`]) {
      assert.equal(verifyClientSecret(secret, bad), false, bad);
    }
  });

  it('implement the directory’s hasher port', () => {
    const secret = clientSecretHasher.generate();
    assert.ok(clientSecretHasher.verify(secret, clientSecretHasher.hash(secret)));
  });
});
