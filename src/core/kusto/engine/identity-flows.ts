/**
 * The managed identity a flow names (docs/adr/0015-kusto.md, decision 6): it must be held by the
 * cluster now, and the cluster's or database's `managed_identity` policy must allow the flow's usage;
 * then the token service gives its token for Azure Storage.
 */
import { heldIdentities, type HeldIdentity } from '../../identities/stored-identity.js';
import type { ResourceRecord } from '../../model.js';
import { KustoError, MANAGED_IDENTITY_DISABLED } from '../errors.js';
import { policyAllows, type PolicyEntry, type Usage } from '../policy.js';
import type { EngineContext } from './context.js';
import { refuseImpersonation, type StorageRef } from './storage-ref.js';

const STORAGE_RESOURCE = 'https://storage.azure.com/';

/** The held identity an entry names: `system` or a user-assigned identity's object id (lower case). */
export function findHeld(held: HeldIdentity[], named: string): HeldIdentity | undefined {
  return named === 'system' ? held.find((h) => h.system) : held.find((h) => h.principal.objectId.toLowerCase() === named.toLowerCase());
}

/** The identity a flow names, if the cluster holds it; the policy decides separately. */
export async function resolveIdentity(ctx: EngineContext, cluster: ResourceRecord, named: string): Promise<HeldIdentity> {
  const found = findHeld(await heldIdentities(cluster, ctx.store.principals), named);
  if (!found) {
    throw new KustoError(
      'bad-request',
      named === 'system'
        ? `Cluster '${cluster.name}' has no system-assigned managed identity.`
        : `Managed identity '${named}' is not assigned to cluster '${cluster.name}': assign it to the cluster (identity.userAssignedIdentities) and use its object id.`,
    );
  }
  return found;
}

/** The `managed_identity` policy of a database ('' for the cluster's). */
export async function readPolicy(ctx: EngineContext, cluster: ResourceRecord, database: string): Promise<PolicyEntry[]> {
  const e = await ctx.store.kusto.getEntity(cluster.id, database, 'policy', 'managed_identity');
  return (e?.body['entries'] as PolicyEntry[] | undefined) ?? [];
}

/** The identity's storage token, once the cluster holds it and a policy allows `usage`. */
export async function identityToken(ctx: EngineContext, cluster: ResourceRecord, database: string, named: string, usage: Usage): Promise<string> {
  const identity = await resolveIdentity(ctx, cluster, named);
  const who = { system: identity.system, objectId: identity.principal.objectId };
  const clusterOk = policyAllows(await readPolicy(ctx, cluster, ''), who, usage);
  const dbOk = usage !== 'SandboxArtifacts' && database !== '' && policyAllows(await readPolicy(ctx, cluster, database), who, usage);
  if (!clusterOk && !dbOk) throw new KustoError('bad-request', MANAGED_IDENTITY_DISABLED);
  return ctx.deps.identityToken(identity, STORAGE_RESOURCE);
}

/** The token a storage reference's credential suffix calls for (none without `;managed_identity=`). */
export async function tokenForRef(ctx: EngineContext, cluster: ResourceRecord, database: string, ref: StorageRef, usage: Usage): Promise<string | undefined> {
  refuseImpersonation(ref);
  if (!ref.identity) return undefined;
  return identityToken(ctx, cluster, database, ref.identity, usage);
}
