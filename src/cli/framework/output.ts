/**
 * az's output formats (knack): `json` (2-space indent, keys sorted), `jsonc` (the same, coloured),
 * `yaml`, `tsv`, `table` and `none`. `--query` (JMESPath) runs first; a command's table transform is
 * used only when no query is given, as az does. The JMESPath and YAML libraries load only when used.
 */
import { UsageError } from './errors.js';
import { pyStr, renderTable, type TableTransform } from './table.js';

export const OUTPUT_FORMATS = ['json', 'jsonc', 'table', 'tsv', 'yaml', 'yamlc', 'none'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A copy with object keys sorted, as Python's `json.dumps(sort_keys=True)` prints them. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** Applies a JMESPath expression; a bad expression is az's usage error (exit 2). */
export async function applyQuery(result: unknown, query: string): Promise<unknown> {
  const { compile, TreeInterpreter } = await import('@jmespath-community/jmespath');
  let ast;
  try {
    ast = compile(query);
  } catch {
    throw new UsageError(`argument --query: invalid jmespath_type value: '${query}'`);
  }
  try {
    return TreeInterpreter.search(ast, result as never);
  } catch (e) {
    throw new UsageError(`argument --query: ${(e as Error).message}`);
  }
}

function tsvCell(value: unknown): string {
  if (Array.isArray(value)) return String(value.length);
  if (value && typeof value === 'object') return '';
  return pyStr(value);
}

function tsvRow(row: unknown): string {
  if (Array.isArray(row)) return row.map(tsvCell).join('\t');
  if (row && typeof row === 'object')
    return Object.keys(row)
      .sort()
      .map((k) => tsvCell((row as Record<string, unknown>)[k]))
      .join('\t');
  return tsvCell(row);
}

/** knack's tsv: one line per list item, dict values in key order, nested objects left empty. */
export function renderTsv(result: unknown): string {
  if (result === null || result === undefined) return '';
  const rows = Array.isArray(result) ? result : [result];
  return rows.map((r) => `${tsvRow(r)}\n`).join('');
}

const COLOR = { key: '\x1b[94m', string: '\x1b[32m', number: '\x1b[36m', literal: '\x1b[95m', reset: '\x1b[0m' };

/** `jsonc`: az colours keys, strings, numbers and literals. */
function colorJson(text: string): string {
  return text.replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
    (m, str: string | undefined, colon: string | undefined, lit: string | undefined, num: string | undefined) => {
      if (str) return colon ? `${COLOR.key}${str}${COLOR.reset}${colon}` : `${COLOR.string}${str}${COLOR.reset}`;
      if (lit) return `${COLOR.literal}${lit}${COLOR.reset}`;
      if (num) return `${COLOR.number}${num}${COLOR.reset}`;
      return m;
    },
  );
}

export interface RenderOptions {
  output: OutputFormat;
  query?: string;
  /** az's `table_transformer` for the command. */
  table?: TableTransform;
}

/** The text a command prints on stdout for `result` (empty for no result or `-o none`). */
export async function render(result: unknown, options: RenderOptions): Promise<string> {
  // az prints nothing for a command without a result (delete, --no-wait), whatever the format.
  if (result === undefined) return '';
  let value: unknown = result;
  if (options.query) value = await applyQuery(value, options.query);
  switch (options.output) {
    case 'none':
      return '';
    case 'json':
      return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
    case 'jsonc':
      return `${colorJson(JSON.stringify(sortKeys(value), null, 2))}\n`;
    case 'yaml':
    case 'yamlc': {
      if (value === null) return 'null\n';
      const { stringify } = await import('yaml');
      return stringify(value as object, { sortMapEntries: true });
    }
    case 'tsv':
      return renderTsv(value);
    case 'table':
      return renderTable(value, options.query ? undefined : options.table, !options.query);
  }
}
