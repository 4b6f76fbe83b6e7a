import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createKeySealing, loadKeyEncryptionKey, parseKeyEncryptionKey } from '../../src/crypto/key-sealing.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIB...\n-----END PRIVATE KEY-----\n';

describe('signing keys sealed at rest', () => {
  it('seals to an opaque value that opens to the same key, differently each time', () => {
    const sealing = createKeySealing(randomBytes(32));
    const a = sealing.seal(PEM);
    const b = sealing.seal(PEM);
    assert.notEqual(a, b);
    assert.ok(!a.includes('PRIVATE KEY'));
    assert.equal(sealing.open(a), PEM);
    assert.equal(sealing.open(b), PEM);
  });

  it('refuses a tampered value and explains a different key encryption key', () => {
    const sealing = createKeySealing(randomBytes(32));
    const sealed = sealing.seal(PEM);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered!').toString('base64url');
    assert.throws(() => sealing.open(parts.join('.')));
    assert.throws(() => createKeySealing(randomBytes(32)).open(sealed), /sealed with another key encryption key/);
  });

  it('reads keys stored in clear by earlier versions', () => {
    assert.equal(createKeySealing(randomBytes(32)).open(PEM), PEM);
  });

  it('takes the key from the setting, else creates an owner-only file in the data dir once', async () => {
    assert.throws(() => parseKeyEncryptionKey('too-short'), /32 random bytes/);
    const configured = randomBytes(32);
    const dir = await mkdtemp(join(tmpdir(), 'keyless-kek-'));
    try {
      assert.deepEqual(await loadKeyEncryptionKey(dir, configured.toString('base64')), configured);
      const created = await loadKeyEncryptionKey(dir, undefined);
      assert.equal((await stat(join(dir, 'signing-keys.kek'))).mode & 0o777, 0o600);
      assert.deepEqual(await loadKeyEncryptionKey(dir, undefined), created);
      assert.equal((await readFile(join(dir, 'signing-keys.kek'), 'utf8')).trim(), created.toString('base64url'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
