/**
 * A database's tables as the store keeps them: a schema entity and the extents (batches of rows)
 * appended to it, read back under the schema's current columns.
 */
import type { ResourceRecord } from '../../model.js';
import { KustoError } from '../errors.js';
import type { ColumnDef } from '../kql-parser.js';
import type { Table } from '../query-engine.js';
import type { EngineContext } from './context.js';

export interface TableSchema {
  name: string;
  columns: ColumnDef[];
}

export const tableNotFound = (table: string, database: string) =>
  new KustoError('table-not-found', `Table '${table}' was not found in database '${database}'.`);

export async function tableSchema(ctx: EngineContext, cluster: ResourceRecord, database: string, table: string): Promise<TableSchema> {
  const e = await ctx.store.kusto.getEntity(cluster.id, database, 'table', table);
  if (!e) throw tableNotFound(table, database);
  return { name: e.name, columns: e.body['columns'] as ColumnDef[] };
}

/** A table's rows (of the extents `extentFilter` keeps) and the ids of the extents read. */
export async function tableData(
  ctx: EngineContext,
  cluster: ResourceRecord,
  database: string,
  table: string,
  extentFilter?: (id: string) => boolean,
): Promise<Table & { extents: string[] }> {
  const schema = await tableSchema(ctx, cluster, database, table);
  const rows: unknown[][] = [];
  const extents: string[] = [];
  for (const x of await ctx.store.kusto.listExtents(cluster.id, database, schema.name)) {
    if (extentFilter && !extentFilter(x.id)) continue;
    extents.push(x.id);
    const map = schema.columns.map((c) => x.columns.indexOf(c.name));
    for (const row of x.rows) rows.push(map.map((i) => (i < 0 ? null : (row[i] ?? null))));
  }
  return { columns: schema.columns, rows, extents };
}
