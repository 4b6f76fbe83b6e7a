/**
 * `.alter|.show|.delete table T policy update`: entries whose query reads their source table and
 * whose `ManagedIdentity`, if any, the cluster holds and a policy allows for `AutomatedFlows` (checked
 * now and at every run, in append.ts).
 */
import { KustoError } from '../errors.js';
import { parseQuery } from '../kql-parser.js';
import { runQuery, type Table } from '../query-engine.js';
import { authorize } from './access.js';
import { updatePolicyName, type UpdatePolicyEntry } from './append.js';
import type { CommandOf, EngineContext, KustoRequest } from './context.js';
import { identityToken } from './identity-flows.js';
import { resultTable } from './result-tables.js';
import { tableSchema } from './tables.js';

export async function updatePolicyCommand(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'update-policy'>): Promise<Table> {
  const target = await tableSchema(ctx, r.cluster, database, cmd.table);
  const name = updatePolicyName(target.name);
  const show = (entries: UpdatePolicyEntry[] | null): Table =>
    resultTable(
      ['PolicyName', 'EntityName', 'Policy', 'ChildEntities', 'EntityType'],
      [['TableUpdatePolicy', `[${database}].[${target.name}]`, entries ? JSON.stringify(entries) : null, '', 'Table']],
    );
  if (cmd.action === 'show') {
    await authorize(ctx, r, database, 'viewer', 'Show update policy');
    const e = await ctx.store.kusto.getEntity(r.cluster.id, database, 'policy', name);
    return show((e?.body['entries'] as UpdatePolicyEntry[] | undefined) ?? null);
  }
  await authorize(ctx, r, database, 'admin', `${cmd.action === 'alter' ? 'Alter' : 'Delete'} update policy`);
  if (cmd.action === 'delete') {
    await ctx.store.kusto.deleteEntity(r.cluster.id, database, 'policy', name);
    return show(null);
  }
  const entries: UpdatePolicyEntry[] = [];
  for (const [i, raw] of parseEntries(cmd.json!).entries()) entries.push(await checkEntry(ctx, r, database, i, raw));
  await ctx.store.kusto.putEntity({ cluster: r.cluster.id, database, kind: 'policy', name, body: { entries } });
  return show(entries);
}

function parseEntries(json: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new KustoError('bad-request', 'The update policy is not a JSON array.');
  }
  if (!Array.isArray(value))
    throw new KustoError('bad-request', 'The update policy must be a JSON array of {"Source", "Query", "IsEnabled", "ManagedIdentity"?} objects.');
  return value;
}

/** One entry, checked against the database and the cluster's identities, in the stored shape. */
async function checkEntry(ctx: EngineContext, r: KustoRequest, database: string, i: number, raw: unknown): Promise<UpdatePolicyEntry> {
  const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (typeof item['Source'] !== 'string' || typeof item['Query'] !== 'string')
    throw new KustoError('bad-request', `Update policy entry ${i} needs 'Source' (a table) and 'Query' (a query over it).`);
  const source = await tableSchema(ctx, r.cluster, database, item['Source']);
  const query = parseQuery(item['Query']);
  if (query.source.kind !== 'table' || query.source.name.toLowerCase() !== source.name.toLowerCase())
    throw new KustoError('semantic', `Semantic error: the update policy's query must read its source table '${source.name}'.`);
  // The query must run over the source's columns.
  runQuery({ columns: source.columns, rows: [] }, query);
  const mi = item['ManagedIdentity'];
  if (mi !== undefined && mi !== null && typeof mi !== 'string') throw new KustoError('bad-request', "'ManagedIdentity' must be 'system' or an object id.");
  // The identity must be the cluster's and allowed for AutomatedFlows now, and again at each run.
  if (typeof mi === 'string') await identityToken(ctx, r.cluster, database, mi.toLowerCase(), 'AutomatedFlows');
  return {
    IsEnabled: item['IsEnabled'] !== false,
    Source: source.name,
    Query: item['Query'],
    IsTransactional: item['IsTransactional'] === true,
    PropagateIngestionProperties: item['PropagateIngestionProperties'] === true,
    ...(typeof mi === 'string' ? { ManagedIdentity: mi.toLowerCase() } : {}),
  };
}
