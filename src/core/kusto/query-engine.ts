/**
 * Evaluates Keyless's KQL query subset over rows in memory: where (comparisons, and/or/not,
 * contains/has/startswith/endswith, =~), take, count, project, summarize with count/sum/min/max/avg/dcount
 * by columns. Unknown columns are semantic errors (SEM0100), never a wrong answer. Pure: no I/O.
 */
import { KustoError } from './errors.js';
import type { ColumnDef, Expr, Query, QueryOp, ScalarType } from './kql-parser.js';

export interface Table {
  columns: ColumnDef[];
  rows: unknown[][];
}

function semantic(message: string): KustoError {
  return new KustoError('semantic', `Semantic error: ${message}`);
}

function columnIndex(table: Table, name: string): number {
  const i = table.columns.findIndex((c) => c.name === name);
  if (i < 0)
    throw semantic(
      `SEM0100: 'where' operator: Failed to resolve scalar expression named '${name}'. Columns are: ${table.columns.map((c) => c.name).join(', ') || '(none)'}.`.replace(
        "'where' operator: ",
        '',
      ),
    );
  return i;
}

function typeOf(expr: Expr, table: Table): ScalarType {
  switch (expr.k) {
    case 'col':
      return table.columns[columnIndex(table, expr.name)]!.type;
    case 'lit':
      return typeof expr.value === 'number' ? (Number.isInteger(expr.value) ? 'long' : 'real') : typeof expr.value === 'boolean' ? 'bool' : 'string';
    case 'bin':
    case 'not':
      return 'bool';
  }
}

/** Binds column references to indexes once, then evaluates per row. */
function compile(expr: Expr, table: Table): (row: unknown[]) => unknown {
  switch (expr.k) {
    case 'lit': {
      const v = expr.value;
      return () => v;
    }
    case 'col': {
      const i = columnIndex(table, expr.name);
      return (row) => row[i];
    }
    case 'not': {
      const e = compile(expr.e, table);
      return (row) => !truthy(e(row));
    }
    case 'bin': {
      const l = compile(expr.left, table);
      const r = compile(expr.right, table);
      const lower = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v)).toLowerCase();
      switch (expr.op) {
        case 'and':
          return (row) => truthy(l(row)) && truthy(r(row));
        case 'or':
          return (row) => truthy(l(row)) || truthy(r(row));
        case '==':
          return (row) => compare(l(row), r(row)) === 0;
        case '!=':
          return (row) => {
            const c = compare(l(row), r(row));
            return c !== 0 && c !== undefined;
          };
        case '<':
          return (row) => (compare(l(row), r(row)) ?? 0) < 0 && compare(l(row), r(row)) !== undefined;
        case '<=':
          return (row) => {
            const c = compare(l(row), r(row));
            return c !== undefined && c <= 0;
          };
        case '>':
          return (row) => {
            const c = compare(l(row), r(row));
            return c !== undefined && c > 0;
          };
        case '>=':
          return (row) => {
            const c = compare(l(row), r(row));
            return c !== undefined && c >= 0;
          };
        case '=~':
          return (row) => lower(l(row)) === lower(r(row));
        case '!~':
          return (row) => lower(l(row)) !== lower(r(row));
        case 'contains':
          return (row) => lower(l(row)).includes(lower(r(row)));
        case 'contains_cs':
          return (row) => String(l(row) ?? '').includes(String(r(row) ?? ''));
        case 'startswith':
          return (row) => lower(l(row)).startsWith(lower(r(row)));
        case 'endswith':
          return (row) => lower(l(row)).endsWith(lower(r(row)));
        case 'has':
          return (row) => {
            const term = lower(r(row));
            return lower(l(row))
              .split(/[^a-z0-9_]+/)
              .includes(term);
          };
        default:
          throw semantic(`the operator '${expr.op}' is not supported.`);
      }
    }
  }
}

const truthy = (v: unknown) => v === true;

/** -1/0/1, or undefined when either side is null (Kusto: comparisons with null are false). */
function compare(a: unknown, b: unknown): number | undefined {
  if (a === null || a === undefined || b === null || b === undefined) return undefined;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '' && !Number.isNaN(Number(b))) return compare(a, Number(b));
  if (typeof b === 'number' && typeof a === 'string' && a.trim() !== '' && !Number.isNaN(Number(a))) return compare(Number(a), b);
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function applyOp(table: Table, op: QueryOp): Table {
  switch (op.op) {
    case 'where': {
      if (typeOf(op.pred, table) !== 'bool') throw semantic("SEM0025: the 'where' predicate must be a boolean expression.");
      const pred = compile(op.pred, table);
      return { columns: table.columns, rows: table.rows.filter((r) => truthy(pred(r))) };
    }
    case 'take':
      return { columns: table.columns, rows: table.rows.slice(0, op.n) };
    case 'count':
      return { columns: [{ name: 'Count', type: 'long' }], rows: [[table.rows.length]] };
    case 'project': {
      const compiled = op.columns.map((c) => ({ name: c.name, type: typeOf(c.expr, table), fn: compile(c.expr, table) }));
      return { columns: compiled.map((c) => ({ name: c.name, type: c.type })), rows: table.rows.map((r) => compiled.map((c) => c.fn(r))) };
    }
    case 'summarize': {
      const keys = op.by.map((b) => columnIndex(table, b));
      const aggs = op.aggregates.map((a) => ({ ...a, index: a.column === undefined ? -1 : columnIndex(table, a.column) }));
      for (const a of aggs) {
        const t = a.index >= 0 ? table.columns[a.index]!.type : 'long';
        if ((a.fn === 'sum' || a.fn === 'avg') && !['long', 'int', 'real', 'decimal'].includes(t))
          throw semantic(`SEM0219: ${a.fn}(): argument #1 must be numeric; '${a.column}' is ${t}.`);
      }
      const groups = new Map<string, { key: unknown[]; rows: unknown[][] }>();
      for (const row of table.rows) {
        const key = keys.map((k) => row[k]);
        const id = JSON.stringify(key);
        let g = groups.get(id);
        if (!g) groups.set(id, (g = { key, rows: [] }));
        g.rows.push(row);
      }
      if (keys.length === 0 && groups.size === 0) groups.set('[]', { key: [], rows: [] });
      const rows = [...groups.values()].map((g) => [...g.key, ...aggs.map((a) => aggregate(a.fn, g.rows, a.index))]);
      const aggType = (a: (typeof aggs)[number]): ScalarType =>
        a.fn === 'count' || a.fn === 'dcount' ? 'long' : a.fn === 'avg' ? 'real' : table.columns[a.index]!.type;
      return { columns: [...keys.map((k) => table.columns[k]!), ...aggs.map((a) => ({ name: a.name, type: aggType(a) }))], rows };
    }
    case 'evaluate':
      throw semantic(`the plugin '${op.plugin}' is not available on Keyless.`);
  }
}

function aggregate(fn: string, rows: unknown[][], index: number): unknown {
  if (fn === 'count') return rows.length;
  const values = rows.map((r) => r[index]).filter((v) => v !== null && v !== undefined);
  switch (fn) {
    case 'dcount':
      return new Set(values.map((v) => JSON.stringify(v))).size;
    case 'sum':
      return values.reduce((s: number, v) => s + Number(v), 0);
    case 'avg':
      return values.length === 0 ? null : values.reduce((s: number, v) => s + Number(v), 0) / values.length;
    case 'min':
      return values.reduce<unknown>((m, v) => (m === undefined || (compare(v, m) ?? 0) < 0 ? v : m), undefined) ?? null;
    case 'max':
      return values.reduce<unknown>((m, v) => (m === undefined || (compare(v, m) ?? 0) > 0 ? v : m), undefined) ?? null;
  }
  return null;
}

/** Runs the query's operators over its source table. */
export function runQuery(source: Table, query: Query): Table {
  return query.ops.reduce(applyOp, source);
}
