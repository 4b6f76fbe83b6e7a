/**
 * Appending rows to a table, with the update policies whose `Source` it is: their queries run over
 * the new rows and append to their target tables (up to 5 levels), all in one transaction.
 */
import type { ResourceRecord } from '../../model.js';
import type { ColumnDef } from '../kql-parser.js';
import { parseQuery } from '../kql-parser.js';
import { runQuery } from '../query-engine.js';
import type { EngineContext } from './context.js';
import { identityToken } from './identity-flows.js';
import { projectOnto } from './records.js';
import { tableSchema } from './tables.js';

/** One entry of a table's update policy. */
export interface UpdatePolicyEntry {
  IsEnabled: boolean;
  Source: string;
  Query: string;
  IsTransactional: boolean;
  PropagateIngestionProperties: boolean;
  ManagedIdentity?: string;
}

/** The entity name of table `table`'s update policy. */
export const updatePolicyName = (table: string) => `update/${table}`;

interface PendingAppend {
  table: string;
  columns: ColumnDef[];
  rows: unknown[][];
  id: string;
}

/**
 * Appends rows to a table and, through the update policies whose `Source` it is, to their target
 * tables (up to 5 levels), all in one transaction: an update policy that fails (its identity no
 * longer allowed) leaves nothing appended anywhere. Returns the new extent's id.
 */
export async function appendRows(
  ctx: EngineContext,
  cluster: ResourceRecord,
  database: string,
  table: string,
  columns: ColumnDef[],
  rows: unknown[][],
): Promise<string> {
  const id = ctx.deps.ids.newGuid();
  const appends = await withUpdatePolicies(ctx, cluster, database, { table, columns, rows, id });
  await ctx.store.transaction(async (tx) => {
    for (const a of appends) {
      if (a.rows.length > 0)
        await tx.kusto.appendExtent({
          cluster: cluster.id,
          database,
          table: a.table,
          id: a.id,
          columns: a.columns.map((c) => c.name),
          rows: a.rows,
          createdAt: ctx.now(),
        });
    }
  });
  return id;
}

/** The first append followed by those the update policies derive from it, level by level. */
async function withUpdatePolicies(ctx: EngineContext, cluster: ResourceRecord, database: string, first: PendingAppend): Promise<PendingAppend[]> {
  const appends = [first];
  const policies = (await ctx.store.kusto.listEntities(cluster.id, database, 'policy')).filter((e) => e.name.toLowerCase().startsWith('update/'));
  for (let i = 0; i < appends.length && i < 50; i++) {
    const from = appends[i]!;
    if (from.rows.length === 0 || appends.length > 5 * (i + 1) + 1) continue;
    for (const policy of policies) {
      for (const entry of policy.body['entries'] as UpdatePolicyEntry[]) {
        if (entry.IsEnabled === false || entry.Source.toLowerCase() !== from.table.toLowerCase()) continue;
        if (entry.ManagedIdentity) await identityToken(ctx, cluster, database, entry.ManagedIdentity, 'AutomatedFlows');
        const target = await tableSchema(ctx, cluster, database, policy.name.slice('update/'.length));
        const result = runQuery({ columns: from.columns, rows: from.rows }, parseQuery(entry.Query));
        appends.push({ table: target.name, columns: target.columns, rows: projectOnto(result, target.columns), id: ctx.deps.ids.newGuid() });
      }
    }
  }
  return appends;
}
