/**
 * The host agent: cached-token requests per second over the IMDS path, as a ratio to a bare node:http
 * server answering the same bytes in the same run (target ≥ 0.7); latency of a cache miss (agent →
 * server over HTTPS keep-alive → a freshly signed token); and the time from a detach written to the
 * store to the agent's refusal. Azure throttles IMDS at 20 token requests per second per VM.
 *
 * The VM and its identities are written straight into the server's SQLite file (as the Compute and
 * ManagedIdentity providers store them); the server sees them through its store, so the detach time
 * measured here is the cross-process path (the watch's 200 ms poll), the slowest one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ResourceRecord, ServicePrincipal } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { openStore } from '../../src/storage/store.js';
import { startKeyless } from '../lib/keyless-server.js';
import { loadProblem, runLoad, type LoadResult } from '../lib/load.js';
import { BENCH_ROOT, forkTs, stopChild, waitForMessage } from '../lib/processes.js';
import { formatNumber, type Benchmark, type SuiteResult } from '../lib/suite.js';

const IMDS_THROTTLE_RPS = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function seed(store: Store, subscriptionId: string, tenantId: string) {
  const id = (type: string, name: string) => `/subscriptions/${subscriptionId}/resourceGroups/bench/providers/${type}/${name}`;
  const at = new Date().toISOString();
  const record = (type: string, name: string, identity: Record<string, unknown> | null): ResourceRecord => ({
    id: id(type, name),
    subscriptionId,
    resourceGroup: 'bench',
    type,
    name,
    location: 'westeurope',
    tags: {},
    kind: null,
    properties: {},
    identity,
    sku: null,
    provisioningState: 'Succeeded',
    etag: randomUUID(),
    createdAt: at,
    updatedAt: at,
  });
  const principal = (resourceId: string, name: string): ServicePrincipal => ({
    objectId: randomUUID(),
    appId: randomUUID(),
    tenantId,
    displayName: name,
    kind: 'ManagedIdentity',
    resourceId,
    createdAt: at,
  });
  const vm = record('Microsoft.Compute/virtualMachines', 'bench-vm', null);
  const system = principal(vm.id, 'bench-vm');
  const uami = principal(id('Microsoft.ManagedIdentity/userAssignedIdentities', 'bench-app'), 'bench-app');
  const identity = (attached: boolean) => ({
    systemAssigned: true,
    principalId: system.objectId,
    tenantId,
    clientId: system.appId,
    userAssignedIdentities: attached ? { [uami.resourceId!]: { principalId: uami.objectId, clientId: uami.appId } } : {},
  });
  vm.identity = identity(true);
  await store.transaction(async (tx) => {
    await tx.resources.insert(record('Microsoft.ManagedIdentity/userAssignedIdentities', 'bench-app', null));
    await tx.principals.insert(uami);
    await tx.resources.insert(vm);
    await tx.principals.insert(system);
  });
  const setAttached = async (attached: boolean) => {
    const current = (await store.resources.get(vm.id))!;
    await store.resources.update({ ...current, identity: identity(attached), etag: randomUUID() });
  };
  return { vm, uami, setAttached };
}

function startAgent(dataDir: string, resourceId: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [join(BENCH_ROOT, 'bin/keyless.js'), 'agent', '--data-dir', dataDir, '--resource', resourceId, '--port', '0'], {
    cwd: BENCH_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not ready:\n${out}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^export AZURE_POD_IDENTITY_AUTHORITY_HOST=(\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: m[1]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code}:\n${out}`));
    });
  });
}

async function imds(base: string, query: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}/metadata/identity/oauth2/token?api-version=2018-02-01&${query}`, { headers: { Metadata: 'true' } });
  return { status: res.status, body: await res.text() };
}

export const benchmark: Benchmark = {
  name: 'agent',
  description: 'host agent: cached tokens/s vs bare node:http, cache-miss latency, detach → refusal time',
  async run(context): Promise<SuiteResult> {
    const problems: string[] = [];
    const server = await startKeyless();
    const dataDir = dirname(server.bootstrap.caCertFile);
    const store = await openStore({ sqliteFile: join(dataDir, 'keyless.db') });
    let agent: ChildProcess | undefined;
    let bare: ChildProcess | undefined;
    try {
      const subscriptionId = (
        JSON.parse(await (await import('node:fs/promises')).readFile(join(dataDir, 'bootstrap.json'), 'utf8')) as { subscriptionId: string }
      ).subscriptionId;
      const { vm, uami, setAttached } = await seed(store, subscriptionId, server.bootstrap.tenantId);
      const started = await startAgent(dataDir, vm.id);
      agent = started.child;
      const base = started.base;

      // Cached path: one resource, asked again and again.
      const cachedQuery = 'resource=https%3A%2F%2Fmanagement.azure.com%2F';
      const first = await imds(base, cachedQuery);
      if (first.status !== 200) throw new Error(`agent answered ${first.status}: ${first.body}`);
      bare = forkTs('bench/targets/bare-http.ts');
      bare.send({ body: first.body });
      const { port } = await waitForMessage<{ type: 'ready'; port: number }>(bare, 'ready', 30_000);
      const load = (url: string) =>
        runLoad({
          url,
          form: {},
          method: 'GET',
          headers: { Metadata: 'true' },
          caPem: '',
          connections: context.connections,
          durationSeconds: context.durationSeconds,
          warmupSeconds: context.warmupSeconds,
        });
      const agentRuns: LoadResult[] = [];
      const bareRuns: LoadResult[] = [];
      for (let round = 0; round < context.rounds; round++) {
        context.log(`agent: round ${round + 1}/${context.rounds}: bare node:http`);
        bareRuns.push(await load(`http://127.0.0.1:${port}/metadata/identity/oauth2/token?api-version=2018-02-01&${cachedQuery}`));
        context.log(`agent: round ${round + 1}/${context.rounds}: agent (cached token)`);
        agentRuns.push(await load(`${base}/metadata/identity/oauth2/token?api-version=2018-02-01&${cachedQuery}`));
      }
      for (const r of [...agentRuns, ...bareRuns]) {
        const p = loadProblem(r);
        if (p) problems.push(p);
      }
      const agentRps = median(agentRuns.map((r) => r.requestsPerSecond));
      const bareRps = median(bareRuns.map((r) => r.requestsPerSecond));
      const agentLoad = agentRuns.find((r) => r.requestsPerSecond === agentRps)!;

      // Cache misses: a new audience each time, sequentially (agent → server → signer → back).
      const misses: number[] = [];
      const missCount = context.smoke ? 10 : 300;
      for (let i = 0; i < missCount; i++) {
        const t0 = performance.now();
        const r = await imds(base, `resource=${encodeURIComponent(`api://bench-miss-${i}-${randomUUID()}`)}&client_id=${uami.appId}`);
        misses.push(performance.now() - t0);
        if (r.status !== 200) problems.push(`cache miss answered ${r.status}: ${r.body}`);
      }
      misses.sort((a, b) => a - b);

      // Detach → refusal: a cached user-assigned token, then the detach written to the store.
      const detaches: number[] = [];
      for (let i = 0; i < (context.smoke ? 1 : 5); i++) {
        await setAttached(true);
        const query = `resource=api%3A%2F%2Fbench-detach&client_id=${uami.appId}`;
        const deadline = performance.now() + 5000;
        while ((await imds(base, query)).status !== 200 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        const t0 = performance.now();
        await setAttached(false);
        let status = 200;
        while (status === 200 && performance.now() - t0 < 5000) status = (await imds(base, query)).status;
        detaches.push(performance.now() - t0);
        if (status !== 400) problems.push(`detached identity still served after 5 s (status ${status})`);
      }

      const ratio = agentRps / bareRps;
      return {
        title: 'Host agent (`keyless agent`)',
        tables: [
          {
            columns: ['Measurement', 'Value'],
            rows: [
              ['Bare node:http, fixed JSON (req/s)', formatNumber(bareRps)],
              ['Agent, cached token via IMDS path (req/s)', formatNumber(agentRps)],
              ['Ratio agent / bare (target ≥ 0.70)', formatNumber(ratio, 2)],
              ['Agent cached latency p50 / p99 (ms)', `${formatNumber(agentLoad.latencyMs.p50, 2)} / ${formatNumber(agentLoad.latencyMs.p99, 2)}`],
              [
                `Cache miss latency p50 / p99 (ms, ${missCount} sequential)`,
                `${formatNumber(percentile(misses, 50), 2)} / ${formatNumber(percentile(misses, 99), 2)}`,
              ],
              ['Detach → refusal at the agent, median / max (ms)', `${formatNumber(median(detaches))} / ${formatNumber(Math.max(...detaches))}`],
              [`Cached req/s vs Azure IMDS throttle (${IMDS_THROTTLE_RPS} req/s per VM)`, `${formatNumber(agentRps / IMDS_THROTTLE_RPS)}×`],
            ],
          },
        ],
        notes: [
          `Cached tokens: ${formatNumber(ratio, 2)} of a bare node:http server sending the same bytes (${ratio >= 0.7 ? 'meets' : 'misses'} the 0.70 target), ${context.connections} keep-alive connections, load generator in its own process.`,
          `Azure throttles IMDS at ${IMDS_THROTTLE_RPS} token requests per second per VM; the Keyless agent serves cached tokens at about ${formatNumber(agentRps / IMDS_THROTTLE_RPS)} times that rate.`,
          "Cache miss = the agent asks the server over HTTPS keep-alive (host key check, VM and identity reads, a freshly signed RS256 token). Detach is written to the database by another process, so the server notices it through its 200 ms poll; writes made through this server's ARM API can wake the watch at once.",
        ],
        problems,
        data: { agentRps, bareRps, ratio, missP50: percentile(misses, 50), missP99: percentile(misses, 99), detachMs: detaches },
      };
    } finally {
      if (agent && agent.exitCode === null) {
        agent.kill('SIGTERM');
        await new Promise((r) => agent!.once('exit', r));
      }
      if (bare) await stopChild(bare);
      await store.close();
      await server.stop();
    }
  },
};
