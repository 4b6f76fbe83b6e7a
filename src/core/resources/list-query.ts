/**
 * The list options ARM accepts on Microsoft.Resources collections: an OData `$filter` restricted to
 * what ARM supports there, a page size (`$top`) and a cursor. Filters are parsed here (pure) so every
 * surface gives the same answer.
 */
import { DomainError } from '../errors.js';
import type { Page, PageRequest, Tags } from '../model.js';

/** What a `$filter` may select on. */
export interface ListFilter {
  tagName?: string;
  tagValue?: string;
  resourceType?: string;
}

export interface ListQuery {
  filter?: ListFilter;
  /** Page size; ARM's `$top`. */
  top?: number;
  /** Cursor from a previous page. */
  after?: string;
}

/** Page size when the caller gives none, and the most one page may hold. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

type FilterField = 'tagname' | 'tagvalue' | 'resourcetype';
const CLAUSE = /^\s*(tagName|tagValue|resourceType)\s+eq\s+'((?:[^']|'')*)'\s*/i;

/**
 * Parses `tagName eq 'a'`, `tagName eq 'a' and tagValue eq 'b'` (resource groups and resources) and
 * `resourceType eq 'Ns/type'` (resources), joined by `and`. `allowed` lists the fields the collection supports.
 */
export function parseListFilter(raw: string | undefined, allowed: readonly FilterField[]): ListFilter | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const filter: ListFilter = {};
  let rest = raw;
  for (;;) {
    const m = CLAUSE.exec(rest);
    const field = m?.[1]?.toLowerCase() as FilterField | undefined;
    if (!m || !field || !allowed.includes(field)) throw unsupportedFilter(raw, allowed);
    const value = m[2]!.replace(/''/g, "'");
    if (field === 'tagname') filter.tagName = value;
    else if (field === 'tagvalue') filter.tagValue = value;
    else filter.resourceType = value;
    rest = rest.slice(m[0].length);
    if (rest.length === 0) break;
    const and = /^and\s+/i.exec(rest);
    if (!and) throw unsupportedFilter(raw, allowed);
    rest = rest.slice(and[0].length);
  }
  if (filter.tagValue !== undefined && filter.tagName === undefined) {
    throw new DomainError('InvalidParameter', `The $filter '${raw}' is invalid: tagValue can only be used together with tagName.`, { target: '$filter' });
  }
  return filter;
}

function unsupportedFilter(raw: string, allowed: readonly FilterField[]): DomainError {
  const forms = ["tagName eq '<name>'", "tagName eq '<name>' and tagValue eq '<value>'"];
  if (allowed.includes('resourcetype')) forms.push("resourceType eq '<namespace>/<type>'");
  return new DomainError('InvalidParameter', `The $filter '${raw}' is not supported. Supported filters: ${forms.join('; ')}.`, { target: '$filter' });
}

/** True when `tags` satisfy the tag part of `filter`: names compare case-insensitively, values exactly. */
export function matchesTagFilter(tags: Tags, filter: ListFilter | undefined): boolean {
  if (!filter?.tagName) return true;
  const wanted = filter.tagName.toLowerCase();
  const entry = Object.entries(tags).find(([name]) => name.toLowerCase() === wanted);
  if (!entry) return false;
  return filter.tagValue === undefined || entry[1] === filter.tagValue;
}

/** Checks `$top`: a whole number from 1 to {@link MAX_PAGE_SIZE}. */
export function checkPageSize(top: number | undefined): number {
  if (top === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
    throw new DomainError('InvalidParameter', `The value of $top must be a whole number from 1 to ${MAX_PAGE_SIZE}.`, { target: '$top' });
  }
  return top;
}

/** How many stored rows one filtered page may read before it answers (possibly short) with a cursor. */
const SCAN_BUDGET = 5000;

/**
 * Reads one page of `size` matching items from a paged source, skipping those `keep` rejects.
 * Each read asks for at most the number still missing, so every item read is either returned or
 * rejected and the source's own cursor is always a correct resume point. Like ARM, a page may be
 * short (even empty) and still carry a cursor when the scan budget runs out.
 */
export async function readFilteredPage<T>(
  read: (page: PageRequest) => Promise<Page<T>>,
  keep: (item: T) => boolean,
  size: number,
  after: string | undefined,
): Promise<Page<T>> {
  const items: T[] = [];
  let cursor = after;
  let scanned = 0;
  for (;;) {
    const page = await read(cursor === undefined ? { limit: size - items.length } : { limit: size - items.length, after: cursor });
    scanned += page.items.length;
    for (const item of page.items) if (keep(item)) items.push(item);
    cursor = page.next;
    if (cursor === undefined || page.items.length === 0 || items.length >= size || scanned >= SCAN_BUDGET) break;
  }
  return cursor === undefined ? { items } : { items, next: cursor };
}
