/**
 * RBAC decisions (issue 4): throughput and p99 in process with 100,000 principals and 1,000,000
 * role assignments, over HTTP through the access-check endpoint, memory in use, and start-up time
 * with that data on SQLite. Targets: ≥ 100,000 decisions/s on one core, p99 < 1 ms, start-up < 10 s.
 *
 * The dataset is written straight into a migrated SQLite file in one transaction (a few seconds),
 * under the subscription of a real server's bootstrap, which is then restarted on that data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock } from '../../src/core/clock.js';
import { BUILT_IN_ROLES } from '../../src/core/rbac/built-in-roles.js';
import { createRbac } from '../../src/core/rbac/rbac.js';
import { openStore } from '../../src/storage/store.js';
import { runLoad, loadProblem } from '../lib/load.js';
import { BENCH_ROOT } from '../lib/processes.js';
import { formatNumber, type BenchContext, type Benchmark, type SuiteResult } from '../lib/suite.js';

const ACTIONS = [
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Compute/virtualMachines/write',
  'Microsoft.ManagedIdentity/userAssignedIdentities/read',
  'Microsoft.Authorization/roleAssignments/write',
  'Microsoft.Network/virtualNetworks/join/action',
  'Microsoft.Storage/storageAccounts/listKeys/action',
];
const ROLE_NAMES = BUILT_IN_ROLES.map((r) => r.name);
const GROUPS = 1000;
const RESOURCES_PER_GROUP = 20;

/** A GUID-shaped id from a number (fast and unique). */
const guid = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(12, '0')}`;
const principalId = (i: number) => guid('00000000-0000-4000-8000-', i);

/** The scope of a principal's j-th assignment; distinct for j < 10 (104,729 mod 21,001 steps by -276). */
const scopeIndex = (p: number, j: number, count: number) => (p * 7919 + j * 104_729) % count;

interface Dataset {
  principals: number;
  assignments: number;
  scopes: string[];
}

function scopesOf(sub: string): string[] {
  const out = [`/subscriptions/${sub}`];
  for (let g = 0; g < GROUPS; g++) {
    const rg = `/subscriptions/${sub}/resourceGroups/rg${g}`;
    out.push(rg);
    for (let r = 0; r < RESOURCES_PER_GROUP; r++) out.push(`${rg}/providers/Microsoft.Compute/virtualMachines/vm${r}`);
  }
  return out;
}

/** Writes `assignments` assignments spread over `principals` principals into the server's database. */
function writeDataset(file: string, sub: string, principals: number, assignments: number): Dataset {
  const scopes = scopesOf(sub);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const insert =
    db.prepare(`insert into role_assignments (name_key, name, scope, scope_key, role_key, principal_key, principal_type, description, created_on, updated_on, created_by, updated_by)
    values (?, ?, ?, ?, ?, ?, 'ServicePrincipal', null, ?, ?, null, null)`);
  const now = new Date().toISOString();
  const perPrincipal = Math.ceil(assignments / principals);
  db.transaction(() => {
    for (let n = 0; n < assignments; n++) {
      const p = n % principals;
      const j = Math.floor(n / principals);
      // Distinct scopes per principal: most assignments at resources, some at groups, a few at the subscription.
      const scope = scopes[scopeIndex(p, j, scopes.length)]!;
      const name = guid('11111111-1111-4111-8111-', n);
      insert.run(name, name, scope, scope.toLowerCase(), ROLE_NAMES[(p + j) % ROLE_NAMES.length]!, principalId(p), now, now);
    }
  })();
  db.close();
  return { principals, assignments: Math.min(assignments, perPrincipal * principals), scopes };
}

interface Started {
  child: ChildProcess;
  bootstrap: { subscriptionId: string; tenantId: string; clientId: string; clientSecret: string; armEndpoint: string; caCertFile: string };
  startMs: number;
}

async function serve(dataDir: string): Promise<Started> {
  const file = join(dataDir, 'bootstrap.json');
  await rm(file, { force: true });
  const started = Date.now();
  const child = spawn(process.execPath, [join(BENCH_ROOT, 'bin/keyless.js'), 'serve', '--data-dir', dataDir, '--port', '0'], {
    cwd: BENCH_ROOT,
    env: { ...process.env, KEYLESS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  while (Date.now() - started < 120_000) {
    if (child.exitCode !== null) throw new Error(`keyless serve exited with ${child.exitCode}`);
    if (existsSync(file)) {
      try {
        return { child, bootstrap: JSON.parse(await readFile(file, 'utf8')), startMs: Date.now() - started };
      } catch {
        /* being written */
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGTERM');
  throw new Error('keyless serve did not start within 120 s');
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** The bootstrap admin's ARM token, over TLS verified against the server's CA. */
function adminToken(b: Started['bootstrap'], caPem: string): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: b.clientId,
    client_secret: b.clientSecret,
    scope: 'https://management.azure.com/.default',
  }).toString();
  return new Promise((done, fail) => {
    const req = request(
      `${b.armEndpoint}/${b.tenantId}/oauth2/v2.0/token`,
      { method: 'POST', ca: caPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => {
          try {
            done((JSON.parse(text) as { access_token: string }).access_token);
          } catch (e) {
            fail(e);
          }
        });
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/** Decisions per second and per-decision latency on this thread. */
function measureInProcess(access: ReturnType<typeof createRbac>['access'], data: Dataset, seconds: number) {
  // Half the questions are about a scope at or below one of the principal's assignments, half about a random scope.
  const queries = Array.from({ length: 65_536 }, (_, i) => {
    const p = (i * 2_654_435_761) % data.principals;
    const own = data.scopes[scopeIndex(p, i % 10, data.scopes.length)]!;
    const s =
      i % 2 === 0
        ? own.includes('/providers/')
          ? own
          : `${own}/providers/Microsoft.Compute/virtualMachines/vm-x`
        : data.scopes[(i * 40_503) % data.scopes.length]!;
    return { p: principalId(p), a: ACTIONS[i % ACTIONS.length]!, s };
  });
  let allowed = 0;
  let count = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    for (let k = 0; k < 4096; k++) {
      const q = queries[count++ & 65_535]!;
      if (access.can(q.p, q.a, q.s)) allowed++;
    }
  }
  const rate = count / ((performance.now() - start) / 1000);
  const samples = new Float64Array(Math.min(200_000, count));
  for (let i = 0; i < samples.length; i++) {
    const q = queries[i & 65_535]!;
    const t = process.hrtime.bigint();
    access.can(q.p, q.a, q.s);
    samples[i] = Number(process.hrtime.bigint() - t) / 1e6;
  }
  samples.sort();
  return { rate, allowedShare: allowed / count, p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]! };
}

export const benchmark: Benchmark = {
  name: 'rbac',
  description: 'RBAC decisions with 100k principals / 1M assignments: in process, over HTTP, memory, start-up',
  async run(context: BenchContext): Promise<SuiteResult> {
    const principals = context.smoke ? 1000 : 100_000;
    const assignments = context.smoke ? 10_000 : 1_000_000;
    const dataDir = await mkdtemp(join(tmpdir(), 'keyless-bench-rbac-'));
    const problems: string[] = [];
    try {
      const first = await serve(dataDir);
      await stop(first.child);
      const sub = first.bootstrap.subscriptionId;
      const genStart = Date.now();
      const data = writeDataset(join(dataDir, 'keyless.db'), sub, principals, assignments);
      const genMs = Date.now() - genStart;
      context.log(`rbac: wrote ${assignments} assignments in ${genMs} ms`);

      // In process: load from SQLite, then decide.
      globalThis.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const store = await openStore({ sqliteFile: join(dataDir, 'keyless.db') });
      const rbac = createRbac({ store, clock: systemClock });
      const loadStart = Date.now();
      await rbac.sync.load();
      const loadMs = Date.now() - loadStart;
      globalThis.gc?.();
      const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
      const inProcess = measureInProcess(rbac.access, data, context.durationSeconds);
      await store.close();

      // Over HTTP: restart the real server on that data (start-up includes loading the index).
      const server = await serve(dataDir);
      let http;
      try {
        const b = server.bootstrap;
        const caPem = await readFile(b.caCertFile, 'utf8');
        const token = await adminToken(b, caPem);
        http = await runLoad({
          url: `${b.armEndpoint}${data.scopes[5]}/providers/Microsoft.Authorization/checkAccess?api-version=2022-04-01`,
          form: {},
          method: 'POST',
          body: JSON.stringify({ principalId: principalId(42), action: ACTIONS[0] }),
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
          caPem,
          connections: context.connections,
          durationSeconds: context.durationSeconds,
          warmupSeconds: context.warmupSeconds,
        });
        const problem = loadProblem(http);
        if (problem) problems.push(`access check over HTTP: ${problem}`);
      } finally {
        await stop(server.child);
      }
      const table = {
        columns: ['measure', 'value', 'target'],
        rows: [
          ['dataset', `${formatNumber(principals)} principals, ${formatNumber(data.assignments)} assignments, ${formatNumber(data.scopes.length)} scopes`, ''],
          ['decisions/s in process (1 thread)', formatNumber(inProcess.rate), '≥ 100,000'],
          ['decision latency p50 / p99 (ms)', `${formatNumber(inProcess.p50, 4)} / ${formatNumber(inProcess.p99, 4)}`, 'p99 < 1'],
          ['access checks/s over HTTPS', formatNumber(http.requestsPerSecond), ''],
          ['access check latency p50 / p99 (ms)', `${formatNumber(http.latencyMs.p50, 2)} / ${formatNumber(http.latencyMs.p99, 2)}`, ''],
          ['index load from SQLite (ms, in process)', formatNumber(loadMs), ''],
          ['heap used by the index (MiB)', formatNumber(heapMiB, 1), ''],
          ['server start-up to ready with the data (ms)', formatNumber(server.startMs), '< 10,000'],
          ['dataset generation (ms)', formatNumber(genMs), ''],
        ],
      };
      return {
        title: 'RBAC decisions',
        tables: [table],
        problems,
        notes: [
          `${formatNumber(inProcess.allowedShare * 100, 1)} % of the in-process decisions were allowed (random principal, action, scope). Heap is measured ${globalThis.gc ? 'after gc' : 'without --expose-gc (approximate)'}.`,
        ],
        data: { principals, assignments: data.assignments, inProcess, http, loadMs, heapMiB, startMs: server.startMs, genMs },
      };
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
