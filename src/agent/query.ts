/**
 * Reading a token request's query string: parameter names case-insensitive (MSAL lower-cases the
 * whole IMDS URL), a parameter given twice refused, and at most one identity selector.
 *
 * The query is split by hand rather than with `URLSearchParams`: this runs on every cached-token
 * request, and a split that only decodes the parts that need it is several times cheaper. Decoding
 * follows application/x-www-form-urlencoded exactly as `URLSearchParams` does ('+' is a space,
 * empty pieces skipped, a piece without '=' has the empty value, malformed escapes kept as sent).
 */
import type { IdentitySelector } from './upstream.js';
import { invalidRequest, type WireError } from './wire.js';

/** Audiences longer than this are refused: no Azure App ID URI comes close. */
const MAX_RESOURCE_LENGTH = 2048;

/** Decodes one name or value of a form-encoded query, as `URLSearchParams` would. */
function decodePart(part: string): string {
  if (part.indexOf('%') < 0 && part.indexOf('+') < 0) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    // Malformed escapes or invalid UTF-8: URLSearchParams keeps them (or substitutes U+FFFD) rather than failing.
    for (const [, value] of new URLSearchParams(`_=${part}`)) return value;
    return part;
  }
}

/** Query parameters by lower-cased name, or the error for a repeated one. */
export function parseQuery(url: string): Map<string, string> | WireError {
  const params = new Map<string, string>();
  let start = url.indexOf('?') + 1;
  if (start === 0) return params;
  const end = url.length;
  while (start <= end) {
    let stop = url.indexOf('&', start);
    if (stop < 0) stop = end;
    if (stop > start) {
      const eq = url.indexOf('=', start);
      const split = eq >= 0 && eq < stop;
      const name = decodePart(url.slice(start, split ? eq : stop)).toLowerCase();
      if (params.has(name)) return invalidRequest(`The '${name.slice(0, 40)}' parameter must not be repeated`);
      params.set(name, split ? decodePart(url.slice(eq + 1, stop)) : '');
    }
    start = stop + 1;
  }
  return params;
}

/** The lower-cased path without its query and trailing slash. */
export function pathOf(url: string): string {
  const at = url.indexOf('?');
  let path = (at < 0 ? url : url.slice(0, at)).toLowerCase();
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/** Maps each accepted selector parameter of a surface to the kind of id it carries. */
export type SelectorParams = Readonly<Record<string, Exclude<IdentitySelector['kind'], 'system'>>>;

/** The system-assigned selector (shared: selectors are never mutated). */
const SYSTEM: IdentitySelector = { kind: 'system' };

/** The one selector the request names, the system-assigned identity when none, or an error. */
export function readSelector(params: Map<string, string>, accepted: SelectorParams): IdentitySelector | WireError {
  let found: IdentitySelector | undefined;
  for (const name in accepted) {
    const value = params.get(name);
    if (value === undefined) continue;
    if (found) return invalidRequest(`Only one of ${Object.keys(accepted).join(', ')} may be specified`);
    if (value.trim() === '') return invalidRequest(`The '${name}' parameter must not be empty`);
    found = { kind: accepted[name]!, value };
  }
  return found ?? SYSTEM;
}

/** The required `resource` parameter, exactly as sent (it is echoed back). */
export function readResource(params: Map<string, string>): string | WireError {
  const resource = params.get('resource');
  if (resource === undefined || resource === '') return invalidRequest('Required audience parameter not specified');
  if (resource.length > MAX_RESOURCE_LENGTH) return invalidRequest('The resource parameter is too long');
  return resource;
}

/** True for the `{status,error,description}` answers these readers return. */
export function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && 'status' in value && 'error' in value;
}
