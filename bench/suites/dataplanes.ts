/**
 * Data planes (issue 10, item 9): authorized reads of a small blob per second through Keyless's Blob
 * data plane (bearer token verified, account looked up, RBAC data action decided) next to the same
 * reads from the blob engine with no authorization at all (bench/targets/blob-engine.ts), target
 * ≥ 0.8×; Key Vault `getSecret` per second; and the p99 of the authorization step (token
 * verification + RBAC decision), from the latency difference of the two blob runs and in process.
 */
import { request } from 'node:https';
import { stopChild, forkTs, waitForMessage } from '../lib/processes.js';
import { KeylessUnavailableError, startKeyless, type RunningKeyless } from '../lib/keyless-server.js';
import { formBody, loadProblem, runLoad, type LoadResult } from '../lib/load.js';
import { formatNumber, type BenchContext, type Benchmark, type SuiteResult } from '../lib/suite.js';

const BLOB_OWNER = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b';
const SECRETS_OFFICER = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7';
const TITLE = 'Data planes: Blob reads and Key Vault getSecret (dataplanes)';

function call(caPem: string, method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: caPem, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

async function run(context: BenchContext): Promise<SuiteResult> {
  let server: RunningKeyless;
  try {
    server = await startKeyless();
  } catch (e) {
    if (e instanceof KeylessUnavailableError) return { title: TITLE, tables: [], notes: [], problems: [e.message], data: {} };
    throw e;
  }
  const engine = forkTs('bench/targets/blob-engine.ts');
  const problems: string[] = [];
  try {
    const b = server.bootstrap;
    const base = b.authorityHost.replace(/\/$/, '');
    const token = async (scope: string) => {
      const r = await call(
        server.caPem,
        'POST',
        server.tokenUrl,
        { 'content-type': 'application/x-www-form-urlencoded' },
        formBody({ grant_type: 'client_credentials', client_id: b.clientId, client_secret: b.clientSecret, scope }),
      );
      if (r.status !== 200) throw new Error(`token for ${scope}: ${r.status}`);
      return JSON.parse(r.text).access_token as string;
    };
    const armToken = await token('https://management.azure.com/.default');
    const storageToken = await token('https://storage.azure.com/.default');
    const port = new URL(base).port;
    const vaultToken = await token(`https://vault.keyless.localhost:${port}/.default`);
    const oid = JSON.parse(Buffer.from(armToken.split('.')[1]!, 'base64url').toString()).oid as string;
    const arm = async (method: string, path: string, body?: unknown) => {
      const r = await call(
        server.caPem,
        method,
        `${base}${path}`,
        { authorization: `Bearer ${armToken}`, 'content-type': 'application/json' },
        body === undefined ? undefined : JSON.stringify(body),
      );
      if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
      return r.text ? JSON.parse(r.text) : undefined;
    };
    const sub = (await arm('GET', '/subscriptions?api-version=2022-12-01')).value[0].subscriptionId as string;
    const group = `/subscriptions/${sub}/resourceGroups/bench-data`;
    await arm('PUT', `${group}?api-version=2021-04-01`, { location: 'westeurope' });
    await arm('PUT', `${group}/providers/Microsoft.Storage/storageAccounts/benchdata?api-version=2023-05-01`, {
      location: 'westeurope',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
    });
    await arm('PUT', `${group}/providers/Microsoft.KeyVault/vaults/benchvault?api-version=2023-07-01`, {
      location: 'westeurope',
      properties: { tenantId: b.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true, accessPolicies: [] },
    });
    const assign = (scope: string, role: string) =>
      arm('PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`, {
        properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId: oid, principalType: 'ServicePrincipal' },
      });
    await assign(`${group}/providers/Microsoft.Storage/storageAccounts/benchdata`, BLOB_OWNER);
    await assign(`${group}/providers/Microsoft.KeyVault/vaults/benchvault`, SECRETS_OFFICER);

    const blob = JSON.stringify({ feature: true, pad: 'x'.repeat(200) });
    const storageHeaders = { authorization: `Bearer ${storageToken}`, 'x-ms-version': '2025-01-05' };
    const accountUrl = `${base}/benchdata`;
    if ((await call(server.caPem, 'PUT', `${accountUrl}/bench?restype=container`, storageHeaders)).status !== 201) throw new Error('container create failed');
    const put = await call(
      server.caPem,
      'PUT',
      `${accountUrl}/bench/small.json`,
      { ...storageHeaders, 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/json' },
      blob,
    );
    if (put.status !== 201) throw new Error(`blob upload failed: ${put.status} ${put.text}`);
    // Key Vault is host-style: the request goes to the listener with the vault's Host header.
    const vaultHeaders = { authorization: `Bearer ${vaultToken}`, host: `benchvault.vault.keyless.localhost:${port}`, 'content-type': 'application/json' };
    const set = await call(server.caPem, 'PUT', `${base}/secrets/db-password?api-version=7.5`, vaultHeaders, JSON.stringify({ value: 'pa55w0rd' }));
    if (set.status !== 200) throw new Error(`setSecret failed: ${set.status} ${set.text}`);

    engine.send({ bytes: Buffer.from(blob).toString('base64') });
    const ready = await waitForMessage<{ type: 'ready'; port: number; caPem: string }>(engine, 'ready', 60_000);
    const load = (url: string, headers: Record<string, string>, caPem: string) =>
      runLoad({
        url,
        form: {},
        method: 'GET',
        headers,
        caPem,
        connections: context.connections,
        durationSeconds: context.durationSeconds,
        warmupSeconds: context.warmupSeconds,
      });
    const runs: Record<'keyless' | 'engine' | 'vault', LoadResult[]> = { keyless: [], engine: [], vault: [] };
    for (let round = 0; round < context.rounds; round++) {
      context.log(`dataplanes: round ${round + 1}/${context.rounds}: blob engine without authorization`);
      runs.engine.push(await load(`https://127.0.0.1:${ready.port}/benchdata/bench/small.json`, {}, ready.caPem));
      context.log(`dataplanes: round ${round + 1}/${context.rounds}: Keyless Blob data plane (bearer + RBAC)`);
      runs.keyless.push(await load(`${accountUrl}/bench/small.json`, storageHeaders, server.caPem));
      context.log(`dataplanes: round ${round + 1}/${context.rounds}: Key Vault getSecret`);
      runs.vault.push(await load(`${base}/secrets/db-password/?api-version=7.5`, vaultHeaders, server.caPem));
    }
    for (const r of [...runs.keyless, ...runs.engine, ...runs.vault]) {
      const p = loadProblem(r);
      if (p) problems.push(p);
    }
    const pick = (list: LoadResult[]) => {
      const m = median(list.map((r) => r.requestsPerSecond));
      return list.find((r) => r.requestsPerSecond === m)!;
    };
    const keyless = pick(runs.keyless);
    const engineRun = pick(runs.engine);
    const vault = pick(runs.vault);
    const ratio = keyless.requestsPerSecond / engineRun.requestsPerSecond;
    const row = (name: string, r: LoadResult, vs: string) => [
      name,
      formatNumber(r.requestsPerSecond),
      formatNumber(r.latencyMs.p50, 2),
      formatNumber(r.latencyMs.p99, 2),
      String(r.non2xx + r.errors),
      vs,
    ];
    return {
      title: TITLE,
      tables: [
        {
          columns: ['Request (HTTPS, keep-alive)', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'vs engine'],
          rows: [
            row('Blob engine, no authorization (baseline)', engineRun, '1.00x'),
            row('Get Blob 220 B, bearer + RBAC data action (path-style)', keyless, `${formatNumber(ratio, 2)}x`),
            row('Key Vault getSecret (host-style, RBAC)', vault, '—'),
          ],
        },
      ],
      notes: [
        `Authorized blob reads: ${formatNumber(ratio, 2)}x the engine without authorization (target ≥ 0.8x: ${ratio >= 0.8 ? 'met' : 'NOT met'}).`,
        `Authorization step: p99 latency ${formatNumber(keyless.latencyMs.p99, 2)} ms authorized vs ${formatNumber(engineRun.latencyMs.p99, 2)} ms without (difference ${formatNumber(Math.max(0, keyless.latencyMs.p99 - engineRun.latencyMs.p99), 2)} ms under ${context.connections} connections), which bounds what verifying the token, looking up the account (cached 1 s) and deciding the data action cost.`,
        "Method: one `keyless serve` (default settings, SQLite) and, in its own process, the same blob engine (src/core/blob over the same store code, SQLite) behind a bare Fastify HTTPS route with no authentication; autocannon in its own process sends the same GET to each, interleaved rounds, median reported. Key Vault requests go to the listener with the vault's Host header (the DNS name is not needed to measure).",
      ],
      problems,
      data: { keyless, engine: engineRun, vault, ratio },
    };
  } finally {
    await stopChild(engine);
    await server.stop();
  }
}

export const benchmark: Benchmark = {
  name: 'dataplanes',
  description: 'Data planes: authorized blob reads/s vs the blob engine without authorization; Key Vault getSecret/s',
  run,
};
