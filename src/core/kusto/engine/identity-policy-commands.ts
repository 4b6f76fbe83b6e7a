/**
 * `.alter[-merge]|.delete|.show cluster|database D policy managed_identity`: who may change a policy
 * (AllDatabasesAdmin, or a database's Admin for that database's), and the policy's table, each entry
 * shown with the identity the cluster holds for it.
 */
import { heldIdentities, type HeldIdentity } from '../../identities/stored-identity.js';
import { KustoError } from '../errors.js';
import type { PolicyScope } from '../kql-parser.js';
import { mergePolicy, parsePolicy, type PolicyEntry } from '../policy.js';
import type { Table } from '../query-engine.js';
import { allowed, forbidden, rolesOf } from './access.js';
import type { CommandOf, EngineContext, KustoRequest } from './context.js';
import { findHeld, readPolicy } from './identity-flows.js';
import { requireDatabase } from './resource-tree.js';
import { resultTable } from './result-tables.js';

type PolicyCommand = CommandOf<'policy'>;

export async function identityPolicyCommand(ctx: EngineContext, r: KustoRequest, cmd: PolicyCommand): Promise<Table> {
  const database = cmd.scope.kind === 'cluster' ? '' : await requireDatabase(ctx.store, r.cluster, cmd.scope.name);
  await authorizePolicy(ctx, r, cmd, database);
  const held = await heldIdentities(r.cluster, ctx.store.principals);
  const current = await readPolicy(ctx, r.cluster, database);
  if (cmd.action === 'show') return policyTable(cmd.scope, current, held);
  if (cmd.action === 'delete') {
    await ctx.store.kusto.deleteEntity(r.cluster.id, database, 'policy', 'managed_identity');
    return policyTable(cmd.scope, [], held);
  }
  const incoming = parsePolicy(cmd.json!);
  // Nothing is written unless every identity is the cluster's.
  for (const e of incoming) if (!findHeld(held, e.ObjectId)) throw notHeld(r.cluster.name, e.ObjectId);
  const next = cmd.action === 'alter' ? incoming : mergePolicy(current, incoming);
  await ctx.store.kusto.putEntity({ cluster: r.cluster.id, database, kind: 'policy', name: 'managed_identity', body: { entries: next } });
  return policyTable(cmd.scope, next, held);
}

/** Showing needs a viewer of the cluster or a monitor of the database; changing, AllDatabasesAdmin or the database's Admin. */
async function authorizePolicy(ctx: EngineContext, r: KustoRequest, cmd: PolicyCommand, database: string): Promise<void> {
  const roles = await rolesOf(ctx.store, r.cluster, database || undefined, r.caller);
  const on = cmd.scope.kind === 'cluster' ? `cluster ${r.cluster.name}` : database;
  if (cmd.action === 'show') {
    if (!(roles.clusterAdmin || roles.clusterViewer || (database !== '' && allowed(roles, 'monitor'))))
      throw forbidden(r.caller, 'Show managed_identity policy', on);
  } else if (!(roles.clusterAdmin || (database !== '' && roles.db.has('Admin')))) {
    // AllDatabasesAdmin for either policy; a database's Admin for that database's policy (issue 12).
    throw forbidden(
      r.caller,
      `${cmd.action === 'delete' ? 'Delete' : 'Alter'} managed_identity policy (needs AllDatabasesAdmin${database ? ` or Admin of database '${database}'` : ''})`,
      on,
    );
  }
}

function notHeld(cluster: string, objectId: string): KustoError {
  return new KustoError(
    'bad-request',
    objectId === 'system'
      ? `Invalid managed_identity policy: cluster '${cluster}' has no system-assigned managed identity; the policy was not changed.`
      : `Invalid managed_identity policy: managed identity '${objectId}' is not assigned to cluster '${cluster}'; the policy was not changed.`,
  );
}

function policyTable(scope: PolicyScope, entries: PolicyEntry[], held: HeldIdentity[]): Table {
  const rendered = entries.map((e) => {
    const h = findHeld(held, e.ObjectId);
    return {
      ObjectId: e.ObjectId === 'system' ? (h?.principal.objectId ?? 'system') : e.ObjectId,
      ClientId: h?.principal.appId ?? '',
      TenantId: h?.principal.tenantId ?? '',
      DisplayName: h?.principal.displayName ?? '',
      IsSystem: e.ObjectId === 'system',
      AllowedUsages: e.AllowedUsages.join(', '),
    };
  });
  return resultTable(['EntityName', 'Policies'], [[scope.kind === 'cluster' ? '' : `[${scope.name}]`, JSON.stringify(rendered)]]);
}
