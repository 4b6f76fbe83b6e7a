/**
 * The Prometheus endpoint (issue 15 item 8) on a spawned `keyless serve` sharing a PostgreSQL
 * database: counters move with the requests that should move them (tokens issued and refused,
 * an RBAC denial, a 404 under its surface, managed-identity tokens through the agent API), the
 * listener serves nothing but GET /metrics and needs no token, its labels stay within closed sets,
 * and with the port unset the server listens on its HTTPS port only.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { SURFACES } from '../../src/core/metrics.js';
import { armToken, freePort, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { metric, parseMetrics, scrape } from '../support/metrics-scrape.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { addTestApp, armToken as appArmToken } from './rbac-fixture.js';
import { startAgentProcess } from './agent-process.js';

const MANAGEMENT = 'https://management.azure.com/';

/** TCP ports the process `pid` listens on (its socket inodes matched against /proc/net/tcp{,6} in state LISTEN). */
async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

describe('Prometheus metrics on a separate port', () => {
  let db: TestDatabase;
  let server: RunningKeyless;
  let metricsPort = 0;
  let metricsUrl = '';
  let base = '';
  let admin = '';
  let vmId = '';

  before(async () => {
    db = await createTestDatabase();
    metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    server = await startKeyless({ via: 'node', databaseUrl: db.url, env: { KEYLESS_METRICS_PORT: String(metricsPort) } });
    base = server.bootstrap.armEndpoint;
    admin = await armToken(server.bootstrap);
  });
  after(async () => {
    await server?.dispose();
    await db?.drop();
  });

  const tokenRequest = (secret: string) =>
    fetch(`${base}/${server.bootstrap.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: server.bootstrap.clientId,
        client_secret: secret,
        scope: `${MANAGEMENT}.default`,
      }),
    });

  it('says where it listens, and answers GET /metrics in the text format without a token', async () => {
    assert.match(server.output(), new RegExp(`Metrics: +http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
    const res = await fetch(metricsUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^# HELP keyless_http_requests_total /m);
    // Node's process metrics are there, and the PostgreSQL pool's gauges.
    const samples = parseMetrics(text);
    assert.ok(metric(samples, 'process_resident_memory_bytes') > 0);
    assert.ok(metric(samples, 'process_open_fds') > 0);
    assert.equal(metric(samples, 'keyless_store_info', { engine: 'postgres' }), 1);
    assert.equal(metric(samples, 'keyless_db_pool_max_connections'), 10);
    assert.ok(samples.some((s) => s.name === 'keyless_db_pool_connections' && s.labels.state === 'idle'));
    assert.equal(metric(samples, 'keyless_db_pool_waiting'), 0);
  });

  it('counts tokens issued and refused, and the token path cache', async () => {
    // Past the read cache's 1 s lifetime: the first request reads the database, the next ones the cache.
    await new Promise((r) => setTimeout(r, 1100));
    const before = await scrape(metricsUrl);
    for (let i = 0; i < 3; i++) assert.equal((await tokenRequest(server.bootstrap.clientSecret)).status, 200);
    const refused = await tokenRequest('not-the-secret');
    assert.equal(refused.status, 401);
    const now = await scrape(metricsUrl);
    const delta = (name: string, labels: Record<string, string> = {}) => metric(now, name, labels) - metric(before, name, labels);
    assert.equal(delta('keyless_tokens_issued_total', { kind: 'client_credentials' }), 3);
    assert.equal(delta('keyless_token_refusals_total', { kind: 'client_credentials' }), 1);
    assert.equal(delta('keyless_http_requests_total', { surface: 'oauth', status: '200' }), 3);
    assert.equal(delta('keyless_http_requests_total', { surface: 'oauth', status: '401' }), 1);
    assert.equal(delta('keyless_http_request_duration_seconds_count', { surface: 'oauth' }), 4);
    // Each request looks up tenant, client and secrets: the first misses, the ones within 1 s hit.
    assert.ok(delta('keyless_cache_lookups_total', { cache: 'directory' }) >= 12);
    assert.ok(delta('keyless_cache_lookups_total', { cache: 'directory', result: 'miss' }) >= 3);
    assert.ok(delta('keyless_cache_lookups_total', { cache: 'directory', result: 'hit' }) >= 3);
  });

  it('counts an RBAC denial and a 404 under its surface', async () => {
    const app = await addTestApp(server, 'no-roles', db.url);
    const token = await appArmToken(app.credential);
    const sub = server.bootstrap.subscriptionId;
    const before = await scrape(metricsUrl);
    const forbidden = await fetch(`${base}/subscriptions/${sub}/resourceGroups/metrics-rg?api-version=2021-04-01`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"location":"westus2"}',
    });
    assert.equal(forbidden.status, 403);
    const missing = await fetch(`${base}/subscriptions/${sub}/resourceGroups/no-such-group?api-version=2021-04-01`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(missing.status, 404);
    const unrouted = await fetch(`${base}/keyless/health/no-such-probe`);
    assert.ok(unrouted.status >= 400 && unrouted.status < 500);
    const now = await scrape(metricsUrl);
    const delta = (name: string, labels: Record<string, string> = {}) => metric(now, name, labels) - metric(before, name, labels);
    assert.equal(delta('keyless_rbac_decisions_total', { surface: 'arm', decision: 'denied' }), 1);
    assert.equal(delta('keyless_rbac_decisions_total', { surface: 'arm', decision: 'allowed' }), 1, 'the admin read of the missing group');
    assert.equal(delta('keyless_http_requests_total', { surface: 'arm', status: '403' }), 1);
    assert.equal(delta('keyless_http_requests_total', { surface: 'arm', status: '404' }), 1);
    assert.equal(delta('keyless_http_requests_total', { surface: 'health', status: String(unrouted.status) }), 1);
  });

  it('counts managed-identity tokens a host agent gets, and the ones it is refused', async () => {
    const sub = server.bootstrap.subscriptionId;
    const group = `/subscriptions/${sub}/resourceGroups/metrics-mi`;
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, {
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
    ).json()) as { id: string };
    vmId = vm.id;
    const joined = (await (await send('POST', `${vm.id}/keylessAgentJoin?api-version=2024-07-01`)).json()) as { joinToken: string };
    const { hostKey } = (await (
      await fetch(`${base}/keyless/agent/v1/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ joinToken: joined.joinToken }),
      })
    ).json()) as { hostKey: string };
    const ask = (identity: unknown) =>
      fetch(`${base}/keyless/agent/v1/token`, {
        method: 'POST',
        headers: { authorization: `KeylessHost ${hostKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ identity, resource: MANAGEMENT }),
      });
    const before = await scrape(metricsUrl);
    assert.equal((await ask({ kind: 'system' })).status, 200);
    assert.equal((await ask({ kind: 'system' })).status, 200);
    const notHeld = await ask({ kind: 'clientId', value: randomUUID() });
    assert.ok(notHeld.status >= 400 && notHeld.status < 500, `an identity the VM does not hold: ${notHeld.status}`);
    const now = await scrape(metricsUrl);
    const delta = (name: string, labels: Record<string, string> = {}) => metric(now, name, labels) - metric(before, name, labels);
    assert.equal(delta('keyless_tokens_issued_total', { kind: 'managed_identity' }), 2);
    assert.equal(delta('keyless_token_refusals_total', { kind: 'managed_identity' }), 1);
    assert.equal(delta('keyless_http_requests_total', { surface: 'agent-api' }), 3);
  });

  it('the agent with --metrics-port counts its requests and its token cache (a miss, then hits)', async () => {
    const agentMetricsPort = await freePort();
    const agent = await startAgentProcess(['--data-dir', server.dataDir, '--resource', vmId, '--metrics-port', String(agentMetricsPort)]);
    try {
      const url = `http://127.0.0.1:${agentMetricsPort}/metrics`;
      const imds = `${agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(MANAGEMENT)}`;
      for (let i = 0; i < 3; i++) assert.equal((await fetch(imds, { headers: { Metadata: 'true' } })).status, 200);
      assert.equal((await fetch(`${agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/nothing-here`)).status, 404);
      const samples = await scrape(url);
      assert.equal(metric(samples, 'keyless_agent_requests_total', { endpoint: 'imds', status: '200' }), 3);
      assert.equal(metric(samples, 'keyless_agent_requests_total', { endpoint: 'other', status: '404' }), 1);
      assert.equal(metric(samples, 'keyless_agent_request_duration_seconds_count', { endpoint: 'imds' }), 3);
      assert.equal(metric(samples, 'keyless_cache_lookups_total', { cache: 'agent_token', result: 'miss' }), 1);
      assert.equal(metric(samples, 'keyless_cache_lookups_total', { cache: 'agent_token', result: 'hit' }), 2);
      assert.equal(metric(samples, 'keyless_agent_cached_tokens'), 1);
      assert.ok(metric(samples, 'process_resident_memory_bytes') > 0);
      assert.equal((await fetch(`http://127.0.0.1:${agentMetricsPort}/metadata/identity/oauth2/token`)).status, 404, 'the metrics port serves no tokens');
    } finally {
      await agent.stop();
    }
  });

  it('labels stay within closed sets: no ids, names or paths', async () => {
    const text = await (await fetch(metricsUrl)).text();
    for (const secretish of [
      server.bootstrap.subscriptionId,
      server.bootstrap.tenantId,
      server.bootstrap.clientId,
      server.bootstrap.clientSecret,
      'metrics-mi',
      'vm1',
    ]) {
      assert.ok(!text.toLowerCase().includes(secretish.toLowerCase()), `the metrics name ${secretish}`);
    }
    for (const s of parseMetrics(text)) {
      if (s.labels.surface !== undefined)
        assert.ok((SURFACES as readonly string[]).includes(s.labels.surface) || ['arm', 'dataplane'].includes(s.labels.surface), s.labels.surface);
      if (s.labels.status !== undefined) assert.match(s.labels.status, /^[1-5]\d\d$/);
    }
  });

  it('serves nothing but GET /metrics: other paths 404, other methods 405, nothing of the API', async () => {
    const root = `http://127.0.0.1:${metricsPort}`;
    assert.equal((await fetch(`${root}/`)).status, 404);
    assert.equal((await fetch(`${root}/keyless/health/live`)).status, 404);
    assert.equal(
      (await fetch(`${root}/subscriptions/${server.bootstrap.subscriptionId}?api-version=2022-12-01`, { headers: { authorization: `Bearer ${admin}` } }))
        .status,
      404,
    );
    const post = await fetch(metricsUrl, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    // The API port does not serve the metrics.
    assert.doesNotMatch(await (await fetch(`${base}/metrics`)).text(), /keyless_http_requests_total/);
  });

  it('listens on the HTTPS port and the metrics port only', async () => {
    const apiPort = Number(new URL(base).port);
    assert.deepEqual(
      await listeningPorts(server.child.pid!),
      [apiPort, metricsPort].sort((a, b) => a - b),
    );
  });
});

describe('a metrics port already taken', () => {
  it('stops the server at start with a message naming the metrics listener', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const port = (taken.address() as { port: number }).port;
    try {
      await assert.rejects(startKeyless({ via: 'node', env: { KEYLESS_METRICS_PORT: String(port) } }), (e: Error) =>
        new RegExp(`could not start: cannot serve metrics on 127\\.0\\.0\\.1:${port}: the port is already in use`).test(e.message),
      );
    } finally {
      taken.close();
    }
  });
});

describe('metrics off (the default)', () => {
  it('nothing listens besides the HTTPS port, and the API does not serve /metrics', async () => {
    const server = await startKeyless({ via: 'node' });
    try {
      const base = server.bootstrap.armEndpoint;
      assert.doesNotMatch(server.output(), /Metrics:/);
      assert.deepEqual(await listeningPorts(server.child.pid!), [Number(new URL(base).port)]);
      assert.doesNotMatch(await (await fetch(`${base}/metrics`)).text(), /keyless_http_requests_total/);
    } finally {
      await server.dispose();
    }
  });
});
