/**
 * HDInsight cluster creation against Keyless: time from the create PUT to `clusterState: Running`
 * (PUT → poll `Azure-AsyncOperation` until Succeeded → GET the cluster), as a client sees it, p50/p99
 * over N creates of each of three shapes, interleaved:
 *   (1) Blob storage with a key: the kit, HDInsight's body and identity checks, no identity work;
 *   (2) + Data Lake Gen2 with a managed identity: RBAC check, the identity's token, the file system and
 *       three directories created as the identity through the Blob/Data Lake data plane;
 *   (3) + a customer-managed key: the vault identity's token, key read, wrap and unwrap through the
 *       Key Vault data plane.
 * The breakdown is the difference of medians ((2)−(1) storage, (3)−(2) wrap). Azure: 15–20 minutes.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KeylessUnavailableError, startKeyless, type RunningKeyless } from '../lib/keyless-server.js';
import { formatNumber, type Benchmark, type SuiteResult } from '../lib/suite.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

function call(ca: string, method: string, url: string, token: string, body?: unknown, extra: Record<string, string> = {}): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}), ...extra } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function tokenFor(ca: string, b: RunningKeyless['bootstrap'], tokenUrl: string, scope: string): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: b.clientId, client_secret: b.clientSecret, scope }).toString();
  return new Promise((resolve, reject) => {
    const req = request(tokenUrl, { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => {
        const token = (JSON.parse(text) as { access_token?: string }).access_token;
        if (token) resolve(token);
        else reject(new Error(`token request failed: ${text.slice(0, 300)}`));
      });
    });
    req.on('error', reject);
    req.end(form);
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

export const benchmark: Benchmark = {
  name: 'hdinsight',
  description: 'HDInsight create → Running (Blob key, + Data Lake Gen2 identity, + customer-managed key), p50/p99',
  async run(context): Promise<SuiteResult> {
    const title = 'HDInsight clusters: create → Running';
    const creates = context.smoke ? 2 : 20;
    const problems: string[] = [];
    let server: RunningKeyless | undefined;
    try {
      try {
        server = await startKeyless();
      } catch (e) {
        if (e instanceof KeylessUnavailableError) return { title, tables: [], notes: [], problems: [e.message], data: {} };
        throw e;
      }
      const b = server.bootstrap;
      const full = JSON.parse(await readFile(join(dirname(b.caCertFile), 'bootstrap.json'), 'utf8')) as { subscriptionId: string; armEndpoint: string };
      const ca = server.caPem;
      const armUrl = full.armEndpoint;
      const port = new URL(armUrl).port;
      const arm = await tokenFor(ca, b, server.tokenUrl, 'https://management.azure.com/.default');
      const vault = await tokenFor(ca, b, server.tokenUrl, 'https://vault.azure.net/.default');
      const oid = (JSON.parse(Buffer.from(arm.split('.')[1]!, 'base64url').toString()) as { oid: string }).oid;
      const group = `/subscriptions/${full.subscriptionId}/resourceGroups/bench-hdi`;
      const put = async (path: string, body: unknown) => {
        const r = await call(ca, 'PUT', `${armUrl}${path}`, arm, body);
        if (r.status >= 300) throw new Error(`PUT ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        return r.body;
      };
      const assign = (scope: string, role: string, principalId: string) =>
        put(`${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`, {
          properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId, principalType: 'ServicePrincipal' },
        });
      await put(`${group}?api-version=2021-04-01`, { location: 'westus2' });
      const identity = await put(`${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/bench-msi?api-version=2023-01-31`, {
        location: 'westus2',
      });
      const accountId = `${group}/providers/Microsoft.Storage/storageAccounts/benchlake`;
      await put(`${accountId}?api-version=2022-09-01`, {
        location: 'westus2',
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
        properties: { isHnsEnabled: true },
      });
      const vaultId = `${group}/providers/Microsoft.KeyVault/vaults/benchkv`;
      await put(`${vaultId}?api-version=2022-07-01`, {
        location: 'westus2',
        properties: { tenantId: b.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true },
      });
      await assign(vaultId, '14b46e9e-c2b7-41b4-b07b-48a6ebf60603', oid);
      await assign(accountId, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', identity.properties.principalId);
      await assign(vaultId, 'e147488a-f6f5-4113-8e2d-b22465e65bf6', identity.properties.principalId);
      const key = await call(ca, 'POST', `https://127.0.0.1:${port}/.keyless-dataplane/vault/benchkv/keys/bench-key/create?api-version=7.4`, vault, {
        kty: 'RSA',
        key_size: 2048,
      });
      if (key.status !== 200) throw new Error(`key create: ${key.status} ${JSON.stringify(key.body)}`);
      const keyVersion = String(key.body.key.kid).split('/').at(-1)!;

      const shapes = ['blob', 'lake', 'lake+cmk'] as const;
      const body = (shape: (typeof shapes)[number], name: string) => ({
        location: 'westus2',
        ...(shape === 'blob' ? {} : { identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } } }),
        properties: {
          clusterVersion: '5.1',
          osType: 'Linux',
          clusterDefinition: {
            kind: shape === 'lake+cmk' ? 'kafka' : 'spark',
            configurations: {
              gateway: { 'restAuthCredential.isEnabled': 'true', 'restAuthCredential.username': 'admin', 'restAuthCredential.password': 'Bench-Passw0rd!1' },
            },
          },
          computeProfile: {
            roles: [
              { name: 'headnode', targetInstanceCount: 2 },
              { name: 'workernode', targetInstanceCount: 3 },
            ],
          },
          storageProfile: {
            storageaccounts: [
              shape === 'blob'
                ? { name: 'benchlake.blob.core.windows.net', isDefault: true, container: name, key: 'a2V5' }
                : { name: `benchlake.dfs.keyless.localhost:${port}`, isDefault: true, fileSystem: name, resourceId: accountId, msiResourceId: identity.id },
            ],
          },
          ...(shape === 'lake+cmk'
            ? {
                diskEncryptionProperties: {
                  vaultUri: `https://benchkv.vault.keyless.localhost:${port}`,
                  keyName: 'bench-key',
                  keyVersion,
                  msiResourceId: identity.id,
                },
              }
            : {}),
        },
      });
      const samples: Record<(typeof shapes)[number], number[]> = { blob: [], lake: [], 'lake+cmk': [] };
      for (let i = 0; i < creates && problems.length === 0; i++) {
        for (const shape of shapes) {
          const name = `c${shape.replace(/\W/g, '')}${i}`;
          const url = `${armUrl}${group}/providers/Microsoft.HDInsight/clusters/${name}?api-version=2021-06-01`;
          const started = performance.now();
          const created = await call(ca, 'PUT', url, arm, body(shape, name));
          if (created.status !== 200) {
            problems.push(`create ${shape}: ${created.status} ${JSON.stringify(created.body).slice(0, 300)}`);
            break;
          }
          const poll = String(created.headers['azure-asyncoperation']);
          for (;;) {
            const status = await call(ca, 'GET', poll, arm);
            if (status.body?.status === 'Succeeded') break;
            if (status.body?.status === 'Failed') {
              problems.push(`create ${shape} failed: ${JSON.stringify(status.body)}`);
              break;
            }
          }
          const got = await call(ca, 'GET', url, arm);
          if (got.body?.properties?.clusterState !== 'Running') problems.push(`${name} is ${got.body?.properties?.clusterState}`);
          samples[shape].push(performance.now() - started);
        }
        context.log(`hdinsight: round ${i + 1}/${creates}`);
      }
      const ms = (x: number) => formatNumber(x, 1);
      const p50 = (s: (typeof shapes)[number]) => percentile(samples[s], 50);
      const rows = shapes.map((s) => [
        {
          blob: '(1) Blob storage with a key (checks only)',
          lake: '(2) + Data Lake Gen2 as the identity',
          'lake+cmk': '(3) + customer-managed key (Kafka BYOK)',
        }[s],
        ms(p50(s)),
        ms(percentile(samples[s], 99)),
      ]);
      return {
        title,
        tables: [{ columns: [`Cluster (${creates} creates each, interleaved)`, 'p50 ms', 'p99 ms'], rows }],
        notes: [
          `Breakdown of (3) at p50: kit, body and identity checks ${ms(p50('blob'))} ms; Data Lake file system and directories as the identity (token, RBAC, 4 data-plane calls) ${ms(p50('lake') - p50('blob'))} ms; key read, wrap and unwrap as the identity ${ms(p50('lake+cmk') - p50('lake'))} ms. Azure takes 15–20 minutes to reach Running.`,
          'Method: one client on the same machine, HTTPS keep-alive off; each create is PUT (200 + Azure-AsyncOperation), polls until Succeeded, then GET showing clusterState Running.',
        ],
        problems,
        data: { creates, p50: Object.fromEntries(shapes.map((s) => [s, p50(s)])), p99: Object.fromEntries(shapes.map((s) => [s, percentile(samples[s], 99)])) },
      };
    } finally {
      await server?.stop();
    }
  },
};
