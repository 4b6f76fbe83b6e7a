/**
 * Listing parameters: page sizes (`maxresults`, at most 5000), continuation markers (opaque to
 * clients: the last name returned, base64url with a version tag), and `include=`.
 */
import type { PageRequest } from '../../../core/model.js';
import { BlobError } from '../../../core/blob/errors.js';
import type { BlobRequestContext } from './context.js';

const MAX_RESULTS = 5000;

export function maxResults(q: (n: string) => string | undefined, name = 'maxresults'): number {
  const raw = q(name);
  if (raw === undefined) return MAX_RESULTS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BlobError('InvalidQueryParameterValue', `${name} must be a whole number of at least 1.`);
  return Math.min(n, MAX_RESULTS);
}

export const encodeMarker = (name: string) => Buffer.from(`k1:${name}`, 'utf8').toString('base64url');

export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined || marker === '') return undefined;
  const text = /^[A-Za-z0-9_-]+$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
  if (!text.startsWith('k1:')) throw new BlobError('InvalidQueryParameterValue', 'The marker is not one this server returned.');
  return text.slice(3);
}

/** A page of `limit` names after `after` (from the start when undefined). */
export function pageAfter(after: string | undefined, limit: number): PageRequest {
  return { ...(after === undefined ? {} : { after }), limit };
}

/** Whether `include=` names `what` (e.g. `metadata`). */
export function includes(ctx: BlobRequestContext, what: string): boolean {
  return (ctx.query('include') ?? '').toLowerCase().split(',').includes(what);
}
