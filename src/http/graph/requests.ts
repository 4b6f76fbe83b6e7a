/**
 * What the Graph surface reads from a request, checked: the `getByIds` body and the `$filter` of
 * `servicePrincipals`. Failures are {@link GraphError}s with Microsoft Graph's codes.
 */
import { MAX_IDS_PER_CALL } from '../../core/directory/directory-reader.js';
import { isGuid } from '../../core/ids.js';

/** A failure answered with Graph's `{"error":{"code","message"}}` body. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

const badRequest = (message: string) => new GraphError(400, 'Request_BadRequest', message);

/** Decodes a JSON object body (Graph answers 400 `Request_BadRequest` for anything else). */
export function readJsonObject(raw: Buffer | undefined): Record<string, unknown> {
  if (raw === undefined || raw.length === 0) throw badRequest('The request body is empty; a JSON object is required.');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('The request body must be a JSON object.');
  return value as Record<string, unknown>;
}

export interface GetByIdsRequest {
  ids: string[];
  /** Lower-cased type names; undefined = every type. */
  types: string[] | undefined;
}

/**
 * `{ ids: [...], types?: [...] }` of `POST /directoryObjects/getByIds`: Graph takes up to 1000 ids
 * and refuses an id that is not a GUID ("Invalid object identifier").
 */
export function parseGetByIds(body: Record<string, unknown>): GetByIdsRequest {
  const { ids, types } = body;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw badRequest("The request body must have 'ids': an array of object ids (strings).");
  if (ids.length > MAX_IDS_PER_CALL) throw badRequest(`Too many ids: at most ${MAX_IDS_PER_CALL} object ids may be requested at once.`);
  const invalid = (ids as string[]).find((id) => !isGuid(id));
  if (invalid !== undefined) throw badRequest(`Invalid object identifier '${invalid.slice(0, 100)}'.`);
  if (types !== undefined && types !== null && (!Array.isArray(types) || types.some((t) => typeof t !== 'string'))) {
    throw badRequest("'types' must be an array of type names such as 'servicePrincipal'.");
  }
  return {
    ids: ids as string[],
    types: Array.isArray(types) ? (types as string[]).map((t) => t.replace(/^#?microsoft\.graph\./i, '').toLowerCase()) : undefined,
  };
}

/** The one lookup a `servicePrincipals` `$filter` asks for. */
export type PrincipalFilter = { by: 'appId'; value: string } | { by: 'id'; value: string } | { by: 'servicePrincipalName'; value: string };

const QUOTED = String.raw`'((?:[^']|'')*)'`;
const FILTERS: [RegExp, PrincipalFilter['by']][] = [
  [new RegExp(String.raw`^\s*appId\s+eq\s+${QUOTED}\s*$`, 'i'), 'appId'],
  [new RegExp(String.raw`^\s*id\s+eq\s+${QUOTED}\s*$`, 'i'), 'id'],
  // az resolves `--assignee` with servicePrincipalNames/any(c:c eq '<name>').
  [new RegExp(String.raw`^\s*servicePrincipalNames/any\(\s*(\w+)\s*:\s*\1\s+eq\s+${QUOTED}\s*\)\s*$`, 'i'), 'servicePrincipalName'],
];

/**
 * The `$filter` of `GET /servicePrincipals`. Keyless serves the lookups clients make to resolve one
 * principal (`appId eq`, `id eq`, `servicePrincipalNames/any(c:c eq …)`), not listing the directory.
 */
export function parsePrincipalFilter(filter: string | undefined): PrincipalFilter {
  if (filter === undefined || filter.trim() === '') {
    throw new GraphError(
      400,
      'Request_UnsupportedQuery',
      "Keyless does not list the directory: use $filter=appId eq '<appId>' or servicePrincipalNames/any(c:c eq '<name>').",
    );
  }
  for (const [pattern, by] of FILTERS) {
    const m = pattern.exec(filter);
    if (m) return { by, value: m[m.length - 1]!.replace(/''/g, "'") };
  }
  throw new GraphError(
    400,
    'Request_UnsupportedQuery',
    `Unsupported query: the filter '${filter.slice(0, 200)}' is not one Keyless serves (appId eq '…', id eq '…', servicePrincipalNames/any(c:c eq '…')).`,
  );
}

/** One condition of an OData `$filter`: a property compared to a string. */
export type FilterTerm =
  { op: 'eq'; property: string; value: string } | { op: 'startswith'; property: string; value: string } | { op: 'any-eq'; property: string; value: string };

const TERM_PATTERNS: [RegExp, FilterTerm['op']][] = [
  [new RegExp(String.raw`^\s*([A-Za-z]+)\s+eq\s+${QUOTED}`, 'i'), 'eq'],
  [new RegExp(String.raw`^\s*startswith\(\s*([A-Za-z]+)\s*,\s*${QUOTED}\s*\)`, 'i'), 'startswith'],
  [new RegExp(String.raw`^\s*([A-Za-z]+)/any\(\s*(?:\w+)\s*:\s*\w+\s+eq\s+${QUOTED}\s*\)`, 'i'), 'any-eq'],
];

/**
 * The `$filter` of a Graph list, as the terms az and the SDKs send: `prop eq '…'`,
 * `startswith(prop,'…')` and `collection/any(c:c eq '…')`, joined by `and`. Anything else is refused
 * with Graph's `Request_UnsupportedQuery` rather than ignored.
 */
export function parseFilterTerms(filter: string): FilterTerm[] {
  const terms: FilterTerm[] = [];
  let rest = filter;
  for (;;) {
    const found = TERM_PATTERNS.map(([p, op]) => [p.exec(rest), op] as const).find(([m]) => m !== null);
    if (!found)
      throw new GraphError(
        400,
        'Request_UnsupportedQuery',
        `Unsupported query: the filter '${filter.slice(0, 200)}' is not one Keyless serves (prop eq '…', startswith(prop,'…'), prop/any(c:c eq '…'), joined by 'and').`,
      );
    const [m, op] = found as [RegExpExecArray, FilterTerm['op']];
    terms.push({ op, property: m[1]!, value: m[m.length - 1]!.replace(/''/g, "'") });
    rest = rest.slice(m[0].length);
    if (rest.trim() === '') return terms;
    const and = /^\s+and\s+/i.exec(rest);
    if (!and) throw new GraphError(400, 'Request_UnsupportedQuery', `Unsupported query: expected 'and' in the filter '${filter.slice(0, 200)}'.`);
    rest = rest.slice(and[0].length);
  }
}

/** True when the Graph object (as rendered) satisfies every term; comparisons ignore case, as Graph's do. */
export function matchesFilter(item: Record<string, unknown>, terms: readonly FilterTerm[]): boolean {
  return terms.every((t) => {
    const key = Object.keys(item).find((k) => k.toLowerCase() === t.property.toLowerCase());
    const value = key === undefined ? undefined : item[key];
    const wanted = t.value.toLowerCase();
    if (t.op === 'any-eq') return Array.isArray(value) && value.some((v) => typeof v === 'string' && v.toLowerCase() === wanted);
    if (typeof value !== 'string') return false;
    return t.op === 'eq' ? value.toLowerCase() === wanted : value.toLowerCase().startsWith(wanted);
  });
}
