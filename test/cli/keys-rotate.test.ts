/**
 * `keyless keys rotate` as an operator runs it, on the SQLite file of a running server: the published
 * next key signs at once, tokens issued before keep verifying, and refusals (no data dir, a wrong key
 * encryption key) exit 3 with a reason and write nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { armToken, ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { spawnCollect } from './helpers.js';

const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

describe('keyless keys rotate', () => {
  let server: RunningKeyless;
  const rotate = (args: string[], env: Record<string, string> = {}) =>
    spawnCollect(process.execPath, [join(ROOT, 'bin/keyless.js'), 'keys', 'rotate', ...args], { ...process.env, KEYLESS_KEY_ENCRYPTION_KEY: '', ...env });
  const jwksKids = async () => {
    const b = server.bootstrap;
    const jwks = (await (await fetch(`${b.authorityHost}/${b.tenantId}/discovery/v2.0/keys`)).json()) as { keys: { kid: string }[] };
    return jwks.keys.map((k) => k.kid).sort();
  };

  before(async () => {
    server = await startKeyless({ via: 'node', env: { KEYLESS_KEY_REFRESH: '1' } });
  });
  after(async () => {
    await server?.dispose();
  });

  it('promotes the published next key; the server signs with it within its refresh, and older tokens still verify', async () => {
    const b = server.bootstrap;
    const old = await armToken(b);
    const publishedBefore = await jwksKids();
    const res = await rotate(['--data-dir', server.dataDir, '--output', 'json']);
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout) as { current: string; retired: string; next: string };
    assert.equal(report.retired, kidOf(old), 'the key that signed until now is the one retired');
    assert.ok(publishedBefore.includes(report.current), 'the promoted key was already published');
    assert.ok(!publishedBefore.includes(report.next), 'a new next key was made');
    let fresh = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      fresh = await armToken(b);
      if (kidOf(fresh) === report.current) break;
    }
    assert.equal(kidOf(fresh), report.current, 'the server signs with the promoted key after its refresh');
    const sub = `${b.armEndpoint}/subscriptions/${b.subscriptionId}?api-version=2022-12-01`;
    for (const token of [old, fresh]) assert.equal((await fetch(sub, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.ok((await jwksKids()).includes(report.next), 'the new next key is published');
  });

  it('refuses a data dir with no server in it, and creates nothing there', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'keyless-rotate-'));
    try {
      const res = await rotate(['--data-dir', empty]);
      assert.equal(res.code, 3);
      assert.match(res.stderr, /no key encryption key/);
      assert.deepEqual(await readdir(empty), [], 'no key file and no database were created');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('refuses a key encryption key that does not open the stored keys, and changes no key', async () => {
    const publishedBefore = await jwksKids();
    const res = await rotate(['--data-dir', server.dataDir], { KEYLESS_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    assert.equal(res.code, 3);
    assert.match(res.stderr, /does not open signing key/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await jwksKids(), publishedBefore, 'the published keys are as they were');
  });
});
