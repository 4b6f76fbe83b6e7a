/**
 * ARM paging: a page is `{ value, nextLink }` where `nextLink` is the absolute URL of the next page,
 * carrying the original query (`api-version`, `$filter`, `$top`) plus a `$skiptoken`. The skip token
 * wraps the storage cursor with a checksum so that a garbled token is a 400, never a storage error.
 */
import { createHash } from 'node:crypto';
import type { ArmList } from '../../contract/arm.js';
import type { Page } from '../../core/model.js';
import { DomainError } from '../../core/errors.js';
import type { ArmContext } from './route.js';

function checksum(cursor: string): string {
  return createHash('sha256')
    .update('keyless-skiptoken\0' + cursor)
    .digest('base64url')
    .slice(0, 16);
}

/** Encodes a storage cursor as an opaque `$skiptoken`. */
export function encodeSkipToken(cursor: string): string {
  return `${Buffer.from(cursor, 'utf8').toString('base64url')}.${checksum(cursor)}`;
}

/** Decodes a `$skiptoken`; throws `InvalidParameter` when it is not one this server issued. */
export function decodeSkipToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const [data, sum, extra] = token.split('.');
  if (data !== undefined && sum !== undefined && extra === undefined && /^[\w-]*$/.test(data)) {
    const cursor = Buffer.from(data, 'base64url').toString('utf8');
    if (checksum(cursor) === sum) return cursor;
  }
  throw new DomainError('InvalidParameter', 'The $skiptoken is invalid: use the nextLink returned by the previous page unchanged.', { target: '$skiptoken' });
}

/** The optional `$top` query value as a number (validation of its range is the core's). */
export function readTop(ctx: ArmContext<unknown>): number | undefined {
  const raw = ctx.query('$top');
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,9}$/.test(raw.trim())) {
    throw new DomainError('InvalidParameter', `The value '${raw}' of $top is invalid: it must be a whole number.`, { target: '$top' });
  }
  return Number(raw.trim());
}

/** Builds `{ value, nextLink? }` for a page, the next link keeping the request's query. */
export function toArmList<T, W>(ctx: ArmContext<unknown>, page: Page<T>, toWire: (item: T) => W): ArmList<W> {
  const list: ArmList<W> = { value: page.items.map(toWire) };
  if (page.next !== undefined) {
    const url = new URL(ctx.baseUrl + ctx.path);
    url.searchParams.set('api-version', ctx.apiVersion);
    for (const name of ['$filter', '$top', '$expand']) {
      const value = ctx.query(name);
      if (value !== undefined) url.searchParams.set(name, value);
    }
    url.searchParams.set('$skiptoken', encodeSkipToken(page.next));
    list.nextLink = url.toString();
  }
  return list;
}
