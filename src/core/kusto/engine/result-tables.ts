/**
 * The tables management commands answer with (the columns Kusto's own commands return), built from
 * one column list each.
 */
import type { ColumnDef, ScalarType } from '../kql-parser.js';
import type { Table } from '../query-engine.js';
import { DATA_TYPES } from '../values.js';

/** A column: its name (a string column) or its name and type. */
type ColumnSpec = string | readonly [string, ScalarType];

/** A result table from its column list and rows. */
export function resultTable(columns: readonly ColumnSpec[], rows: unknown[][]): Table {
  return { columns: columns.map((c): ColumnDef => (typeof c === 'string' ? { name: c, type: 'string' } : { name: c[0], type: c[1] })), rows };
}

/** The .NET type names of `.show table … schema as json` (decimal is spelled as SQL's, unlike v1 tables' DataType). */
const SCHEMA_TYPES: Record<ScalarType, string> = { ...DATA_TYPES, decimal: 'Data.SqlTypes.SqlDecimal' };

const schemaJson = (name: string, columns: ColumnDef[]) =>
  JSON.stringify({ Name: name, OrderedColumns: columns.map((c) => ({ Name: c.name, Type: `System.${SCHEMA_TYPES[c.type]}`, CslType: c.type })) });

/** `.show table T schema as json` and `.create table`'s answer. */
export function tableSchemaTable(database: string, name: string, columns: ColumnDef[]): Table {
  return resultTable(['TableName', 'Schema', 'DatabaseName', 'Folder', 'DocString'], [[name, schemaJson(name, columns), database, '', '']]);
}

export function ingestResult(extentId: string, item: string): Table {
  return resultTable(
    [['ExtentId', 'guid'], 'ItemLoaded', ['Duration', 'timespan'], ['HasErrors', 'bool'], ['OperationId', 'guid']],
    [[extentId, item, '00:00:00', false, extentId]],
  );
}

export function externalTablesTable(tables: { name: string; columns: ColumnDef[]; sources: string[] }[]): Table {
  return resultTable(
    ['TableName', 'TableType', 'Folder', 'DocString', 'Schema', 'Properties', ['ConnectionStrings', 'dynamic']],
    // Connection strings are shown without their credential part, as Kusto obfuscates them.
    tables.map((t) => [
      t.name,
      'Blob',
      '',
      '',
      JSON.stringify(t.columns.map((c) => ({ Name: c.name, CslType: c.type }))),
      '{}',
      t.sources.map((s) => `${s.split(';')[0]}${s.includes(';') ? ';*******' : ''}`),
    ]),
  );
}

export function continuousExportsTable(exports: { name: string; body: Record<string, unknown> }[]): Table {
  return resultTable(
    [
      'Name',
      'ExternalTableName',
      'Query',
      ['IntervalBetweenRuns', 'timespan'],
      'ManagedIdentity',
      ['LastRunTime', 'datetime'],
      'LastRunResult',
      ['Runs', 'long'],
    ],
    exports.map((e) => [
      e.name,
      e.body['externalTable'],
      e.body['query'],
      msToTimespan(Number(e.body['intervalMs'])),
      e.body['managedIdentity'] ?? '',
      e.body['lastRunAt'] ?? null,
      e.body['lastError'] ? `Failed: ${String(e.body['lastError'])}` : e.body['lastRunAt'] ? 'Completed' : '',
      e.body['runs'] ?? 0,
    ]),
  );
}

function msToTimespan(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
