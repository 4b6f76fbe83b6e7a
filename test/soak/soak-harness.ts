/**
 * The soak (issue 15 item 7): two `keyless serve` processes on one PostgreSQL database and a real
 * `keyless agent` process, under a paced mixed load for a set time, with each process's resident
 * memory (VmRSS) and open file descriptors sampled every few seconds and request latencies kept per
 * window. Used by test/soak/soak.test.ts (reduced in `npm test`, full with `npm run soak`).
 *
 * Load (round-robin over the two servers): client-credentials tokens; ARM reads (the VM, the group);
 * ARM writes that create and delete user-assigned identities and role assignments (the database
 * stays the same size); IMDS token requests to the agent (cached, a few audiences); blob reads on
 * the path-style data plane as the VM's managed identity. Beside it, an identity churn every few
 * seconds: a user-assigned identity attached to the VM on one server, the agent (talking to the
 * other server) asked for it until it serves it — a cache miss — then detached until it refuses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { armToken, freePort, ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { metric, scrape, type Sample } from '../support/metrics-scrape.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const MANAGEMENT = 'https://management.azure.com/';
const STORAGE = 'https://storage.azure.com/';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const BLOB_READER = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
const BLOB_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
const BLOB_TEXT = 'soak: the same bytes every time\n';

export interface SoakOptions {
  seconds: number;
  /** Requests per second of the steady load (all kinds together). */
  rate: number;
  /** Seconds excluded at the start (JIT, pools, caches filling). */
  warmupSeconds: number;
  windowSeconds: number;
  sampleSeconds: number;
  /** Seconds between identity churn cycles. */
  churnSeconds: number;
  log?: (line: string) => void;
}

export interface ProcessSample {
  t: number;
  rssKiB: number;
  fds: number;
}

export interface WindowStats {
  index: number;
  startS: number;
  requests: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SoakResult {
  options: SoakOptions;
  processes: Record<string, ProcessSample[]>;
  windows: WindowStats[];
  kinds: Record<string, { requests: number; errors: number; p50: number; p99: number }>;
  errors: string[];
  churn: { cycles: number; attachP50: number; attachMax: number; detachP50: number; detachMax: number; failures: number };
  metrics: Record<string, Sample[]>;
  alive: Record<string, boolean>;
}

interface Outcome {
  kind: string;
  t: number;
  ms: number;
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * The load's client: node:http(s) with one keep-alive pool per scheme and at most 6 sockets per
 * origin, as a long-lived service client has. (fetch's pool opens and closes sockets as its 4 s idle
 * timer fires, which would show as file-descriptor noise on the servers.) Test CA via NODE_EXTRA_CA_CERTS.
 */
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 6 });
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 6 });

interface Answered {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<any>;
  arrayBuffer(): Promise<Buffer>;
}

function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | URLSearchParams } = {}): Promise<Answered> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.body instanceof URLSearchParams) {
    body = init.body.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else body = init.body;
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const https = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      u,
      { method: init.method ?? 'GET', headers, agent: https ? httpsAgent : httpAgent, timeout: 60_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: { get: (name) => [res.headers[name.toLowerCase()] ?? null].flat().join(', ') || null },
            text: async () => raw.toString('utf8'),
            json: async () => JSON.parse(raw.toString('utf8')),
            arrayBuffer: async () => raw,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end(body);
  });
}

async function sampleProcess(pid: number): Promise<{ rssKiB: number; fds: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    const fds = (await readdir(`/proc/${pid}/fd`)).length;
    return { rssKiB: rss ? Number(rss[1]) : NaN, fds };
  } catch {
    return undefined;
  }
}

interface RunningAgent {
  child: ChildProcess;
  base: string;
  output(): string;
  stop(): Promise<void>;
}

/** `node bin/keyless.js agent …` (not npx, so that the pid sampled is the agent's own). */
async function startAgent(args: string[]): Promise<RunningAgent> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/keyless.js'), 'agent', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not ready in 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^export AZURE_POD_IDENTITY_AUTHORITY_HOST=(.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    base,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const db: TestDatabase = await createTestDatabase();
  const servers: RunningKeyless[] = [];
  let agent: RunningAgent | undefined;
  try {
    const kek = randomBytes(32).toString('base64');
    const metricsPorts = [await freePort(), await freePort()];
    const ports = [await freePort(), await freePort()];
    // Servers that accept each other's tokens share one public URL (the issuer), as behind a load
    // balancer (test/compat/scale-out.test.ts); here the first server's origin stands for it and
    // each server is still addressed directly on its own port.
    const publicUrl = `https://127.0.0.1:${ports[0]}`;
    for (const [i, port] of ports.entries()) {
      servers.push(
        await startKeyless({
          via: 'node',
          databaseUrl: db.url,
          port,
          extraArgs: ['--public-url', publicUrl],
          env: { KEYLESS_KEY_ENCRYPTION_KEY: kek, KEYLESS_METRICS_PORT: String(metricsPorts[i]), KEYLESS_LOG_LEVEL: 'warn' },
        }),
      );
    }
    const [a, b] = servers as [RunningKeyless, RunningKeyless];
    const bases = ports.map((port) => `https://127.0.0.1:${port}`);
    const sub = a.bootstrap.subscriptionId;
    const group = `/subscriptions/${sub}/resourceGroups/soak`;
    const admins = await Promise.all(servers.map((s) => armToken(s.bootstrap)));
    const send = async (server: number, method: string, path: string, body?: unknown, token = admins[server]!) => {
      const res = await call(`${bases[server]}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, text };
    };
    const must = async (what: string, r: Promise<{ status: number; text: string }>) => {
      const got = await r;
      if (got.status >= 300) throw new Error(`${what}: ${got.status} ${got.text.slice(0, 300)}`);
      return JSON.parse(got.text || 'null') as any;
    };

    // The fixture: a group, a VM with its system-assigned identity, a storage account with one blob
    // the VM's identity may read, and the agent of the VM talking to the second server.
    await must('group', send(0, 'PUT', `${group}?api-version=2021-04-01`, { location: 'westus2' }));
    const vmPath = `${group}/providers/Microsoft.Compute/virtualMachines/soakvm`;
    const vm = await must(
      'vm',
      send(0, 'PUT', `${vmPath}?api-version=2024-07-01`, {
        location: 'westus2',
        identity: { type: 'SystemAssigned' },
        properties: { hardwareProfile: { vmSize: 'Standard_B1s' } },
      }),
    );
    const vmPrincipal = vm.identity.principalId as string;
    const account = `soak${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const accountPath = `${group}/providers/Microsoft.Storage/storageAccounts/${account}`;
    await must(
      'storage account',
      send(0, 'PUT', `${accountPath}?api-version=2023-05-01`, { location: 'westus2', sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }),
    );
    const assign = (server: number, scope: string, role: string, principalId: string, id = randomUUID()) =>
      send(server, 'PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${id}?api-version=2022-04-01`, {
        properties: {
          roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
          principalId,
          principalType: 'ServicePrincipal',
        },
      });
    const adminObject = JSON.parse(Buffer.from(admins[0]!.split('.')[1]!, 'base64url').toString()).oid as string;
    await must('blob contributor for the admin', assign(0, accountPath, BLOB_CONTRIBUTOR, adminObject));
    await must('blob reader for the VM', assign(0, accountPath, BLOB_READER, vmPrincipal));
    const storageToken = async (server: number) => {
      const s = servers[server]!.bootstrap;
      const res = await call(`${bases[server]}/${s.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: s.clientId, client_secret: s.clientSecret, scope: `${STORAGE}.default` }),
      });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const adminStorage = await storageToken(0);
    const blobHeaders = (token: string) => ({ authorization: `Bearer ${token}`, 'x-ms-version': '2021-08-06' });
    await must(
      'container',
      send(0, 'PUT', `/${account}/soak?restype=container`, undefined, adminStorage).then((r) => ({ ...r, text: '' })),
    );
    const put = await call(`${bases[0]}/${account}/soak/hello.txt`, {
      method: 'PUT',
      headers: { ...blobHeaders(adminStorage), 'x-ms-blob-type': 'BlockBlob', 'content-type': 'text/plain' },
      body: BLOB_TEXT,
    });
    if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);

    agent = await startAgent(['--data-dir', b.dataDir, '--resource', vm.id, '--server', bases[1]!, '--log-level', 'warn']);
    const imds = (resource: string, clientId?: string) =>
      call(
        `${agent!.base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(resource)}${clientId ? `&client_id=${clientId}` : ''}`,
        {
          headers: { Metadata: 'true' },
        },
      );
    let vmStorageToken = '';
    for (const deadline = Date.now() + 10_000; ;) {
      const res = await imds(STORAGE);
      if (res.status === 200) {
        vmStorageToken = ((await res.json()) as { access_token: string }).access_token;
        break;
      }
      await res.text();
      if (Date.now() > deadline) throw new Error(`the agent serves no storage token: ${res.status}`);
      await sleep(200);
    }
    log(`fixture ready: 2 servers (pids ${a.child.pid}, ${b.child.pid}), agent pid ${agent.child.pid}, account ${account}`);

    const uamiPath = `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/soak-churn`;
    const uami = await must('churn identity', send(0, 'PUT', `${uamiPath}?api-version=2023-01-31`, { location: 'westus2' }));
    const uamiId = uami.id as string;
    const uamiClient = uami.properties.clientId as string;

    // ---- the load ----
    const outcomes: Outcome[] = [];
    const errors: string[] = [];
    const start = Date.now();
    const end = start + options.seconds * 1000;
    let writes = 0;
    let writeLock: Promise<unknown> = Promise.resolve();
    const assignmentScopes = [group, vmPath, accountPath, `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/soak-churn`];
    const liveIdentities = new Map<number, string>();
    const liveAssignments = new Map<number, string>();
    interface Answer {
      status: number;
      want: number[];
      text?: string;
      /** When the request itself started, if not when the op was called (the write lock's wait is not the server's). */
      started?: number;
    }
    /** Alternately create and delete: 4 identity slots, then 4 assignment slots (each on its own scope), created through one server and deleted through the other. */
    const armWrite = async (): Promise<Answer> => {
      const w = writes++;
      const slot = Math.floor(w / 2) % 4;
      const server = w % 2;
      if (Math.floor(w / 8) % 2 === 0) {
        const path = `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/soak-w${slot}?api-version=2023-01-31`;
        if (!liveIdentities.has(slot)) {
          liveIdentities.set(slot, path);
          return { ...(await send(server, 'PUT', path, { location: 'westus2' })), want: [200, 201] };
        }
        liveIdentities.delete(slot);
        return { ...(await send(server, 'DELETE', path)), want: [200, 204] };
      }
      const existing = liveAssignments.get(slot);
      if (!existing) {
        const id = randomUUID();
        liveAssignments.set(slot, `${assignmentScopes[slot]}/providers/Microsoft.Authorization/roleAssignments/${id}`);
        return { ...(await assign(server, assignmentScopes[slot]!, READER, vmPrincipal, id)), want: [200, 201] };
      }
      liveAssignments.delete(slot);
      return { ...(await send(server, 'DELETE', `${existing}?api-version=2022-04-01`)), want: [200, 204] };
    };
    const ops: [string, (n: number) => Promise<Answer>][] = [
      [
        'token',
        async (n) => {
          const s = servers[n % 2]!.bootstrap;
          const res = await call(`${bases[n % 2]}/${s.tenantId}/oauth2/v2.0/token`, {
            method: 'POST',
            body: new URLSearchParams({
              grant_type: 'client_credentials',
              client_id: s.clientId,
              client_secret: s.clientSecret,
              scope: `${MANAGEMENT}.default`,
            }),
          });
          await res.arrayBuffer();
          return { status: res.status, want: [200] };
        },
      ],
      [
        'arm read',
        async (n) => ({ ...(await send(n % 2, 'GET', `${n % 4 < 2 ? vmPath : group}?api-version=${n % 4 < 2 ? '2024-07-01' : '2021-04-01'}`)), want: [200] }),
      ],
      [
        'arm write',
        async () => {
          // One write at a time: a create and the delete of the same slot must not overlap.
          const previous = writeLock;
          let release = () => undefined as void;
          writeLock = new Promise<void>((done) => (release = done));
          await previous;
          const started = Date.now();
          try {
            return { ...(await armWrite()), started };
          } finally {
            release();
          }
        },
      ],
      [
        'imds token',
        async (n) => {
          const res = await imds([MANAGEMENT, STORAGE, 'https://vault.azure.net'][n % 3]!);
          await res.arrayBuffer();
          return { status: res.status, want: [200] };
        },
      ],
      [
        'blob read',
        async (n) => {
          const res = await call(`${bases[n % 2]}/${account}/soak/hello.txt`, { headers: blobHeaders(vmStorageToken) });
          const text = await res.text();
          return {
            status: res.status,
            want: [200],
            text:
              res.status === 200 && text !== BLOB_TEXT ? 'wrong bytes' : `server ${n % 2} ${res.headers.get('www-authenticate') ?? ''} ${text.slice(0, 300)}`,
          };
        },
      ],
    ];
    const record = (kind: string, t0: number, ok: boolean, detail: string) => {
      const now = Date.now();
      outcomes.push({ kind, t: t0 - start, ms: now - t0, ok });
      if (!ok && errors.length < 50) errors.push(`${kind} at ${((t0 - start) / 1000).toFixed(1)} s: ${detail}`);
    };
    const WORKERS = 4;
    const interval = (1000 * WORKERS) / options.rate;
    const worker = async (w: number) => {
      let next = start + (w * interval) / WORKERS;
      for (let i = w; Date.now() < end; i += WORKERS) {
        const [kind, op] = ops[i % ops.length]!;
        const n = Math.floor(i / ops.length);
        const t0 = Date.now();
        try {
          const r = await op(n);
          record(kind, r.started ?? t0, r.want.includes(r.status) && r.text !== 'wrong bytes', `${r.status} ${r.text ?? ''}`);
        } catch (error) {
          record(kind, t0, false, String((error as Error).cause ?? error));
        }
        next += interval;
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
        else next = Date.now(); // behind schedule: carry on without a burst
      }
    };

    // Identity churn: attach on server A, the agent (on B) asked until it serves the identity; detach, until it refuses.
    const churn = { cycles: 0, attach: [] as number[], detach: [] as number[], failures: 0 };
    const churner = async () => {
      let next = start + options.churnSeconds * 500;
      while (Date.now() < end - 2000) {
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
        next += options.churnSeconds * 1000;
        try {
          for (const attach of [true, false]) {
            const body = attach
              ? { identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [uamiId]: {} } } }
              : { identity: { type: 'SystemAssigned' } };
            const t0 = Date.now();
            const r = await send(churn.cycles % 2, 'PATCH', `${vmPath}?api-version=2024-07-01`, body);
            record('churn write', t0, r.status === 200 || r.status === 202, `${r.status} ${r.text.slice(0, 200)}`);
            const changed = Date.now();
            for (;;) {
              const res = await imds(MANAGEMENT, uamiClient);
              await res.arrayBuffer();
              if ((res.status === 200) === attach) break;
              if (Date.now() - changed > 10_000) throw new Error(`the agent still answers ${res.status} 10 s after the ${attach ? 'attach' : 'detach'}`);
              await sleep(25);
            }
            (attach ? churn.attach : churn.detach).push(Date.now() - changed);
          }
          churn.cycles++;
        } catch (error) {
          churn.failures++;
          if (errors.length < 50) errors.push(`churn: ${(error as Error).message}`);
        }
      }
    };

    // Sampling of the three processes.
    const pids: Record<string, number> = { 'server A': a.child.pid!, 'server B': b.child.pid!, agent: agent.child.pid! };
    const processes: Record<string, ProcessSample[]> = Object.fromEntries(Object.keys(pids).map((k) => [k, []]));
    const sampler = async () => {
      while (Date.now() < end) {
        const t = (Date.now() - start) / 1000;
        for (const [name, pid] of Object.entries(pids)) {
          const s = await sampleProcess(pid);
          if (s) processes[name]!.push({ t, ...s });
        }
        await sleep(options.sampleSeconds * 1000);
      }
    };
    const progress = setInterval(() => log(`${Math.round((Date.now() - start) / 1000)} s: ${outcomes.length} requests, ${errors.length} errors`), 60_000);
    await Promise.all([...Array.from({ length: WORKERS }, (_, w) => worker(w)), churner(), sampler()]);
    clearInterval(progress);

    // ---- figures ----
    const steady = outcomes.filter((o) => !o.kind.startsWith('churn'));
    const windows: WindowStats[] = [];
    for (let i = 0; i * options.windowSeconds < options.seconds; i++) {
      const from = i * options.windowSeconds * 1000;
      const inside = steady.filter((o) => o.t >= from && o.t < from + options.windowSeconds * 1000);
      const ms = inside.map((o) => o.ms).sort((x, y) => x - y);
      windows.push({
        index: i,
        startS: from / 1000,
        requests: inside.length,
        errors: inside.filter((o) => !o.ok).length,
        p50: percentile(ms, 50),
        p99: percentile(ms, 99),
        max: ms.at(-1) ?? NaN,
      });
    }
    const kinds: SoakResult['kinds'] = {};
    for (const kind of new Set(outcomes.map((o) => o.kind))) {
      const of = outcomes.filter((o) => o.kind === kind);
      const ms = of.map((o) => o.ms).sort((x, y) => x - y);
      kinds[kind] = { requests: of.length, errors: of.filter((o) => !o.ok).length, p50: percentile(ms, 50), p99: percentile(ms, 99) };
    }
    const metrics: Record<string, Sample[]> = {};
    for (const [i, port] of metricsPorts.entries()) metrics[i === 0 ? 'server A' : 'server B'] = await scrape(`http://127.0.0.1:${port}/metrics`);
    const alive = Object.fromEntries(
      Object.entries({ 'server A': a.child, 'server B': b.child, agent: agent.child }).map(([k, c]) => [k, c.exitCode === null && c.signalCode === null]),
    );
    const sorted = (v: number[]) => [...v].sort((x, y) => x - y);
    return {
      options,
      processes,
      windows,
      kinds,
      errors,
      churn: {
        cycles: churn.cycles,
        failures: churn.failures,
        attachP50: percentile(sorted(churn.attach), 50),
        attachMax: sorted(churn.attach).at(-1) ?? NaN,
        detachP50: percentile(sorted(churn.detach), 50),
        detachMax: sorted(churn.detach).at(-1) ?? NaN,
      },
      metrics,
      alive,
    };
  } finally {
    await agent?.stop();
    for (const s of servers) await s.dispose();
    await db.drop();
    httpsAgent.destroy();
    httpAgent.destroy();
  }
}

export interface Growth {
  process: string;
  rssFirstMiB: number;
  rssLastMiB: number;
  rssGrowth: number;
  fdsFirst: number;
  fdsLast: number;
  fdsGrowth: number;
}

/**
 * Growth after warm-up: the median of the first quarter of the post-warm-up samples against the
 * median of the last quarter. Medians of several samples each side, so one sample caught before or
 * after a garbage collection moves neither figure.
 */
export function growthOf(result: SoakResult): Growth[] {
  return Object.entries(result.processes).map(([name, samples]) => {
    const after = samples.filter((s) => s.t >= result.options.warmupSeconds);
    const k = Math.max(3, Math.floor(after.length / 4));
    const first = after.slice(0, k);
    const last = after.slice(-k);
    const rssFirst = median(first.map((s) => s.rssKiB));
    const rssLast = median(last.map((s) => s.rssKiB));
    const fdsFirst = median(first.map((s) => s.fds));
    const fdsLast = median(last.map((s) => s.fds));
    return {
      process: name,
      rssFirstMiB: rssFirst / 1024,
      rssLastMiB: rssLast / 1024,
      rssGrowth: (rssLast - rssFirst) / rssFirst,
      fdsFirst,
      fdsLast,
      fdsGrowth: (fdsLast - fdsFirst) / fdsFirst,
    };
  });
}

/**
 * Latency stability over the complete post-warm-up windows: the median p99 of the last third of
 * them against the median p99 of the first third. Stable when the later figure is at most twice the
 * earlier one, or at most 50 ms above it. Medians over several windows, because on a shared
 * two-core machine one window's p99 jumps several-fold whenever another process takes the cores
 * (seen: 25 → 129 ms in one 8 s window and back); a leak or a structure that grows with the run
 * shows as a climb that lasts, which moves the median of a third of the run.
 */
export function latencyOf(result: SoakResult): { firstP99: number; lastP99: number; stable: boolean } {
  const typical = median(result.windows.map((w) => w.requests));
  const after = result.windows.filter((w) => w.startS >= result.options.warmupSeconds && w.requests >= typical * 0.8);
  const third = Math.max(2, Math.floor(after.length / 3));
  const firstP99 = median(after.slice(0, third).map((w) => w.p99));
  const lastP99 = median(after.slice(-third).map((w) => w.p99));
  return { firstP99, lastP99, stable: lastP99 <= Math.max(2 * firstP99, firstP99 + 50) };
}

/**
 * Descriptor growth within bounds: under 10 %, or at most 3 descriptors. A process here holds about
 * 40; its pools open and close connections as the load wavers (PostgreSQL up to 10 with a 10 s idle
 * timeout, client keep-alive sockets), so 3 or 4 descriptors either way are a pool breathing, not a
 * leak — a leak keeps climbing and passes both bounds over the full run.
 */
export function fdsWithinBounds(g: Growth): boolean {
  return g.fdsGrowth < 0.1 || g.fdsLast - g.fdsFirst <= 3;
}

export function metricSummary(samples: Sample[]): Record<string, number> {
  return {
    requests: metric(samples, 'keyless_http_requests_total'),
    '5xx': samples.filter((s) => s.name === 'keyless_http_requests_total' && s.labels.status?.startsWith('5')).reduce((x, s) => x + s.value, 0),
    tokensClientCredentials: metric(samples, 'keyless_tokens_issued_total', { kind: 'client_credentials' }),
    tokensManagedIdentity: metric(samples, 'keyless_tokens_issued_total', { kind: 'managed_identity' }),
    refusedManagedIdentity: metric(samples, 'keyless_token_refusals_total', { kind: 'managed_identity' }),
    cacheHits: metric(samples, 'keyless_cache_lookups_total', { result: 'hit' }),
    cacheMisses: metric(samples, 'keyless_cache_lookups_total', { result: 'miss' }),
    rbacAllowed: metric(samples, 'keyless_rbac_decisions_total', { decision: 'allowed' }),
    rbacDenied: metric(samples, 'keyless_rbac_decisions_total', { decision: 'denied' }),
  };
}
