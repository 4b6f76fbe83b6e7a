/**
 * Ingestion: `.set-or-append T <| query` and `.ingest into table T (…)` from storage, as the identity
 * the connection strings name (`NativeIngestion` usage).
 */
import type { ColumnDef } from '../kql-parser.js';
import type { Table } from '../query-engine.js';
import { authorize } from './access.js';
import { appendRows } from './append.js';
import type { CommandOf, EngineContext, KustoRequest } from './context.js';
import { tokenForRef } from './identity-flows.js';
import { evaluateQuery } from './query.js';
import { projectOnto, readRecords } from './records.js';
import { ingestResult } from './result-tables.js';
import { downloadText } from './storage-io.js';
import { parseStorageRef, redact } from './storage-ref.js';
import { tableSchema } from './tables.js';

/** Appends a query's result to a table, created with the result's columns when absent. */
export async function setOrAppend(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'set-or-append'>): Promise<Table> {
  const cluster = r.cluster;
  await authorize(ctx, r, database, 'ingestor', 'Set-or-append');
  const result = await evaluateQuery(ctx, cluster, database, cmd.query);
  let target = await ctx.store.kusto.getEntity(cluster.id, database, 'table', cmd.table);
  if (!target) {
    target = { cluster: cluster.id, database, kind: 'table', name: cmd.table, body: { columns: result.columns } };
    await ctx.store.kusto.putEntity(target);
  }
  const columns = target.body['columns'] as ColumnDef[];
  const rows = projectOnto(result, columns);
  const extent = await appendRows(ctx, cluster, database, target.name, columns, rows);
  return ingestResult(extent, `${rows.length} rows from query`);
}

/** Reads every source blob (CSV or JSON) into one extent of the table. */
export async function ingest(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'ingest'>): Promise<Table> {
  const cluster = r.cluster;
  await authorize(ctx, r, database, 'ingestor', 'Ingest');
  const table = await tableSchema(ctx, cluster, database, cmd.table);
  const format = (cmd.props['format'] ?? 'csv').toLowerCase();
  const ignoreFirst = (cmd.props['ignoreFirstRecord'] ?? 'false').toLowerCase() === 'true';
  const rows: unknown[][] = [];
  for (const source of cmd.sources) {
    const ref = parseStorageRef(source);
    const token = await tokenForRef(ctx, cluster, database, ref, 'NativeIngestion');
    for (const row of readRecords(await downloadText(ctx, ref.url, token), format, table.columns, ignoreFirst)) rows.push(row);
  }
  const extent = await appendRows(ctx, cluster, database, table.name, table.columns, rows);
  return ingestResult(extent, cmd.sources.map(redact).join(', '));
}
