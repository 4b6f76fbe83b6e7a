/**
 * Durability under crashes: `keyless serve` is killed with SIGKILL in the middle of a storm of writes
 * (user-assigned identities, VMs holding system- and user-assigned identities, role assignments,
 * deletes, AKS clusters with their node resource groups), on SQLite and on PostgreSQL. After a restart every write that was acknowledged is there
 * (every acknowledged delete is gone) and `keyless check` finds no half-made object. The checker
 * itself is shown to catch a broken store.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createTestDatabase } from '../support/postgres.js';
import { armToken, createDataDir, ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const run = promisify(execFile);

/** `keyless check` as a user runs it: exit code and output. */
export async function keylessCheck(args: string[]): Promise<{ code: number; out: string }> {
  return run(process.execPath, [join(ROOT, 'bin/keyless.js'), 'check', ...args], { cwd: ROOT, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
}

interface Acknowledged {
  identities: string[];
  /** AKS clusters acknowledged, with the node resource group each answer named. */
  clusters: { path: string; nodeResourceGroup: string }[];
  vms: string[];
  assignments: string[];
  deleted: string[];
  attempts: number;
  errors: string[];
}
/** A VM's role assignment goes with its system-assigned principal when the VM is deleted. */
const assignmentOf = new Map<string, string>();

/** Writes as fast as `workers` clients can until `stop()`; records what the server acknowledged. */
function storm(server: RunningKeyless, token: string, workers: number): { stop(): void; done: Promise<Acknowledged> } {
  const b = server.bootstrap;
  const group = `/subscriptions/${b.subscriptionId}/resourceGroups/storm`;
  const ack: Acknowledged = { identities: [], clusters: [], vms: [], assignments: [], deleted: [], attempts: 0, errors: [] };
  let stopping = false;
  const send = async (method: string, path: string, body?: unknown) => {
    ack.attempts++;
    const res = await fetch(`${b.armEndpoint}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, any> };
  };
  /** One client writes AKS clusters: the cluster, its principal and its node resource group are one write. */
  const clusterWorker = async () => {
    for (let i = 0; !stopping; i++) {
      try {
        const path = `${group}/providers/Microsoft.ContainerService/managedClusters/aks-${i}`;
        const res = await send('PUT', `${path}?api-version=2022-11-01`, {
          location: 'westus2',
          identity: { type: 'SystemAssigned' },
          properties: { dnsPrefix: `aks${i}`, agentPoolProfiles: [{ name: 'nodepool1', count: 1, mode: 'System' }] },
        });
        if (res.status !== 200 && res.status !== 201) {
          ack.errors.push(`cluster ${res.status}`);
          continue;
        }
        ack.clusters.push({ path, nodeResourceGroup: String(res.json.properties?.nodeResourceGroup) });
      } catch {
        return;
      }
    }
  };
  const worker = async (w: number) => {
    for (let i = 0; !stopping; i++) {
      try {
        const idPath = `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${w}-${i}`;
        const identity = await send('PUT', `${idPath}?api-version=2023-01-31`, { location: 'westus2' });
        if (identity.status !== 200 && identity.status !== 201) {
          ack.errors.push(`identity ${identity.status}`);
          continue;
        }
        ack.identities.push(idPath);
        const vmPath = `${group}/providers/Microsoft.Compute/virtualMachines/vm-${w}-${i}`;
        const vm = await send('PUT', `${vmPath}?api-version=2024-07-01`, {
          location: 'westus2',
          identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [identity.json.id]: {} } },
          properties: { hardwareProfile: { vmSize: 'Standard_B1s' } },
        });
        if (vm.status !== 200 && vm.status !== 201) {
          ack.errors.push(`vm ${vm.status}`);
          continue;
        }
        ack.vms.push(vmPath);
        const assignment = `${group}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`;
        const ra = await send('PUT', `${assignment}?api-version=2022-04-01`, {
          properties: {
            roleDefinitionId: `/subscriptions/${b.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
            principalId: vm.json.identity.principalId,
            principalType: 'ServicePrincipal',
          },
        });
        if (ra.status !== 201 && ra.status !== 200) {
          ack.errors.push(`assignment ${ra.status}`);
          continue;
        }
        ack.assignments.push(assignment);
        assignmentOf.set(vmPath, assignment);
        if (i % 3 === 2) {
          // Every third round, take an earlier VM away again (its system-assigned principal goes with it).
          const gone = `${group}/providers/Microsoft.Compute/virtualMachines/vm-${w}-${i - 1}`;
          const del = await send('DELETE', `${gone}?api-version=2024-07-01`);
          if (del.status === 200 || del.status === 202 || del.status === 204) {
            ack.vms.splice(ack.vms.indexOf(gone), 1);
            ack.deleted.push(gone);
            const assignment = assignmentOf.get(gone);
            if (assignment && ack.assignments.includes(assignment)) {
              ack.assignments.splice(ack.assignments.indexOf(assignment), 1);
              ack.deleted.push(assignment);
            }
          }
        }
      } catch {
        // The server died under this request: it was not acknowledged.
        return;
      }
    }
  };
  const done = Promise.all([...Array.from({ length: workers }, (_, w) => worker(w)), clusterWorker()]).then(() => ack);
  return {
    stop: () => {
      stopping = true;
    },
    done,
  };
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`kill -9 during a storm of writes [${engine}]`, () => {
    const cleanup: (() => Promise<unknown>)[] = [];
    after(async () => {
      for (const c of cleanup.reverse()) await c().catch(() => undefined);
    });

    it('keeps every acknowledged write, and `keyless check` finds nothing broken', async (t) => {
      const dataDir = await createDataDir();
      const databaseUrl =
        engine === 'postgres'
          ? await createTestDatabase().then((db) => {
              cleanup.push(db.drop);
              return db.url;
            })
          : undefined;
      const start = () => startKeyless({ via: 'node', dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
      const first = await start();
      cleanup.push(() => first.stop());
      const token = await armToken(first.bootstrap);
      const b = first.bootstrap;
      const created = await fetch(`${b.armEndpoint}/subscriptions/${b.subscriptionId}/resourcegroups/storm?api-version=2021-04-01`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"location":"westus2"}',
      });
      assert.equal(created.status, 201);

      const writes = storm(first, token, 4);
      await new Promise((r) => setTimeout(r, 2500));
      process.kill(-first.child.pid!, 'SIGKILL');
      writes.stop();
      const ack = await writes.done;
      await first.stop();
      assert.ok(ack.clusters.length >= 1, `no AKS cluster was acknowledged before the kill: ${ack.errors.slice(0, 5).join('; ')}`);
      assert.ok(
        ack.vms.length >= 5,
        `the storm got going: ${JSON.stringify({ ...ack, identities: ack.identities.length, vms: ack.vms.length, assignments: ack.assignments.length, deleted: ack.deleted.length })}`,
      );

      const second = await start();
      cleanup.push(() => second.dispose());
      const token2 = await armToken(second.bootstrap);
      const get = async (path: string, version: string) =>
        await fetch(`${second.bootstrap.armEndpoint}${path}?api-version=${version}`, { headers: { authorization: `Bearer ${token2}` } });
      const lost: string[] = [];
      for (const path of ack.identities) if ((await get(path, '2023-01-31')).status !== 200) lost.push(path);
      for (const path of ack.vms) {
        const res = await get(path, '2024-07-01');
        if (res.status !== 200) {
          lost.push(path);
          continue;
        }
        const vm = (await res.json()) as { identity?: { principalId?: string } };
        if (!vm.identity?.principalId) lost.push(`${path} (identity)`);
      }
      for (const path of ack.assignments) if ((await get(path, '2022-04-01')).status !== 200) lost.push(path);
      for (const cluster of ack.clusters) {
        const res = await get(cluster.path, '2022-11-01');
        if (res.status !== 200) {
          lost.push(cluster.path);
          continue;
        }
        if (!((await res.json()) as { identity?: { principalId?: string } }).identity?.principalId) lost.push(`${cluster.path} (identity)`);
        const nodeGroup = `/subscriptions/${second.bootstrap.subscriptionId}/resourcegroups/${cluster.nodeResourceGroup}`;
        if ((await get(nodeGroup, '2021-04-01')).status !== 200) lost.push(`${cluster.path} (node resource group ${cluster.nodeResourceGroup})`);
      }
      const resurrected: string[] = [];
      for (const path of ack.deleted)
        if ((await get(path, path.includes('roleAssignments') ? '2022-04-01' : '2024-07-01')).status !== 404) resurrected.push(path);
      t.diagnostic(
        `${engine}: ${ack.attempts} writes sent, acknowledged ${ack.identities.length} identities, ${ack.clusters.length} AKS clusters, ${ack.vms.length + ack.deleted.filter((d) => !d.includes('roleAssignments')).length} VMs, ${ack.assignments.length + ack.deleted.filter((d) => d.includes('roleAssignments')).length} role assignments, ${ack.deleted.filter((d) => !d.includes('roleAssignments')).length} VM deletes; lost ${lost.length}, resurrected ${resurrected.length}`,
      );
      assert.deepEqual(lost, [], 'acknowledged writes lost');
      assert.deepEqual(resurrected, [], 'acknowledged deletes undone');

      await second.stop();
      const check = await keylessCheck(databaseUrl ? ['--database-url', databaseUrl] : ['--data-dir', dataDir]);
      t.diagnostic(`keyless check: ${check.out.trim().split('\n').at(-1)}`);
      assert.equal(check.code, 0, check.out);
      assert.match(check.out, /No invariant is broken/);
    });
  });
}

describe('keyless check', () => {
  it('reports half-made objects and exits 1; a usage without a database exits 3', async () => {
    const dataDir = await createDataDir();
    const server = await startKeyless({ via: 'node', dataDir });
    try {
      const b = server.bootstrap;
      const token = await armToken(b);
      const send = (method: string, path: string, body?: unknown) =>
        fetch(`${b.armEndpoint}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      const group = `/subscriptions/${b.subscriptionId}/resourceGroups/broken`;
      assert.equal((await send('PUT', `${group}?api-version=2021-04-01`, { location: 'westus2' })).status, 201);
      const vm = (await (
        await send('PUT', `${group}/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-07-01`, {
          location: 'westus2',
          identity: { type: 'SystemAssigned' },
          properties: { hardwareProfile: { vmSize: 'Standard_B1s' } },
        })
      ).json()) as { id: string; identity: { principalId: string } };
      const uami = async (name: string) =>
        (await (
          await send('PUT', `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}?api-version=2023-01-31`, { location: 'westus2' })
        ).json()) as { id: string; properties: { principalId: string } };
      const u1 = await uami('uami-1');
      const u2 = await uami('uami-2');
      assert.equal(
        (
          await send('PUT', `${group}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
            properties: {
              roleDefinitionId: `/subscriptions/${b.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
              principalId: vm.identity.principalId,
              principalType: 'ServicePrincipal',
            },
          })
        ).status,
        201,
      );
      await server.stop();
      assert.equal((await keylessCheck(['--data-dir', dataDir])).code, 0);

      // Break it behind the server's back, as a crash between two unguarded writes would: the VM's and
      // u1's principals vanish (the VM's role assignment stays), u2's resource vanishes but not its principal.
      const db = new Database(join(dataDir, 'keyless.db'));
      db.pragma('foreign_keys = OFF');
      db.prepare('delete from principals where lower(object_id) = lower(?)').run(vm.identity.principalId);
      db.prepare('delete from principals where lower(object_id) = lower(?)').run(u1.properties.principalId);
      db.prepare('delete from resources where lower(id) = lower(?)').run(u2.id);
      db.close();
      const broken = await keylessCheck(['--data-dir', dataDir]);
      assert.equal(broken.code, 1, broken.out);
      const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      assert.match(broken.out, new RegExp(`VIOLATION resource-without-principal: ${escaped(vm.id)}`, 'i'));
      assert.match(broken.out, new RegExp(`VIOLATION identity-without-principal: ${escaped(u1.id)}`, 'i'));
      assert.match(broken.out, new RegExp(`VIOLATION principal-without-resource: ${u2.properties.principalId}`, 'i'));
      assert.match(broken.out, /VIOLATION assignment-to-missing-principal: /);
      assert.match(broken.out, /4 invariant violation\(s\) found/);
      const json = JSON.parse((await keylessCheck(['--data-dir', dataDir, '--output', 'json'])).out) as { violations: { kind: string }[] };
      assert.deepEqual(json.violations.map((v) => v.kind).sort(), [
        'assignment-to-missing-principal',
        'identity-without-principal',
        'principal-without-resource',
        'resource-without-principal',
      ]);

      const missing = await keylessCheck(['--data-dir', join(dataDir, 'nowhere')]);
      assert.equal(missing.code, 3);
      assert.match(missing.out, /cannot open the SQLite database/);
    } finally {
      await server.dispose();
    }
  });
});
