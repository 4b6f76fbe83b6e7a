/**
 * The server as an operator runs it: restart on the same data dir keeps tenant, subscription,
 * resources and signing keys (a token from before the restart still works); SIGTERM exits 0.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { createDataDir, armToken as token, startKeyless } from '../support/keyless.js';

describe('server lifecycle on one data dir', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps everything across a restart and stops cleanly on SIGTERM', async () => {
    const dataDir = await createDataDir();
    dirs.push(dataDir);
    const first = await startKeyless({ dataDir, via: 'node' });
    const b1 = first.bootstrap;
    const t1 = await token(b1);
    const put = await fetch(`${b1.armEndpoint}/subscriptions/${b1.subscriptionId}/resourcegroups/kept-rg?api-version=2021-04-01`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${t1}`, 'content-type': 'application/json' },
      body: JSON.stringify({ location: 'westeurope' }),
    });
    assert.equal(put.status, 201, await put.clone().text());
    assert.equal(await first.stop(), 0, `clean exit on SIGTERM:\n${first.output()}`);
    // A copy of the database does not hold a signing key in clear (ADR 0002/0003: sealed at rest).
    const { existsSync, readFileSync } = await import('node:fs');
    for (const f of ['keyless.db', 'keyless.db-wal']) {
      const path = `${dataDir}/${f}`;
      if (existsSync(path)) assert.ok(!readFileSync(path).includes('PRIVATE KEY'), `${f} holds a private key in clear`);
    }

    // Same address: the issuer is the authority URL, so clients keep their endpoints and tokens.
    const second = await startKeyless({ dataDir, via: 'node', port: Number(new URL(b1.armEndpoint).port) });
    try {
      const b2 = second.bootstrap;
      assert.equal(b2.tenantId, b1.tenantId);
      assert.equal(b2.subscriptionId, b1.subscriptionId);
      assert.equal(b2.clientId, b1.clientId);
      assert.equal(b2.clientSecret, b1.clientSecret);
      // The token issued before the restart is still accepted (same signing keys).
      const got = await fetch(`${b2.armEndpoint}/subscriptions/${b2.subscriptionId}/resourcegroups/kept-rg?api-version=2021-04-01`, {
        headers: { authorization: `Bearer ${t1}` },
      });
      assert.equal(got.status, 200, await got.clone().text());
      assert.equal(((await got.json()) as { location: string }).location, 'westeurope');
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });

  it('refuses to start on a port in use with a one-line reason and exit code 1', async () => {
    const { createServer } = await import('node:net');
    const { execFile } = await import('node:child_process');
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = await createDataDir();
    dirs.push(dataDir);
    try {
      const result = await new Promise<{ code: number | null; stderr: string }>((done) => {
        execFile(process.execPath, ['bin/keyless.js', 'serve', '--data-dir', dataDir, '--port', String(port)], (error, _stdout, stderr) => {
          done({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr });
        });
      });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`keyless serve: could not start: 127\\.0\\.0\\.1:${port} is already in use`));
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      blocker.close();
    }
  });
});
