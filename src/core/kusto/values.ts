/**
 * Kusto scalar values: reading text (CSV fields, JSON values) into a column's type, the v1 `DataType`
 * names, and writing rows as CSV. Pure: no I/O.
 */
import type { ScalarType } from './kql-parser.js';

/** The .NET type name v1 tables carry next to `ColumnType`. */
export const DATA_TYPES: Record<ScalarType, string> = {
  string: 'String',
  long: 'Int64',
  int: 'Int32',
  real: 'Double',
  bool: 'Boolean',
  datetime: 'DateTime',
  timespan: 'TimeSpan',
  guid: 'Guid',
  dynamic: 'Object',
  decimal: 'Decimal',
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A value of `type` from text or JSON; what cannot be read becomes null, as Kusto ingestion does. */
export function coerce(value: unknown, type: ScalarType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'long':
    case 'int': {
      if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
      if (typeof value === 'boolean') return value ? 1 : 0;
      const s = String(value).trim();
      return /^[+-]?\d+$/.test(s) ? Number(s) : null;
    }
    case 'real':
    case 'decimal': {
      if (typeof value === 'number') return value;
      const s = String(value).trim();
      if (s === '') return null;
      const n = Number(s);
      return Number.isNaN(n) ? null : n;
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      const s = String(value).trim().toLowerCase();
      return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : null;
    }
    case 'datetime': {
      const s = String(value).trim();
      if (s === '') return null;
      const t = Date.parse(s);
      return Number.isNaN(t) ? null : new Date(t).toISOString();
    }
    case 'timespan':
      return String(value).trim() === '' ? null : String(value).trim();
    case 'guid': {
      const s = String(value).trim();
      return GUID.test(s) ? s.toLowerCase() : null;
    }
    case 'dynamic': {
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
    }
  }
}

/** Splits CSV text into records (RFC 4180: quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      i++;
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') {
      i++;
      continue;
    }
    if (c === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
      continue;
    }
    field += c;
    i++;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly (readonly unknown[])[], header?: readonly string[]): string {
  const lines = rows.map((r) => r.map(csvField).join(','));
  if (header) lines.unshift(header.map(csvField).join(','));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
