/**
 * `$filter` and `$top` of Graph's `GET /auditLogs/signIns`, as far as Keyless serves them:
 * `createdDateTime ge|le <DateTimeOffset>` (unquoted, as Graph writes it; quotes accepted),
 * `appId eq '<guid>'`, `servicePrincipalId eq '<guid>'`, and (beta) `signInEventTypes/any(t: t eq
 * 'managedIdentity' [or t eq 'servicePrincipal'])`, joined with `and`. Pure; throws SignInQueryError.
 */
import { parseTimestamp } from './activity-filter.js';
import type { SignInEventType, SignInQuery } from './model.js';

export class SignInQueryError extends Error {
  override readonly name = 'SignInQueryError';
}

const EVENT_TYPES: readonly SignInEventType[] = ['servicePrincipal', 'managedIdentity'];
/** Graph's `$top` for sign-ins is at most 1000. */
export const MAX_TOP = 1000;
export const DEFAULT_TOP = 1000;

const TERMS = {
  time: /\s*createdDateTime\s+(ge|le)\s+('?)([0-9][0-9T:.+\-Z]*)\2\s*/iy,
  id: /\s*(appId|servicePrincipalId)\s+eq\s+'([^']*)'\s*/iy,
  types: /\s*signInEventTypes\/any\(\s*(\w+)\s*:\s*([^)]*)\)\s*/iy,
  and: /and\b/iy,
};

/** Parses `$filter` for one tenant's sign-ins. */
export function parseSignInFilter(filter: string | undefined, tenantId: string): SignInQuery {
  const query: SignInQuery & { from?: string; to?: string } = { tenantId };
  if (filter === undefined || filter.trim() === '') return query;
  if (filter.length > 2048) throw new SignInQueryError('Invalid filter clause: the filter is too long.');
  let at = 0;
  const tryTerm = (re: RegExp) => {
    re.lastIndex = at;
    const m = re.exec(filter);
    if (m) at = re.lastIndex;
    return m;
  };
  for (;;) {
    const time = tryTerm(TERMS.time);
    const id = time ? null : tryTerm(TERMS.id);
    const types = time || id ? null : tryTerm(TERMS.types);
    if (time) {
      const ts = parseTimestamp(time[3]!);
      if (!ts) throw new SignInQueryError(`Invalid filter clause: '${time[3]!.slice(0, 60)}' is not a date and time (e.g. 2026-01-31T08:00:00Z).`);
      const key = time[1]!.toLowerCase() === 'ge' ? 'from' : 'to';
      if (query[key]) throw new SignInQueryError(`Invalid filter clause: createdDateTime ${time[1]} is given twice.`);
      query[key] = ts;
    } else if (id) {
      const key = id[1]!.toLowerCase() === 'appid' ? 'appId' : 'servicePrincipalId';
      if (query[key] !== undefined) throw new SignInQueryError(`Invalid filter clause: ${key} is given twice.`);
      query[key] = id[2]!;
    } else if (types) {
      if (query.eventTypes) throw new SignInQueryError('Invalid filter clause: signInEventTypes is given twice.');
      query.eventTypes = parseEventTypes(types[1]!, types[2]!);
    } else {
      throw new SignInQueryError(
        `Invalid filter clause near '${filter.slice(at, at + 60)}'. Supported: createdDateTime ge|le <date>, appId eq '<id>', servicePrincipalId eq '<id>', signInEventTypes/any(t: t eq 'servicePrincipal'|'managedIdentity'), joined with 'and'.`,
      );
    }
    if (at >= filter.length) break;
    if (!tryTerm(TERMS.and)) throw new SignInQueryError(`Invalid filter clause: expected 'and' near '${filter.slice(at, at + 60)}'.`);
  }
  if (query.from && query.to && query.to < query.from) throw new SignInQueryError('Invalid filter clause: the time range is empty (start after end).');
  return query;
}

function parseEventTypes(variable: string, body: string): SignInEventType[] {
  const found: SignInEventType[] = [];
  for (const part of body.split(/\s+or\s+/i)) {
    const m = new RegExp(`^\\s*${variable}\\s+eq\\s+'([^']*)'\\s*$`, 'i').exec(part);
    const type = m ? EVENT_TYPES.find((t) => t.toLowerCase() === m[1]!.toLowerCase()) : undefined;
    if (!m) throw new SignInQueryError(`Invalid filter clause: signInEventTypes/any(${variable}: ${variable} eq '<type>' [or …]) expected.`);
    // Keyless has no users: interactive and non-interactive user sign-ins are always empty.
    if (!type && !['interactiveuser', 'noninteractiveuser'].includes(m[1]!.toLowerCase())) {
      throw new SignInQueryError(`Invalid filter clause: '${m[1]!.slice(0, 40)}' is not a sign-in event type.`);
    }
    if (type && !found.includes(type)) found.push(type);
  }
  return found;
}

/** `$top`: 1..1000 (default 1000). */
export function parseTop(top: string | undefined): number {
  if (top === undefined) return DEFAULT_TOP;
  if (!/^\d{1,4}$/.test(top) || Number(top) < 1 || Number(top) > MAX_TOP)
    throw new SignInQueryError(`Invalid $top '${top.slice(0, 20)}': a number from 1 to ${MAX_TOP}.`);
  return Number(top);
}
