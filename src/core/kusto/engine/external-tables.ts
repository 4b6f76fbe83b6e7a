/**
 * External tables: blobs in storage read as a table, as the identity their connection strings name
 * (`ExternalTable` usage), and their commands: `.create|.drop external table`, `.show external tables`.
 */
import type { ResourceRecord } from '../../model.js';
import { KustoError } from '../errors.js';
import type { ColumnDef } from '../kql-parser.js';
import type { Table } from '../query-engine.js';
import { authorize } from './access.js';
import type { CommandOf, EngineContext, KustoRequest } from './context.js';
import { resolveIdentity, tokenForRef } from './identity-flows.js';
import { readRecords } from './records.js';
import { externalTablesTable } from './result-tables.js';
import { downloadText, listBlobNames } from './storage-io.js';
import { blobUrl, parseStorageRef, refuseImpersonation } from './storage-ref.js';

const FORMATS = ['csv', 'json', 'multijson', 'txt'];

export const externalTableNotFound = (name: string, database: string) =>
  new KustoError('entity-not-found', `External table '${name}' was not found in database '${database}'.`);

/** Every blob below each of the external table's sources, read as rows. */
export async function readExternalTable(ctx: EngineContext, cluster: ResourceRecord, database: string, name: string): Promise<Table> {
  const e = await ctx.store.kusto.getEntity(cluster.id, database, 'external_table', name);
  if (!e) throw externalTableNotFound(name, database);
  const columns = e.body['columns'] as ColumnDef[];
  const format = String(e.body['format']);
  const rows: unknown[][] = [];
  for (const source of e.body['sources'] as string[]) {
    const ref = parseStorageRef(source);
    const token = await tokenForRef(ctx, cluster, database, ref, 'ExternalTable');
    const names = await listBlobNames(ctx, ref.url, token);
    const base = ref.url.replace(/\/+$/, '');
    for (const blob of names) {
      const text = await downloadText(ctx, blobUrl(base, blob), token);
      for (const row of readRecords(text, format, columns, false)) rows.push(row);
    }
  }
  return { columns, rows };
}

export async function createExternalTable(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'create-external-table'>): Promise<Table> {
  await authorize(ctx, r, database, 'admin', 'Create external table');
  if (!FORMATS.includes(cmd.format)) throw new KustoError('bad-request', `The data format '${cmd.format}' is not supported by Keyless; use csv or json.`);
  for (const s of cmd.sources) {
    const ref = parseStorageRef(s);
    refuseImpersonation(ref);
    if (ref.identity) await resolveIdentity(ctx, r.cluster, ref.identity);
  }
  await ctx.store.kusto.putEntity({
    cluster: r.cluster.id,
    database,
    kind: 'external_table',
    name: cmd.name,
    body: { columns: cmd.columns, format: cmd.format, sources: cmd.sources },
  });
  return externalTablesTable([{ name: cmd.name, columns: cmd.columns, sources: cmd.sources }]);
}

export async function dropExternalTable(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'drop-external-table'>): Promise<Table> {
  await authorize(ctx, r, database, 'admin', 'Drop external table');
  if (!(await ctx.store.kusto.deleteEntity(r.cluster.id, database, 'external_table', cmd.name))) throw externalTableNotFound(cmd.name, database);
  return externalTablesTable([]);
}

export async function showExternalTables(ctx: EngineContext, r: KustoRequest, database: string): Promise<Table> {
  await authorize(ctx, r, database, 'viewer', 'Show external tables');
  const entities = await ctx.store.kusto.listEntities(r.cluster.id, database, 'external_table');
  return externalTablesTable(entities.map((e) => ({ name: e.name, columns: e.body['columns'] as ColumnDef[], sources: e.body['sources'] as string[] })));
}
