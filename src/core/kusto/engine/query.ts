/**
 * Queries: a query's source (a table of the database, or an external table read as its identity)
 * and the KQL operators over it. `externaldata` and identities named inside `evaluate` are refused.
 */
import type { ResourceRecord } from '../../model.js';
import { KustoError, MANAGED_IDENTITY_DISABLED } from '../errors.js';
import { parseQuery, type Query } from '../kql-parser.js';
import { runQuery, type Table } from '../query-engine.js';
import { authorize } from './access.js';
import type { EngineContext, KustoRequest, KustoResult } from './context.js';
import { readExternalTable } from './external-tables.js';
import { requireDatabase } from './resource-tree.js';
import { tableData } from './tables.js';

const NAMES_IDENTITY = /;\s*managed_identity\s*=/i;

/** A query's source table; `extentFilter` limits a table's extents (continuous exports read only new ones). */
export async function querySource(
  ctx: EngineContext,
  cluster: ResourceRecord,
  database: string,
  query: Query,
  extentFilter?: (table: string, id: string) => boolean,
): Promise<Table> {
  const source = query.source;
  for (const op of query.ops) {
    if (op.op === 'evaluate' && op.strings.some((s) => NAMES_IDENTITY.test(s))) throw new KustoError('bad-request', MANAGED_IDENTITY_DISABLED);
  }
  if (source.kind === 'externaldata') {
    if (source.strings.some((s) => NAMES_IDENTITY.test(s))) throw new KustoError('bad-request', MANAGED_IDENTITY_DISABLED);
    throw new KustoError('semantic', "Semantic error: the 'externaldata' operator is not available on Keyless; use an external table.");
  }
  if (source.kind === 'external_table') return readExternalTable(ctx, cluster, database, source.name);
  return tableData(ctx, cluster, database, source.name, extentFilter && ((id) => extentFilter(source.name, id)));
}

/** Runs a query over its source. */
export async function evaluateQuery(ctx: EngineContext, cluster: ResourceRecord, database: string, query: Query): Promise<Table> {
  return runQuery(await querySource(ctx, cluster, database, query), query);
}

/** A data-plane query: parsed, the database found, the caller a viewer. */
export async function executeQuery(ctx: EngineContext, r: KustoRequest): Promise<KustoResult> {
  const query = parseQuery(r.csl);
  const database = await requireDatabase(ctx.store, r.cluster, r.database);
  await authorize(ctx, r, database, 'viewer', 'Query');
  return evaluateQuery(ctx, r.cluster, database, query);
}
