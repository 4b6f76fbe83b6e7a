/**
 * Table management commands: `.show tables`, `.show table T schema as json`, `.create[-merge] table`,
 * `.drop table [ifexists]`.
 */
import { KustoError } from '../errors.js';
import type { ColumnDef } from '../kql-parser.js';
import type { Table } from '../query-engine.js';
import { authorize } from './access.js';
import { updatePolicyName } from './append.js';
import type { CommandOf, EngineContext, KustoRequest } from './context.js';
import { resultTable, tableSchemaTable } from './result-tables.js';
import { tableNotFound, tableSchema } from './tables.js';

export async function showTables(ctx: EngineContext, r: KustoRequest, database: string): Promise<Table> {
  await authorize(ctx, r, database, 'monitor', 'Show tables');
  const tables = await ctx.store.kusto.listEntities(r.cluster.id, database, 'table');
  return resultTable(
    ['TableName', 'DatabaseName', 'Folder', 'DocString'],
    tables.map((t) => [t.name, database, '', '']),
  );
}

export async function showTableSchema(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'show-table-schema'>): Promise<Table> {
  await authorize(ctx, r, database, 'viewer', 'Show table schema');
  const t = await tableSchema(ctx, r.cluster, database, cmd.table);
  return tableSchemaTable(database, t.name, t.columns);
}

export async function createTable(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'create-table'>): Promise<Table> {
  await authorize(ctx, r, database, 'user', cmd.merge ? 'Create-merge table' : 'Create table');
  const existing = await ctx.store.kusto.getEntity(r.cluster.id, database, 'table', cmd.table);
  const columns = existing ? mergedColumns(existing.name, existing.body['columns'] as ColumnDef[], cmd) : cmd.columns;
  if (columns.length === 0) throw new KustoError('bad-request', 'A table needs at least one column.');
  const name = existing?.name ?? cmd.table;
  await ctx.store.kusto.putEntity({ cluster: r.cluster.id, database, kind: 'table', name, body: { columns } });
  return tableSchemaTable(database, name, columns);
}

/** An existing table's columns after `.create` (the same schema) or `.create-merge` (new columns added; no type changes). */
function mergedColumns(table: string, old: ColumnDef[], cmd: CommandOf<'create-table'>): ColumnDef[] {
  for (const c of cmd.columns) {
    const o = old.find((x) => x.name === c.name);
    if (o && o.type !== c.type) throw new KustoError('bad-request', `Column '${c.name}' of table '${table}' is of type ${o.type}; it cannot become ${c.type}.`);
  }
  if (!cmd.merge) {
    const same = old.length === cmd.columns.length && old.every((o, i) => o.name === cmd.columns[i]!.name && o.type === cmd.columns[i]!.type);
    if (!same) throw new KustoError('bad-request', `Table '${table}' already exists with a different schema; use .create-merge table to add columns.`);
  }
  return [...old, ...cmd.columns.filter((c) => !old.some((o) => o.name === c.name))];
}

export async function dropTable(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'drop-table'>): Promise<Table> {
  const cluster = r.cluster;
  await authorize(ctx, r, database, 'admin', 'Drop table');
  const e = await ctx.store.kusto.getEntity(cluster.id, database, 'table', cmd.table);
  if (!e) {
    if (!cmd.ifExists) throw tableNotFound(cmd.table, database);
  } else {
    await ctx.store.transaction(async (tx) => {
      await tx.kusto.deleteExtents(cluster.id, database, e.name);
      await tx.kusto.deleteEntity(cluster.id, database, 'table', e.name);
      await tx.kusto.deleteEntity(cluster.id, database, 'policy', updatePolicyName(e.name));
    });
  }
  const tables = await ctx.store.kusto.listEntities(cluster.id, database, 'table');
  return resultTable(
    ['TableName', 'DatabaseName'],
    tables.map((t) => [t.name, database]),
  );
}
