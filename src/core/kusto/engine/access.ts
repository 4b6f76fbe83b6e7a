/**
 * Kusto's own roles (not Azure RBAC, as in ADX): the caller's roles come from the cluster's and the
 * database's principal assignments, and each operation needs one of them (docs/adr/0015-kusto.md,
 * decision 3).
 */
import type { ResourceRecord } from '../../model.js';
import type { Store, VerifiedCaller } from '../../ports.js';
import { KustoError } from '../errors.js';
import type { EngineContext, KustoRequest } from './context.js';
import { CLUSTER_PA_TYPE, childrenOf, DATABASE_PA_TYPE } from './resource-tree.js';

export type Roles = { clusterAdmin: boolean; clusterViewer: boolean; db: Set<string> };

/** What an operation needs: each level includes the database roles that grant it. */
export type Need = 'admin' | 'user' | 'viewer' | 'ingestor' | 'monitor';

/** Whether a principal assignment names the caller (by object id, or as an App by application id and tenant). */
function matches(pa: ResourceRecord, caller: VerifiedCaller): boolean {
  const p = pa.properties;
  const oid = String(p['aadObjectId'] ?? '').toLowerCase();
  if (oid !== '' && oid === caller.objectId.toLowerCase()) return true;
  return (
    p['principalType'] === 'App' &&
    String(p['principalId']).toLowerCase() === caller.appId.toLowerCase() &&
    String(p['tenantId'] ?? caller.tenantId).toLowerCase() === caller.tenantId.toLowerCase()
  );
}

export async function rolesOf(store: Store, cluster: ResourceRecord, database: string | undefined, caller: VerifiedCaller): Promise<Roles> {
  const clusterRoles = (await childrenOf(store, cluster, CLUSTER_PA_TYPE, cluster.id))
    .filter((pa) => matches(pa, caller))
    .map((pa) => String(pa.properties['role']));
  const db = new Set<string>();
  if (database)
    for (const pa of await childrenOf(store, cluster, DATABASE_PA_TYPE, `${cluster.id}/databases/${database}`))
      if (matches(pa, caller)) db.add(String(pa.properties['role']));
  return { clusterAdmin: clusterRoles.includes('AllDatabasesAdmin'), clusterViewer: clusterRoles.includes('AllDatabasesViewer'), db };
}

export function allowed(roles: Roles, need: Need): boolean {
  if (roles.clusterAdmin) return true;
  const d = roles.db;
  switch (need) {
    case 'admin':
      return d.has('Admin');
    case 'user':
      return d.has('Admin') || d.has('User');
    case 'ingestor':
      return d.has('Admin') || d.has('User') || d.has('Ingestor');
    case 'viewer':
      return roles.clusterViewer || d.has('Admin') || d.has('User') || d.has('Viewer') || d.has('UnrestrictedViewer');
    case 'monitor':
      return roles.clusterViewer || d.size > 0;
  }
}

export function forbidden(caller: VerifiedCaller, operation: string, on: string): KustoError {
  return new KustoError('forbidden', `Principal 'aadapp=${caller.appId};${caller.tenantId}' is not authorized to perform operation '${operation}' on '${on}'.`);
}

/** Refuses the request unless the caller's roles on `database` give `need`. */
export async function authorize(ctx: EngineContext, r: KustoRequest, database: string, need: Need, operation: string): Promise<void> {
  const roles = await rolesOf(ctx.store, r.cluster, database, r.caller);
  if (!allowed(roles, need)) throw forbidden(r.caller, operation, database);
}
