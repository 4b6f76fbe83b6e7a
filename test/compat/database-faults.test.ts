/**
 * The database goes away under a running server: PostgreSQL (a cluster of this test's own) is stopped
 * while `keyless serve` and `keyless agent` run and requests are in flight, then started again.
 * During the outage every surface answers 503 with Retry-After and its own error body (never a 500,
 * never a hang, never a crash), readiness says 503, the agent keeps serving the token it holds; once
 * the database is back the same server process recovers without a restart.
 * Also: a read-only SQLite file gives a start-up error that says what is wrong, and a full disk under
 * the SQLite file a 503 that says so, with nothing half-written and recovery once space is freed.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { appendFile, chmod, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, startPostgres, type RunningPostgres } from '../support/postgres.js';
import { armToken, createDataDir, ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { startAgentProcess, type RunningAgent } from './agent-process.js';

const MANAGEMENT = 'https://management.azure.com/';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  ms: number;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, headers: res.headers, text: await res.text(), ms: Date.now() - started };
}

describe('PostgreSQL stopped and started under a running server', () => {
  let cluster: RunningPostgres;
  let server: RunningKeyless;
  let agent: RunningAgent | undefined;
  let token: string;
  let base: string;
  let sub: string;

  before(async () => {
    cluster = await startPostgres();
    const db = await createTestDatabase(cluster.url);
    server = await startKeyless({ via: 'node', databaseUrl: db.url });
    const b = server.bootstrap;
    base = b.armEndpoint;
    sub = b.subscriptionId;
    token = await armToken(b);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    assert.equal(
      (
        await call(`${base}/subscriptions/${sub}/resourcegroups/faults?api-version=2021-04-01`, {
          method: 'PUT',
          headers: auth,
          body: '{"location":"westus2"}',
        })
      ).status,
      201,
    );
    const vm = await call(`${base}/subscriptions/${sub}/resourcegroups/faults/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-07-01`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ location: 'westus2', identity: { type: 'SystemAssigned' }, properties: { hardwareProfile: { vmSize: 'Standard_B1s' } } }),
    });
    assert.ok(vm.status === 200 || vm.status === 201, vm.text);
    agent = await startAgentProcess([
      '--data-dir',
      server.dataDir,
      '--resource',
      `/subscriptions/${sub}/resourceGroups/faults/providers/Microsoft.Compute/virtualMachines/vm1`,
      '--port',
      '0',
    ]);
  });
  after(async () => {
    await agent?.stop();
    await server?.dispose();
    await cluster?.stop();
  });

  const imds = () =>
    call(`${agent!.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(MANAGEMENT)}`, {
      headers: { Metadata: 'true' },
    });
  const tokenRequest = () =>
    call(`${server.bootstrap.authorityHost}/${server.bootstrap.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: server.bootstrap.clientId,
        client_secret: server.bootstrap.clientSecret,
        scope: `${MANAGEMENT}.default`,
      }),
    });
  const armGet = () => call(`${base}/subscriptions/${sub}/resourcegroups/faults?api-version=2021-04-01`, { headers: { authorization: `Bearer ${token}` } });
  const armPut = (name: string) =>
    call(`${base}/subscriptions/${sub}/resourcegroups/${name}?api-version=2021-04-01`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"location":"westus2"}',
    });
  const ready = () => call(`${base}/keyless/health/ready`);

  it("answers 503 with Retry-After and each surface's body during the outage, and recovers without a restart", async () => {
    assert.equal((await ready()).status, 200);
    const cached = await imds();
    assert.equal(cached.status, 200, cached.text);
    const cachedToken = (JSON.parse(cached.text) as { access_token: string }).access_token;

    // Writes in flight while the database goes away: each gets an answer, none a 500.
    const storm = (async () => {
      const answers: Answer[] = [];
      for (let i = 0; i < 40; i++)
        answers.push(await armPut(`storm-${i}`).catch((e: Error) => ({ status: -1, headers: new Headers(), text: e.message, ms: 0 })));
      return answers;
    })();
    await new Promise((r) => setTimeout(r, 150));
    await cluster.halt();
    const inFlight = await storm;
    for (const a of inFlight) {
      assert.ok(a.status === 201 || a.status === 503, `in-flight write answered ${a.status}: ${a.text.slice(0, 200)}`);
    }
    // The directory read cache keeps answers for up to a second: wait it out.
    await new Promise((r) => setTimeout(r, 1500));

    const arm = await armGet();
    assert.equal(arm.status, 503, arm.text);
    assert.ok(Number(arm.headers.get('retry-after')) > 0, 'Retry-After');
    const armBody = JSON.parse(arm.text) as { error: { code: string; message: string } };
    assert.equal(armBody.error.code, 'ServiceUnavailable');
    assert.match(armBody.error.message, /database is unavailable/);
    assert.ok(arm.ms < 10_000, `answered in ${arm.ms} ms`);
    assert.equal((await armPut('during-outage')).status, 503);

    const oauth = await tokenRequest();
    assert.equal(oauth.status, 503, oauth.text);
    assert.ok(Number(oauth.headers.get('retry-after')) > 0);
    const oauthBody = JSON.parse(oauth.text) as { error: string; error_description: string; error_codes: number[] };
    assert.equal(oauthBody.error, 'temporarily_unavailable');
    assert.match(oauthBody.error_description, /^AADSTS\d+: /);

    const notReady = await ready();
    assert.equal(notReady.status, 503);
    assert.equal((JSON.parse(notReady.text) as { status: string }).status, 'unavailable');

    // The agent still serves the token it holds.
    const fromCache = await imds();
    assert.equal(fromCache.status, 200, fromCache.text);
    assert.equal((JSON.parse(fromCache.text) as { access_token: string }).access_token, cachedToken);

    assert.equal(server.child.exitCode, null, `the server is still running:\n${server.output()}`);

    await cluster.restart();
    const deadline = Date.now() + 30_000;
    while ((await ready()).status !== 200) {
      assert.ok(Date.now() < deadline, 'ready again within 30 s of the database coming back');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await armGet()).status, 200);
    assert.equal((await armPut('after-outage')).status, 201);
    assert.equal((await tokenRequest()).status, 200);
    assert.equal(server.child.exitCode, null);
    assert.doesNotMatch(server.output(), /Connection terminated unexpectedly|Unhandled|uncaught/i);
  });
});

describe('a read-only SQLite file', () => {
  it('is refused with a message that says the file is read-only (at start-up or on the first write)', async () => {
    // Root ignores file modes: the server runs as `nobody`, owning its data dir but not the database file.
    const dataDir = await createDataDir();
    await startKeyless({ via: 'node', dataDir }).then((s) => s.stop());
    const run = promisify(execFile);
    await run('chown', ['-R', 'nobody', dataDir]);
    await chmod(dataDir, 0o755);
    const dbFile = join(dataDir, 'keyless.db');
    await run('chown', ['root', dbFile]);
    await chmod(dbFile, 0o644);
    const child = spawn('runuser', ['-u', 'nobody', '--', process.execPath, join(ROOT, 'bin/keyless.js'), 'serve', '--data-dir', dataDir, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const outcome = await Promise.race([
        exited.then((code) => ({ exited: code })),
        waitFor(() => /export AZURE_CLIENT_SECRET|AZURE_AUTHORITY_HOST/.test(out), 30_000).then(() => ({ started: true })),
      ]);
      if ('exited' in outcome) {
        assert.notEqual(outcome.exited, 0);
        assert.match(out, /cannot open the SQLite store at .*keyless\.db: the SQLite database file is read-only/, out);
      } else {
        // It could start (nothing to write yet): the first write says what is wrong, with a 503.
        const b = JSON.parse(await readFile(join(dataDir, 'bootstrap.json'), 'utf8')) as Parameters<typeof armToken>[0] & {
          armEndpoint: string;
          subscriptionId: string;
        };
        const res = await call(`${b.armEndpoint}/subscriptions/${b.subscriptionId}/resourcegroups/ro?api-version=2021-04-01`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${await armToken(b)}`, 'content-type': 'application/json' },
          body: '{"location":"westus2"}',
        });
        assert.equal(res.status, 503, res.text);
        assert.match((JSON.parse(res.text) as { error: { message: string } }).error.message, /SQLite database file is read-only/);
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('a full disk under the SQLite file', () => {
  // A small tmpfs is a real full disk; mounting one needs root (CI and this machine run as root).
  let mountPoint = '';
  let mountError = '';
  before(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'keyless-full-'));
    await promisify(execFile)('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mountPoint]).catch((e: Error) => {
      mountError = e.message;
    });
  });
  after(async () => {
    if (!mountError) await promisify(execFile)('umount', [mountPoint]).catch(() => undefined);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('answers writes with a 503 that says the disk is full, writes nothing, keeps serving reads, and recovers when space is freed', async (t) => {
    if (mountError) return t.skip(`cannot mount a tmpfs here: ${mountError}`);
    const caDir = process.env.KEYLESS_TEST_CA_DIR!;
    for (const f of ['ca.pem', 'ca-key.pem']) await copyFile(join(caDir, f), join(mountPoint, f));
    const server = await startKeyless({ via: 'node', dataDir: mountPoint });
    try {
      const b = server.bootstrap;
      const auth = { authorization: `Bearer ${await armToken(b)}`, 'content-type': 'application/json' };
      const group = `${b.armEndpoint}/subscriptions/${b.subscriptionId}/resourcegroups/full`;
      assert.equal((await call(`${group}?api-version=2021-04-01`, { method: 'PUT', headers: auth, body: '{"location":"westus2"}' })).status, 201);
      // Fill the disk to the last byte.
      const filler = join(mountPoint, 'filler');
      const chunk = Buffer.alloc(16 * 1024);
      for (;;) {
        try {
          await appendFile(filler, chunk);
        } catch {
          break;
        }
      }
      for (let size = 4096; size >= 1; size = Math.floor(size / 2)) {
        await appendFile(filler, Buffer.alloc(size)).catch(() => undefined);
      }
      const identity = (i: number) => `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/full-${i}?api-version=2023-01-31`;
      const refused: number[] = [];
      let answer: Answer | undefined;
      for (let i = 0; i < 40 && refused.length === 0; i++) {
        answer = await call(identity(i), {
          method: 'PUT',
          headers: auth,
          body: JSON.stringify({ location: 'westus2', tags: Object.fromEntries(Array.from({ length: 15 }, (_, k) => [`pad${k}`, 'x'.repeat(250)])) }),
        });
        assert.ok(answer.status === 201 || answer.status === 503, `write ${i}: ${answer.status} ${answer.text}\n${server.output().slice(-3000)}`);
        if (answer.status === 503) refused.push(i);
      }
      assert.equal(refused.length, 1, 'the disk filled up and a write was refused');
      assert.ok(answer!.headers.get('retry-after'), 'Retry-After is sent');
      assert.match((JSON.parse(answer!.text) as { error: { message: string } }).error.message, /disk .*is full/);
      // Nothing of the refused write was kept, and reads go on.
      assert.equal((await call(identity(refused[0]!), { headers: auth })).status, 404);
      assert.equal((await call(`${group}?api-version=2021-04-01`, { headers: auth })).status, 200);
      // Space freed: the same server takes writes again, no restart.
      await rm(filler);
      const again = await call(identity(refused[0]!), { method: 'PUT', headers: auth, body: '{"location":"westus2"}' });
      assert.equal(again.status, 201, again.text);
    } finally {
      await server.stop();
    }
  });
});

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
