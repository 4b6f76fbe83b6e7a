/**
 * Agent pools (Microsoft.ContainerService/managedClusters/agentPools) as a child type of the kit, and
 * as a host type: `keyless agent --resource <agent pool id>` joins as a node of the pool, and
 * workloads on the node may use the cluster's kubelet and add-on identities — never the control-plane
 * identity, as on an AKS node (shared/reference/aks-wire.md §2.1). The pools and the cluster's
 * `agentPoolProfiles` are kept equal: a pool written through its own routes updates the cluster, a
 * cluster PUT updates its pools (cluster-hooks.ts).
 */
import { isoTime } from '../../core/clock.js';
import { DomainError } from '../../core/errors.js';
import type { HostTypeDeclaration, UsableIdentities } from '../../core/hosts/host-types.js';
import type { ResourceRecord } from '../../core/model.js';
import type { Repositories } from '../../core/ports.js';
import { resourceKey } from '../../core/resource-id.js';
import type { JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { TrackedHookContext, TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import { completePool, POOL_READ_ONLY } from './cluster-properties/agent-pool-profile.js';
import { nodeIdentityIds } from './cluster-properties/identity-profile.js';
import { resolveKubernetesVersion } from './cluster-properties/kubernetes-version.js';
import { AGENT_POOL_TYPE, assertPoolName, clusterIdOfPool } from './cluster-properties/names.js';

const SUBNET_TYPE = 'Microsoft.Network/virtualNetworks/subnets';

async function loadCluster(tx: Pick<Repositories, 'resources'>, poolId: string): Promise<ResourceRecord> {
  const cluster = await tx.resources.get(clusterIdOfPool(poolId));
  if (!cluster) throw new DomainError('ResourceNotFound', `The managed cluster of agent pool '${poolId}' was not found.`);
  return cluster;
}

async function saveCluster(tx: Repositories, cluster: ResourceRecord, pools: JsonObject[], ctx: Pick<TrackedHookContext, 'ids' | 'clock'>): Promise<void> {
  if (!pools.some((p) => p['mode'] === 'System')) {
    throw new DomainError('BadRequest', 'Must define at least one system pool. A managed cluster needs an agent pool in System mode.', {
      target: 'properties.mode',
    });
  }
  const updated: ResourceRecord = {
    ...cluster,
    properties: { ...cluster.properties, agentPoolProfiles: pools },
    etag: ctx.ids.newGuid(),
    updatedAt: isoTime(ctx.clock.now()),
  };
  if (!(await tx.resources.update(updated, cluster.etag))) {
    throw new DomainError('Conflict', `The managed cluster '${cluster.name}' was changed while its agent pool was being written. Retry the request.`);
  }
}

const profilesOf = (cluster: ResourceRecord) => (cluster.properties['agentPoolProfiles'] as JsonObject[] | undefined) ?? [];
const sameName = (a: unknown, b: string) => String(a).toLowerCase() === b.toLowerCase();

async function writePool(ctx: TrackedHookContext): Promise<ResourceRecord> {
  const { tx, resource } = ctx;
  const cluster = await loadCluster(tx, resource.id);
  const properties = { ...resource.properties };
  const sentVersion = ctx.input?.properties?.['orchestratorVersion'];
  if (!ctx.previous && (sentVersion === undefined || sentVersion === null || sentVersion === '')) {
    const resolved = resolveKubernetesVersion(cluster.properties['kubernetesVersion'], undefined);
    properties['orchestratorVersion'] = resolved.version;
    properties['currentOrchestratorVersion'] = resolved.patch;
  }
  const subnetId = properties['vnetSubnetID'];
  if (typeof subnetId === 'string') {
    const subnet = await tx.resources.get(subnetId);
    if (!subnet || subnet.type.toLowerCase() !== SUBNET_TYPE.toLowerCase()) {
      throw new DomainError('SubnetNotFound', `Could not find subnet '${subnetId}'.`, { target: 'properties.vnetSubnetID' });
    }
  }
  const pools = profilesOf(cluster).filter((p) => !sameName(p['name'], resource.name));
  pools.push({ name: resource.name, ...properties });
  await saveCluster(tx, cluster, pools, ctx);
  return { ...resource, properties };
}

export function agentPoolSpec(cluster: TrackedTypeSpec): TrackedTypeSpec {
  return {
    namespace: 'Microsoft.ContainerService',
    type: 'managedClusters/agentPools',
    label: 'agent pool',
    shape: 'proxy',
    parent: cluster,
    assertName: assertPoolName,
    properties: {
      readOnly: POOL_READ_ONLY,
      write: (properties, { existing, now }) => completePool(properties, existing?.properties, { clusterVersion: '', now, first: false }),
    },
    hooks: {
      onCreate: writePool,
      onUpdate: writePool,
      async onDelete(ctx) {
        const cluster = await loadCluster(ctx.tx, ctx.resource.id);
        const pools = profilesOf(cluster).filter((p) => !sameName(p['name'], ctx.resource.name));
        await saveCluster(ctx.tx, cluster, pools, ctx);
      },
    },
  };
}

/** Moves a pool to today's node image (`upgradeNodeImageVersion`); the pool record and the cluster's profile together. */
export async function upgradeNodeImage(
  tx: Repositories,
  pool: ResourceRecord,
  image: string,
  ctx: Pick<TrackedHookContext, 'ids' | 'clock'>,
): Promise<ResourceRecord> {
  const cluster = await loadCluster(tx, pool.id);
  const properties = { ...pool.properties, nodeImageVersion: image };
  const updated: ResourceRecord = { ...pool, properties, etag: ctx.ids.newGuid(), updatedAt: isoTime(ctx.clock.now()) };
  if (!(await tx.resources.update(updated, pool.etag)))
    throw new DomainError('Conflict', `The agent pool '${pool.name}' was changed meanwhile. Retry the request.`);
  await saveCluster(
    tx,
    cluster,
    profilesOf(cluster).map((p) => (sameName(p['name'], pool.name) ? { ...p, nodeImageVersion: image } : p)),
    ctx,
  );
  return updated;
}

/** The node host type: the kubelet and add-on identities of the pool's cluster, read at each call. */
export const AGENT_POOL_HOST: HostTypeDeclaration = {
  resourceType: AGENT_POOL_TYPE,
  async usableIdentities(pool, resources): Promise<UsableIdentities> {
    const cluster = await resources.get(clusterIdOfPool(pool.id));
    if (!cluster || resourceKey(clusterIdOfPool(pool.id)) !== resourceKey(cluster.id)) return { systemAssigned: false, userAssigned: [] };
    return { systemAssigned: false, userAssigned: nodeIdentityIds(cluster) };
  },
};
