/**
 * Rows read from a blob's text (CSV or JSON, one object a line or an array) into a table's columns,
 * and rows written as a blob's text for exports. Pure: no I/O.
 */
import { KustoError } from '../errors.js';
import type { ColumnDef } from '../kql-parser.js';
import type { Table } from '../query-engine.js';
import { coerce, parseCsv, toCsv } from '../values.js';

export function readRecords(text: string, format: string, columns: ColumnDef[], ignoreFirst: boolean): unknown[][] {
  if (format === 'csv' || format === 'txt') return readCsvRecords(text, columns, ignoreFirst);
  if (format === 'json' || format === 'multijson') return readJsonRecords(text, columns);
  throw new KustoError('bad-request', `The data format '${format}' is not supported by Keyless; use csv or json.`);
}

function readCsvRecords(text: string, columns: ColumnDef[], ignoreFirst: boolean): unknown[][] {
  const records = parseCsv(text);
  if (ignoreFirst) records.shift();
  return records.filter((r) => !(r.length === 1 && r[0] === '')).map((r) => columns.map((c, i) => coerce(r[i] ?? null, c.type)));
}

function readJsonRecords(text: string, columns: ColumnDef[]): unknown[][] {
  const out: unknown[][] = [];
  const push = (o: unknown) => {
    if (typeof o !== 'object' || o === null) return;
    out.push(columns.map((c) => coerce((o as Record<string, unknown>)[c.name] ?? null, c.type)));
  };
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      (JSON.parse(trimmed) as unknown[]).forEach(push);
    } catch {
      throw new KustoError('bad-request', 'The JSON source is not valid JSON.');
    }
    return out;
  }
  for (const line of trimmed.split('\n')) {
    if (line.trim() === '') continue;
    try {
      push(JSON.parse(line));
    } catch {
      throw new KustoError('bad-request', `The JSON source has a line that is not a JSON object: '${line.slice(0, 80)}'.`);
    }
  }
  return out;
}

/** A query result as an export writes it: CSV (with an optional header) or one JSON object a line. */
export function writeRecords(format: string, result: Table, header: boolean): string {
  if (format === 'csv') return toCsv(result.rows, header ? result.columns.map((c) => c.name) : undefined);
  return (
    result.rows.map((row) => JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])))).join('\n') + (result.rows.length ? '\n' : '')
  );
}

/** Result rows laid onto a table's columns by name (missing columns null), each value coerced to its column's type. */
export function projectOnto(result: Table, columns: ColumnDef[]): unknown[][] {
  return result.rows.map((row) =>
    columns.map((c) => {
      const i = result.columns.findIndex((x) => x.name === c.name);
      return i < 0 ? null : coerce(row[i], c.type);
    }),
  );
}
