/**
 * Kusto (issue 12, item 7): management commands per second (`.show cluster policy managed_identity`)
 * and `T | count` queries per second over HTTPS, next to a bare authenticated ARM GET on the same
 * server in the same run; and rows per second of `.ingest into` from a 10 MB CSV blob read from
 * Keyless's Blob data plane as the cluster's system-assigned identity (token from the token service,
 * RBAC decided by the data plane).
 */
import { request } from 'node:https';
import { KeylessUnavailableError, startKeyless, type RunningKeyless } from '../lib/keyless-server.js';
import { formBody, loadProblem, runLoad, type LoadResult } from '../lib/load.js';
import { formatNumber, type BenchContext, type Benchmark, type SuiteResult } from '../lib/suite.js';

const BLOB_READER = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
const BLOB_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';

function call(
  server: RunningKeyless,
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<{ status: number; json: any; ms: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: server.caPem, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json, ms: Number(process.hrtime.bigint() - started) / 1e6 });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function token(server: RunningKeyless, scope: string): Promise<string> {
  const b = server.bootstrap;
  const body = formBody({ grant_type: 'client_credentials', client_id: b.clientId, client_secret: b.clientSecret, scope });
  const r = await call(server, 'POST', server.tokenUrl, { 'content-type': 'application/x-www-form-urlencoded' }, body);
  if (r.status !== 200) throw new Error(`token for ${scope}: ${r.status}`);
  return r.json.access_token as string;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

async function run(context: BenchContext): Promise<SuiteResult> {
  const problems: string[] = [];
  let server: RunningKeyless;
  try {
    server = await startKeyless();
  } catch (e) {
    if (e instanceof KeylessUnavailableError)
      return { title: 'Kusto (Azure Data Explorer) data plane (kusto)', tables: [], notes: [], problems: [e.message], data: {} };
    throw e;
  }
  try {
    const base = server.bootstrap.authorityHost.replace(/\/$/, '');
    const armToken = await token(server, 'https://management.azure.com/.default');
    const kustoToken = await token(server, 'https://kusto.keyless.localhost/.default');
    const storageToken = await token(server, 'https://storage.azure.com/.default');
    const adminOid = JSON.parse(Buffer.from(armToken.split('.')[1]!, 'base64url').toString()).oid as string;
    const arm = async (method: string, path: string, body?: unknown) => {
      const r = await call(
        server,
        method,
        `${base}${path}`,
        { authorization: `Bearer ${armToken}`, 'content-type': 'application/json' },
        body === undefined ? undefined : JSON.stringify(body),
      );
      if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json;
    };
    const sub = (await arm('GET', '/subscriptions?api-version=2022-12-01')).value[0].subscriptionId as string;
    const group = `/subscriptions/${sub}/resourceGroups/bench-adx`;
    await arm('PUT', `${group}?api-version=2021-04-01`, { location: 'westeurope' });
    const cluster = await arm('PUT', `${group}/providers/Microsoft.Kusto/clusters/benchadx?api-version=2023-08-15`, {
      location: 'westeurope',
      sku: { name: 'Standard_E2ads_v5', tier: 'Standard' },
      identity: { type: 'SystemAssigned' },
    });
    const clusterUri = cluster.properties.uri as string;
    const systemPrincipal = cluster.identity.principalId as string;
    await arm('PUT', `${group}/providers/Microsoft.Kusto/clusters/benchadx/databases/bench?api-version=2023-08-15`, {
      kind: 'ReadWrite',
      location: 'westeurope',
    });
    await arm('PUT', `${group}/providers/Microsoft.Kusto/clusters/benchadx/principalAssignments/admin?api-version=2023-08-15`, {
      properties: { principalId: server.bootstrap.clientId, principalType: 'App', role: 'AllDatabasesAdmin' },
    });
    await arm('PUT', `${group}/providers/Microsoft.Storage/storageAccounts/benchadxdata?api-version=2023-01-01`, {
      location: 'westeurope',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
    });
    const account = `${group}/providers/Microsoft.Storage/storageAccounts/benchadxdata`;
    const assign = (role: string, principalId: string) =>
      arm('PUT', `${account}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`, {
        properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId, principalType: 'ServicePrincipal' },
      });
    await assign(BLOB_CONTRIBUTOR, adminOid);
    await assign(BLOB_READER, systemPrincipal);

    const storage = (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) =>
      call(server, method, `${base}/benchadxdata${path}`, { authorization: `Bearer ${storageToken}`, 'x-ms-version': '2025-01-05', ...headers }, body);
    await storage('PUT', '/input?restype=container');
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 10 * 1024 * 1024; i++) {
      const line = `name_${i},${i},${['Paris', 'Lyon', 'Nice', 'Lille'][i % 4]},${(i * 0.37).toFixed(2)}\n`;
      lines.push(line);
      size += line.length;
    }
    const csv = Buffer.from(lines.join(''));
    const put = await storage('PUT', '/input/big.csv', csv, { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'text/csv' });
    if (put.status !== 201) problems.push(`blob upload: ${put.status}`);

    const kusto = (csl: string, kind: 'mgmt' | 'query' = 'mgmt') =>
      call(
        server,
        'POST',
        `${clusterUri}/${kind === 'mgmt' ? 'v1/rest/mgmt' : 'v2/rest/query'}`,
        { authorization: `Bearer ${kustoToken}`, 'content-type': 'application/json; charset=utf-8' },
        JSON.stringify({ db: 'bench', csl }),
      );
    await kusto('.alter cluster policy managed_identity ```[{"ObjectId": "system", "AllowedUsages": "NativeIngestion"}]```');
    await kusto('.create table Big (Name:string, N:long, City:string, Score:real)');
    await kusto('.create table Small (Name:string, N:long)');

    // Ingest: the 10 MB blob, read as the cluster's identity each time.
    const ingestMs: number[] = [];
    const samples = context.smoke ? 1 : 3;
    for (let i = 0; i < samples; i++) {
      const r = await kusto(`.ingest into table Big (h'${base}/benchadxdata/input/big.csv;managed_identity=system') with (format='csv')`);
      if (r.status !== 200) problems.push(`ingest: ${r.status} ${JSON.stringify(r.json)}`);
      ingestMs.push(r.ms);
    }
    const counted = await kusto('Big | count', 'query');
    const total = Number(counted.json?.find?.((f: { TableKind?: string }) => f.TableKind === 'PrimaryResult')?.Rows?.[0]?.[0] ?? 0);
    if (total !== lines.length * samples) problems.push(`Big | count = ${total}, expected ${lines.length * samples}`);
    const rowsPerSecond = lines.length / (median(ingestMs) / 1000);

    // A 1,000-row table for the query rate.
    const values = Array.from({ length: 1000 }, (_, i) => `name_${i},${i}`).join('\n');
    await storage('PUT', '/input/small.csv', Buffer.from(values), { 'x-ms-blob-type': 'BlockBlob' });
    await kusto(`.ingest into table Small (h'${base}/benchadxdata/input/small.csv;managed_identity=system')`);

    const load = (url: string, method: 'GET' | 'POST', authorization: string, body?: string) =>
      runLoad({
        url,
        method,
        form: {},
        ...(body ? { body } : {}),
        headers: { authorization, ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}) },
        caPem: server.caPem,
        connections: context.connections,
        durationSeconds: context.durationSeconds,
        warmupSeconds: context.warmupSeconds,
      });
    const runs: Record<string, LoadResult[]> = { arm: [], mgmt: [], query: [] };
    for (let r = 0; r < context.rounds; r++) {
      context.log(`round ${r + 1}: ARM GET resource group`);
      runs['arm']!.push(await load(`${base}${group}?api-version=2021-04-01`, 'GET', `Bearer ${armToken}`));
      context.log(`round ${r + 1}: .show cluster policy managed_identity`);
      runs['mgmt']!.push(
        await load(`${clusterUri}/v1/rest/mgmt`, 'POST', `Bearer ${kustoToken}`, JSON.stringify({ db: 'bench', csl: '.show cluster policy managed_identity' })),
      );
      context.log(`round ${r + 1}: Small | count`);
      runs['query']!.push(await load(`${clusterUri}/v2/rest/query`, 'POST', `Bearer ${kustoToken}`, JSON.stringify({ db: 'bench', csl: 'Small | count' })));
    }
    for (const result of Object.values(runs).flat()) {
      const p = loadProblem(result);
      if (p) problems.push(p);
    }
    const pick = (rs: LoadResult[]) => rs.slice().sort((x, y) => x.requestsPerSecond - y.requestsPerSecond)[Math.floor((rs.length - 1) / 2)]!;
    const armResult = pick(runs['arm']!);
    const row = (label: string, m: LoadResult) => [
      label,
      formatNumber(m.requestsPerSecond),
      formatNumber(m.latencyMs.p50, 1),
      formatNumber(m.latencyMs.p99, 1),
      String(m.non2xx + m.errors + m.timeouts),
      `${(m.requestsPerSecond / armResult.requestsPerSecond).toFixed(2)}×`,
    ];
    return {
      title: 'Kusto (Azure Data Explorer) data plane (kusto)',
      tables: [
        {
          columns: ['Request (HTTPS, keep-alive)', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'vs ARM GET'],
          rows: [
            row('ARM GET resource group (bare authenticated ARM call)', armResult),
            row('.show cluster policy managed_identity (/v1/rest/mgmt)', pick(runs['mgmt']!)),
            row('count query over table Small, 1,000 rows (/v2/rest/query)', pick(runs['query']!)),
          ],
        },
        {
          columns: ['.ingest into from a blob, as the cluster identity', 'value'],
          rows: [
            ['blob size', `${formatNumber(csv.length / 1024 / 1024, 1)} MiB, ${formatNumber(lines.length)} rows, 4 columns`],
            ['ingest wall time, median of ' + samples + ' (ms)', formatNumber(median(ingestMs))],
            ['rows/s', formatNumber(rowsPerSecond)],
          ],
        },
      ],
      notes: [
        "Method: one `keyless serve` (default settings, SQLite); autocannon in its own process sends the same request each time with a token for `https://kusto.keyless.localhost` (the audience /v1/rest/auth/metadata advertises) or for ARM. Every Kusto request verifies the token, reads the cluster and its principal assignments from the store and decides the Kusto role; `T | count` also reads the table's extents (rows are kept as JSON per ingestion, so query cost grows with the table). The ingest obtains the cluster's system-assigned identity token from the token service, downloads the blob over HTTPS from Keyless's own Blob data plane (bearer + RBAC), parses the CSV and writes one extent.",
      ],
      problems,
      data: { arm: armResult, mgmt: pick(runs['mgmt']!), query: pick(runs['query']!), ingestMs, rows: lines.length, rowsPerSecond },
    };
  } finally {
    await server.stop();
  }
}

export const benchmark: Benchmark = {
  name: 'kusto',
  description: 'Kusto: .show policy and T | count per second vs an ARM GET; .ingest rows/s from a 10 MB blob as the cluster identity',
  run,
};
