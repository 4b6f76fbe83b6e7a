/**
 * az's `-o table` (knack `_TableOutput` + tabulate `simple`): a command's transform picks and names
 * the columns (e.g. `group list`: Name, Location, Status); without one, every scalar field except
 * `id`, `type` and `etag` becomes a column named with its first letter capitalised.
 */
/** Python's `str()` of a scalar, which az's tsv and table outputs print (null: empty). */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

/** Maps a command's result to rows whose keys are the column headers, in order. */
export type TableTransform = (result: unknown) => Record<string, unknown>[] | Record<string, unknown>;

const SKIP_KEYS = new Set(['id', 'type', 'etag']);

function autoRow(item: unknown, sortKeys: boolean): Record<string, unknown> {
  if (Array.isArray(item)) return Object.fromEntries(item.map((v, i) => [`Column${i + 1}`, v]));
  if (!item || typeof item !== 'object') return { Result: item };
  const keys = Object.keys(item);
  const row: Record<string, unknown> = {};
  for (const k of sortKeys ? keys.sort() : keys) {
    const v = (item as Record<string, unknown>)[k];
    if (SKIP_KEYS.has(k) || v === null || v === undefined || typeof v === 'object') continue;
    row[k.charAt(0).toUpperCase() + k.slice(1)] = v;
  }
  return row;
}

/** The table text; empty when there are no rows. */
export function renderTable(result: unknown, transform: TableTransform | undefined, sortKeys: boolean): string {
  if (result === null || result === undefined) return '';
  const shaped = transform ? transform(result) : result;
  const items = Array.isArray(shaped) ? shaped : [shaped];
  const rows = items.map((i) => (transform ? (i as Record<string, unknown>) : autoRow(i, sortKeys)));
  if (rows.length === 0) return '';
  const headers: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!headers.includes(k)) headers.push(k);
  if (headers.length === 0) return '';
  const cells = rows.map((r) => headers.map((h) => pyStr(r[h])));
  const widths = headers.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, c) => v.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n') + '\n';
}
