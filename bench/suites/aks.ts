/**
 * AKS against Keyless (issue 11):
 *   (1) create → Succeeded as a client sees it (PUT → poll `Azure-AsyncOperation` until Succeeded →
 *       GET the cluster), p50/p99 over N creates of two shapes, interleaved: system-assigned control
 *       plane (node resource group, kubelet identity and Contributor made by the RP), and user-assigned
 *       control plane with a pre-created kubelet identity (Managed Identity Operator checked);
 *   (2) kubelet-identity change → the node's first token for the new identity: a `keyless agent` joined
 *       as a node of the cluster's pool, the cluster PUT with the other kubelet identity, then the node's
 *       IMDS asked for it until it answers 200 (time from the PUT's answer), p50/p99 over N changes.
 * Azure: minutes to create; hours for control-plane components to switch identity (the seed's note).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KeylessUnavailableError, startKeyless, type RunningKeyless } from '../lib/keyless-server.js';
import { BENCH_ROOT, stopChild } from '../lib/processes.js';
import { formatNumber, type Benchmark, type SuiteResult } from '../lib/suite.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

function call(ca: string, method: string, url: string, token: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) } },
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

async function armToken(ca: string, b: RunningKeyless['bootstrap'], tokenUrl: string): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: b.clientId,
    client_secret: b.clientSecret,
    scope: 'https://management.azure.com/.default',
  }).toString();
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

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

export const benchmark: Benchmark = {
  name: 'aks',
  description: 'AKS create → Succeeded (system- and user-assigned), kubelet-identity change → node token, p50/p99',
  async run(context): Promise<SuiteResult> {
    const title = 'AKS: create → Succeeded; kubelet-identity change → node token';
    const n = context.smoke ? 2 : 20;
    const problems: string[] = [];
    let server: RunningKeyless | undefined;
    let agent: ChildProcess | undefined;
    try {
      try {
        server = await startKeyless();
      } catch (e) {
        if (e instanceof KeylessUnavailableError) return { title, tables: [], notes: [], problems: [e.message], data: {} };
        throw e;
      }
      const b = server.bootstrap;
      const dataDir = dirname(b.caCertFile);
      const full = JSON.parse(await readFile(join(dataDir, 'bootstrap.json'), 'utf8')) as { subscriptionId: string; armEndpoint: string };
      const ca = server.caPem;
      const arm = full.armEndpoint;
      const token = await armToken(ca, b, server.tokenUrl);
      const group = `/subscriptions/${full.subscriptionId}/resourceGroups/bench-aks`;
      const put = async (path: string, body: unknown) => {
        const r = await call(ca, 'PUT', `${arm}${path}`, token, body);
        if (r.status >= 300) throw new Error(`PUT ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        return r;
      };
      await put(`${group}?api-version=2021-04-01`, { location: 'westus2' });
      const identity = async (name: string) =>
        (await put(`${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}?api-version=2023-01-31`, { location: 'westus2' })).body;
      const cp = await identity('bench-cp');
      const kubelets = [await identity('bench-kubelet-a'), await identity('bench-kubelet-b')];
      for (const k of kubelets) {
        await put(`${k.id}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`, {
          properties: {
            roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/f1a07417-d97a-45cb-824c-7a7467783830',
            principalId: cp.properties.principalId,
            principalType: 'ServicePrincipal',
          },
        });
      }
      const shapes = ['system', 'user'] as const;
      const body = (shape: (typeof shapes)[number], name: string, kubelet = kubelets[0]) => ({
        location: 'westus2',
        identity: shape === 'system' ? { type: 'SystemAssigned' } : { type: 'UserAssigned', userAssignedIdentities: { [cp.id]: {} } },
        properties: {
          kubernetesVersion: '',
          dnsPrefix: name,
          agentPoolProfiles: [{ name: 'nodepool1', count: 3, vmSize: 'Standard_DS2_v2', mode: 'System' }],
          ...(shape === 'user' ? { identityProfile: { kubeletidentity: { resourceId: kubelet.id } } } : {}),
        },
      });
      const createAndWait = async (url: string, payload: unknown, expected: number) => {
        const created = await call(ca, 'PUT', url, token, payload);
        if (created.status !== expected) throw new Error(`PUT ${url}: ${created.status} ${JSON.stringify(created.body).slice(0, 300)}`);
        const poll = String(created.headers['azure-asyncoperation']);
        for (;;) {
          const status = await call(ca, 'GET', poll, token);
          if (status.body?.status === 'Succeeded') break;
          if (status.body?.status !== 'InProgress') throw new Error(`operation: ${JSON.stringify(status.body)}`);
        }
        const got = await call(ca, 'GET', url, token);
        if (got.body?.properties?.provisioningState !== 'Succeeded') throw new Error(`${url} is ${got.body?.properties?.provisioningState}`);
        return got.body;
      };

      const samples: Record<(typeof shapes)[number], number[]> = { system: [], user: [] };
      for (let i = 0; i < n; i++) {
        for (const shape of shapes) {
          const name = `c${shape}${i}`;
          const started = performance.now();
          await createAndWait(`${arm}${group}/providers/Microsoft.ContainerService/managedClusters/${name}?api-version=2022-11-01`, body(shape, name), 201);
          samples[shape].push(performance.now() - started);
        }
      }
      context.log(`aks: ${n} creates of each shape`);

      // (2) A node of the last user-assigned cluster; the kubelet identity alternates between a and b.
      const clusterUrl = `${arm}${group}/providers/Microsoft.ContainerService/managedClusters/cuser${n - 1}?api-version=2022-11-01`;
      const poolId = `${group}/providers/Microsoft.ContainerService/managedClusters/cuser${n - 1}/agentPools/nodepool1`;
      const started = await startAgent(dataDir, poolId);
      agent = started.child;
      const ask = async (clientId: string) =>
        (
          await fetch(`${started.base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com&client_id=${clientId}`, {
            headers: { Metadata: 'true' },
          })
        ).status;
      const changes: number[] = [];
      const writes: number[] = [];
      for (let i = 0; i < n; i++) {
        const next = kubelets[(i + 1) % 2];
        const before = performance.now();
        await createAndWait(clusterUrl, body('user', `cuser${n - 1}`, next), 200);
        const written = performance.now();
        writes.push(written - before);
        let status = 0;
        while ((status = await ask(next.properties.clientId)) !== 200 && performance.now() - written < 5000) {
          /* poll */
        }
        if (status !== 200) {
          problems.push(`the node did not serve the new kubelet identity within 5 s (change ${i + 1})`);
          break;
        }
        changes.push(performance.now() - written);
        if ((await ask(kubelets[i % 2].properties.clientId)) !== 400) problems.push(`the old kubelet identity was still served after change ${i + 1}`);
      }
      const ms = (x: number) => formatNumber(x, 1);
      return {
        title,
        tables: [
          {
            columns: [`Create → Succeeded (${n} each, interleaved)`, 'p50 ms', 'p99 ms'],
            rows: [
              [
                '(1a) system-assigned control plane: node group, kubelet identity `{cluster}-agentpool`, Contributor',
                ms(percentile(samples.system, 50)),
                ms(percentile(samples.system, 99)),
              ],
              [
                '(1b) user-assigned control plane + pre-created kubelet identity (Managed Identity Operator checked)',
                ms(percentile(samples.user, 50)),
                ms(percentile(samples.user, 99)),
              ],
            ],
          },
          {
            columns: [`Kubelet-identity change (${changes.length} changes)`, 'p50 ms', 'p99 ms'],
            rows: [
              ['(2a) cluster PUT → Succeeded (poll, GET)', ms(percentile(writes, 50)), ms(percentile(writes, 99))],
              ["(2b) then → the node's first token for the new kubelet identity (old one refused)", ms(percentile(changes, 50)), ms(percentile(changes, 99))],
            ],
          },
        ],
        notes: [
          'Azure: an AKS create takes minutes; after an identity change, control-plane components keep the old identity until its token expires (hours, per the seed document). Keyless switches every consumer at the next notification.',
          'Method: one client on the same machine, HTTPS without keep-alive; creates are PUT (201 + Azure-AsyncOperation), polls until Succeeded, then GET; the node is `keyless agent --resource <agent pool id>` asked through its IMDS endpoint in a loop.',
        ],
        problems,
        data: {
          n,
          create: {
            system: { p50: percentile(samples.system, 50), p99: percentile(samples.system, 99) },
            user: { p50: percentile(samples.user, 50), p99: percentile(samples.user, 99) },
          },
          kubeletChange: { p50: percentile(changes, 50), p99: percentile(changes, 99) },
        },
      };
    } finally {
      if (agent) await stopChild(agent);
      await server?.stop();
    }
  },
};
