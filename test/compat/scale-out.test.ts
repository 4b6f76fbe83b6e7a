/**
 * Scale-out as deployed: three `keyless serve` processes on one PostgreSQL database behind Debian's
 * HAProxy, started with the configuration the repository ships (deploy/haproxy.cfg), health-checked
 * on /keyless/health/ready. Measured: role-assignment propagation across servers (p99 over 100
 * changes, must be under 1 s), signing-key rotation (`keyless keys rotate`, twice) while every server
 * issues tokens: every token verifies on every server before, during and after; and what a kill -9 of
 * one server under mixed load costs (only the requests in flight on it may fail).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { armToken, freePort, ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';

const HAPROXY = '/usr/sbin/haproxy';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const MANAGEMENT = 'https://management.azure.com/';
const skip = existsSync(HAPROXY) ? false : `HAProxy is not installed (${HAPROXY}); .ci/run installs Debian's haproxy package`;

interface Outcome {
  kind: string;
  start: number;
  end: number;
  ok: boolean;
  detail: string;
}

describe('three servers behind HAProxy on one PostgreSQL database', { skip }, () => {
  const servers: RunningKeyless[] = [];
  let db: TestDatabase;
  let haproxy: ChildProcess | undefined;
  let haproxyLog = '';
  let downAt: number | undefined;
  let lb = '';
  let direct: string[] = [];
  let admin = '';
  let group = '';
  let vmPrincipal = '';
  let hostKey = '';
  let kek = '';

  before(async () => {
    db = await createTestDatabase();
    kek = randomBytes(32).toString('base64');
    const lbPort = await freePort();
    lb = `https://127.0.0.1:${lbPort}`;
    const ports = [await freePort(), await freePort(), await freePort()];
    direct = ports.map((p) => `https://127.0.0.1:${p}`);
    servers.push(
      ...(await Promise.all(
        ports.map((port) =>
          startKeyless({
            via: 'node',
            databaseUrl: db.url,
            port,
            extraArgs: ['--public-url', lb],
            env: { KEYLESS_KEY_ENCRYPTION_KEY: kek, KEYLESS_KEY_REFRESH: '1' },
          }),
        ),
      )),
    );
    const first = servers[0]!.dataDir;
    const pem = join(first, 'lb.pem');
    // HAProxy reads OpenSSL's PEM layout: the certificate and key are written out again by node:crypto.
    const cert = new X509Certificate(await readFile(join(first, 'server.pem'))).toString();
    const key = createPrivateKey(await readFile(join(first, 'server-key.pem')))
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    await writeFile(pem, `${cert}${key}`, { mode: 0o600 });
    haproxy = spawn(HAPROXY, ['-db', '-f', join(ROOT, 'deploy/haproxy.cfg')], {
      env: {
        ...process.env,
        KEYLESS_LB_BIND: `127.0.0.1:${lbPort}`,
        KEYLESS_LB_CERT: pem,
        KEYLESS_CA_FILE: join(first, 'ca.pem'),
        KEYLESS_SERVER1: `127.0.0.1:${ports[0]}`,
        KEYLESS_SERVER2: `127.0.0.1:${ports[1]}`,
        KEYLESS_SERVER3: `127.0.0.1:${ports[2]}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    haproxy.stdout!.on('data', (d: Buffer) => {
      haproxyLog += d.toString();
    });
    haproxy.stderr!.on('data', (d: Buffer) => {
      haproxyLog += d.toString();
      // When HAProxy takes the killed server out: requests it routed there until then are the ones in flight on it.
      if (downAt === undefined && /keyless2 is DOWN/.test(haproxyLog)) downAt = Date.now();
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const probe = await fetch(`${lb}/keyless/health/ready`).then(
        (r) => String(r.status),
        (e: Error) => String(e.cause ?? e),
      );
      if (probe === '200') break;
      assert.ok(Date.now() < deadline && haproxy.exitCode === null, `HAProxy did not come up (${probe}, exit ${haproxy.exitCode}):\n${haproxyLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const b = servers[0]!.bootstrap;
    assert.equal(b.armEndpoint, lb);
    admin = await armToken(b);
    group = `/subscriptions/${b.subscriptionId}/resourceGroups/scale`;
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${lb}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    assert.equal((await send('PUT', `${group}?api-version=2021-04-01`, { location: 'westus2' })).status, 201);
    const vm = (await (
      await send('PUT', `${group}/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-07-01`, {
        location: 'westus2',
        identity: { type: 'SystemAssigned' },
        properties: { hardwareProfile: { vmSize: 'Standard_B1s' } },
      })
    ).json()) as { id: string; identity: { principalId: string } };
    vmPrincipal = vm.identity.principalId;
    const joined = (await (await send('POST', `${vm.id}/keylessAgentJoin?api-version=2024-07-01`)).json()) as { joinToken: string };
    hostKey = (
      (await (
        await fetch(`${lb}/keyless/agent/v1/join`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ joinToken: joined.joinToken }),
        })
      ).json()) as { hostKey: string }
    ).hostKey;
  });
  after(async () => {
    haproxy?.kill('SIGTERM');
    for (const s of servers) await s.dispose();
    await db?.drop();
  });

  const miToken = async (base: string) => {
    const res = await fetch(`${base}/keyless/agent/v1/token`, {
      method: 'POST',
      headers: { authorization: `KeylessHost ${hostKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ identity: { kind: 'system' }, resource: MANAGEMENT }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { accessToken: string }).accessToken;
  };

  it('a role assignment made on one server takes effect on another within 1 s (p99 over 100 changes)', async (t) => {
    const mi = await miToken(direct[2]!);
    const [a, c] = [direct[0]!, direct[2]!];
    const sub = servers[0]!.bootstrap.subscriptionId;
    const latencies: number[] = [];
    let assignment = '';
    for (let i = 0; i < 100; i++) {
      const granting = i % 2 === 0;
      if (granting) assignment = `${group}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`;
      const res = await fetch(`${a}${assignment}?api-version=2022-04-01`, {
        method: granting ? 'PUT' : 'DELETE',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        ...(granting
          ? {
              body: JSON.stringify({
                properties: {
                  roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
                  principalId: vmPrincipal,
                  principalType: 'ServicePrincipal',
                },
              }),
            }
          : {}),
      });
      assert.ok(res.status === 200 || res.status === 201, `change ${i}: ${res.status}`);
      const acknowledged = Date.now();
      const want = granting ? 200 : 403;
      for (;;) {
        const seen = (await fetch(`${c}${group}?api-version=2021-04-01`, { headers: { authorization: `Bearer ${mi}` } })).status;
        if (seen === want) break;
        assert.ok(Date.now() - acknowledged < 10_000, `change ${i} not visible on another server within 10 s (still ${seen})`);
        await new Promise((r) => setTimeout(r, 10));
      }
      latencies.push(Date.now() - acknowledged);
    }
    latencies.sort((x, y) => x - y);
    const p50 = latencies[49]!;
    const p99 = latencies[98]!;
    t.diagnostic(`propagation across servers over 100 changes: p50 ${p50} ms, p99 ${p99} ms, max ${latencies[99]} ms`);
    assert.ok(p99 < 1000, `p99 ${p99} ms`);
  });

  it('signing keys rotated twice while all three servers issue tokens: every token verifies on every server', async (t) => {
    const b = servers[0]!.bootstrap;
    const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const clientToken = (base: string) => armToken({ ...b, authorityHost: base });
    const rotate = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [join(ROOT, 'bin/keyless.js'), 'keys', 'rotate', '--database-url', db.url, '--output', 'json'], {
          env: { ...process.env, KEYLESS_KEY_ENCRYPTION_KEY: kek },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`keyless keys rotate exited ${code}: ${out}`))));
      });
    /** Every server checks the token: 401 would mean it does not know the key (403 is RBAC, after verification). */
    const verifyEverywhere = async (token: string, path: string) =>
      Promise.all(direct.map(async (base) => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })).status));
    const subPath = `/subscriptions/${b.subscriptionId}?api-version=2022-12-01`;
    const before = await clientToken(lb);
    const beforeMi = await miToken(lb);
    const issued: { token: string; kid: string; from: string }[] = [];
    const failures: string[] = [];
    let stop = false;
    const load = async (w: number) => {
      for (let i = 0; !stop; i++) {
        // Tokens from each server directly and through the load balancer; client credentials and managed identity.
        const from = i % 4 === 3 ? lb : direct[(w + i) % 3]!;
        const token = i % 2 === 0 ? await clientToken(from) : await miToken(from);
        issued.push({ token, kid: kidOf(token), from });
        const statuses = await verifyEverywhere(token, subPath);
        if (statuses.some((s) => s === 401)) failures.push(`token of key ${kidOf(token)} from ${from}: ${statuses.join(', ')}`);
      }
    };
    const running = Promise.all([load(0), load(1), load(2)]);
    await new Promise((r) => setTimeout(r, 1500));
    const first = JSON.parse(await rotate()) as { current: string; retired?: string; next: string };
    await new Promise((r) => setTimeout(r, 3000));
    const second = JSON.parse(await rotate()) as { current: string; retired?: string; next: string };
    assert.equal(second.current, first.next, 'the second rotation promotes the key the first one published');
    await new Promise((r) => setTimeout(r, 3000));
    stop = true;
    await running;
    const kids = [...new Set(issued.map((i) => i.kid))];
    t.diagnostic(`${issued.length} tokens issued across the rotations, signed by ${kids.length} keys; ${failures.length} failed to verify somewhere`);
    assert.deepEqual(failures, []);
    assert.ok(issued.length > 30, 'tokens were issued throughout');
    assert.ok(kids.includes(first.current) && kids.includes(second.current), `tokens were signed by both promoted keys (${kids.join(', ')})`);
    // After the servers' refresh (1 s here), all of them sign with the newest key.
    for (const base of direct) assert.equal(kidOf(await clientToken(base)), second.current, `${base} signs with the promoted key`);
    // Tokens from before both rotations still verify everywhere; every server publishes every key that signed.
    assert.deepEqual(
      (await verifyEverywhere(before, subPath)).map((s) => s === 200),
      [true, true, true],
    );
    assert.ok((await verifyEverywhere(beforeMi, subPath)).every((s) => s !== 401));
    for (const base of direct) {
      const jwks = (await (await fetch(`${base}/${b.tenantId}/discovery/v2.0/keys`)).json()) as { keys: { kid: string }[] };
      const published = new Set(jwks.keys.map((k) => k.kid));
      for (const kid of [...kids, second.next]) assert.ok(published.has(kid), `${base} publishes ${kid}`);
    }
  });

  it('kill -9 of one server under mixed load fails only the requests in flight on it', async (t) => {
    const b = servers[0]!.bootstrap;
    const mi = await miToken(lb);
    const outcomes: Outcome[] = [];
    const kinds: [string, () => Promise<Response>][] = [
      [
        'client-credentials token',
        () =>
          fetch(`${lb}/${b.tenantId}/oauth2/v2.0/token`, {
            method: 'POST',
            body: new URLSearchParams({
              grant_type: 'client_credentials',
              client_id: b.clientId,
              client_secret: b.clientSecret,
              scope: `${MANAGEMENT}.default`,
            }),
          }),
      ],
      [
        'ARM write',
        () =>
          fetch(`${lb}${group}-w${randomUUID().slice(0, 8)}?api-version=2021-04-01`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
            body: '{"location":"westus2"}',
          }),
      ],
      ['ARM read', () => fetch(`${lb}${group}?api-version=2021-04-01`, { headers: { authorization: `Bearer ${admin}` } })],
      [
        'agent token refresh',
        () =>
          fetch(`${lb}/keyless/agent/v1/token`, {
            method: 'POST',
            headers: { authorization: `KeylessHost ${hostKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ identity: { kind: 'system' }, resource: MANAGEMENT }),
          }),
      ],
      [
        'read with a managed-identity token',
        () => fetch(`${lb}${group}/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-07-01`, { headers: { authorization: `Bearer ${mi}` } }),
      ],
      ['JWKS', () => fetch(`${lb}/${b.tenantId}/discovery/v2.0/keys`)],
    ];
    // The MI needs Reader for its reads: grant it once.
    await fetch(`${lb}${group}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        properties: {
          roleDefinitionId: `/subscriptions/${b.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
          principalId: vmPrincipal,
          principalType: 'ServicePrincipal',
        },
      }),
    });
    await new Promise((r) => setTimeout(r, 1500));
    let stop = false;
    const worker = async (w: number) => {
      for (let i = w; !stop; i++) {
        const [kind, send] = kinds[i % kinds.length]!;
        const start = Date.now();
        try {
          const res = await send();
          const text = await res.text();
          outcomes.push({
            kind,
            start,
            end: Date.now(),
            ok: res.status < 500 && res.status !== 401 && res.status !== 403,
            detail: `${res.status} ${text.slice(0, 120)}`,
          });
        } catch (error) {
          outcomes.push({ kind, start, end: Date.now(), ok: false, detail: String((error as Error).cause ?? error) });
        }
      }
    };
    const running = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await new Promise((r) => setTimeout(r, 2000));
    const killedAt = Date.now();
    process.kill(-servers[1]!.child.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 4000));
    stop = true;
    await running;
    const failed = outcomes.filter((o) => !o.ok);
    const inFlight = outcomes.filter((o) => o.start <= killedAt && o.end >= killedAt).length;
    const after = outcomes.filter((o) => o.start > killedAt);
    t.diagnostic(
      `${outcomes.length} requests (${after.length} after the kill), ${inFlight} in flight at the kill, ${failed.length} failed: ${JSON.stringify(failed.map((f) => `${f.kind}: ${f.detail}`))}`,
    );
    assert.ok(outcomes.length > 100, 'the load ran');
    assert.ok(after.length > 50, 'requests kept flowing after the kill');
    // In flight on the killed server = sent to it before HAProxy took it out (its health check, 2 × 500 ms): a request
    // HAProxy wrote on a pooled connection to the dead server in that window fails like one the server was serving.
    // New connections to it are refused and redispatched; idempotent requests on a dead pooled connection are retried.
    assert.ok(downAt !== undefined, `HAProxy never marked the killed server down:\n${haproxyLog}`);
    t.diagnostic(`HAProxy took the killed server out ${downAt - killedAt} ms after the kill`);
    for (const f of failed)
      assert.ok(
        f.start <= downAt,
        `a request started ${f.start - killedAt} ms after the kill, after HAProxy took the server out, failed: ${f.kind}: ${f.detail}`,
      );
    for (const f of failed) assert.ok(f.end >= killedAt, `a request that ended before the kill failed: ${f.kind}: ${f.detail}`);
  });
});
