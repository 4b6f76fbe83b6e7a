/**
 * The steps of an ARM request, each a named function, run in this order by the plugin:
 * request ids → authentication → route match → api-version → subscription scope → authorization →
 * preconditions → body → handler → read preconditions; the plugin's error handler maps what is thrown.
 */
import { bearerToken } from '../bearer.js';
import { randomUUID } from 'node:crypto';
import type { Subscription } from '../../core/model.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../../core/ports.js';
import { DomainError, isDomainError } from '../../core/errors.js';
import type { WriteConditions } from '../../core/resources/conditions.js';
import { pathSegments } from '../../core/resource-id.js';
import type { SubscriptionService } from '../../core/resources/subscription-service.js';
import { ArmError } from './arm-error.js';
import { checkBody } from './body-schema.js';
import type { ArmRouteRegistry, RouteMatch } from './route-registry.js';
import type { ArmResponse, ArmRoute } from './route.js';

/** The audiences ARM accepts in a bearer token (with and without the trailing slash). */
export const ARM_AUDIENCES = [
  'https://management.azure.com/',
  'https://management.azure.com',
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
] as const;

/** More segments than any ARM id has: refused before matching so matching stays cheap. */
const MAX_SEGMENTS = 64;
/** Request ids a client sends are echoed only when they are short, header-safe tokens. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestIds {
  requestId: string;
  correlationId: string;
}

/** Step 1: `x-ms-request-id` is new; `x-ms-correlation-request-id` echoes the client's id when it sent one. */
export function assignRequestIds(requestId: string, headers: Record<string, string | string[] | undefined>): RequestIds {
  const sent = [headers['x-ms-correlation-request-id'], headers['x-ms-client-request-id']]
    .map((h) => (Array.isArray(h) ? h[0] : h))
    .find((h): h is string => typeof h === 'string' && SAFE_ID.test(h));
  return { requestId, correlationId: sent ?? randomUUID() };
}

/** Step 2: verifies the bearer token for an ARM audience. */
export async function authenticate(
  authorization: string | undefined,
  verifier: AccessTokenVerifier,
  audiences: readonly string[] = ARM_AUDIENCES,
): Promise<VerifiedCaller> {
  // The header is read as every surface reads it (src/http/bearer.ts); ARM keeps the verifier's own codes.
  let token: string | undefined;
  try {
    token = bearerToken(authorization);
  } catch {
    throw new DomainError('AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.");
  }
  if (token === undefined) throw new DomainError('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
  try {
    return await verifier.verify(token, audiences);
  } catch (e) {
    if (isDomainError(e)) throw e;
    // A verifier that trips over a malformed token must still answer 401, not 500.
    throw new DomainError('InvalidAuthenticationToken', 'The access token is invalid.', { cause: e });
  }
}

/** Escapes a value for a quoted-string in `WWW-Authenticate`. */
export function wwwAuthenticate(authority: string, description: string): string {
  const quoted = (s: string) => s.replace(/[\\"]/g, '\\$&').replace(/[\r\n]+/g, ' ');
  return `Bearer authorization_uri="${quoted(authority)}", error="invalid_token", error_description="${quoted(description)}"`;
}

export interface NormalizedRequest {
  segments: string[];
  path: string;
  /** Query values by lower-cased name. */
  query: Map<string, string[]>;
}

/** Step 3a: splits the raw URL; single slashes, percent-decoding per segment, query names case-folded. */
export function normalizeRequest(rawUrl: string): NormalizedRequest {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const segments = pathSegments(rawPath);
  if (segments.length > MAX_SEGMENTS) throw new ArmError(400, 'InvalidRoute', `The request path has more than ${MAX_SEGMENTS} segments.`);
  const query = new Map<string, string[]>();
  if (q >= 0) {
    for (const [name, value] of new URLSearchParams(rawUrl.slice(q + 1))) {
      const key = name.toLowerCase();
      query.set(key, [...(query.get(key) ?? []), value]);
    }
  }
  return { segments, path: '/' + segments.join('/'), query };
}

/** Step 3b: the route, or ARM's 404/405/400 for what has none. */
export function matchRoute(registry: ArmRouteRegistry, method: string, request: NormalizedRequest): RouteMatch {
  return registry.match(method, request.segments);
}

const API_VERSION_SHAPE = /^\d{4}-\d{2}-\d{2}(-[A-Za-z]+)?$/;

/** Step 4: `api-version` present once and one the route's resource type accepts. */
export function checkApiVersion(route: ArmRoute<any>, query: Map<string, string[]>): string {
  const values = [...new Set(query.get('api-version') ?? [])];
  if (values.length === 0 || values[0] === '') {
    throw new DomainError('MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  const [value] = values as [string];
  const accepted =
    route.apiVersions === 'any'
      ? values.length === 1 && API_VERSION_SHAPE.test(value)
      : values.length === 1 && route.apiVersions.some((v) => v.toLowerCase() === value.toLowerCase());
  if (!accepted) {
    const supported = route.apiVersions === 'any' ? 'dates in the form YYYY-MM-DD' : `'${route.apiVersions.join(', ')}'`;
    throw new DomainError('InvalidApiVersionParameter', `The api-version '${values.join(',')}' is invalid. The supported versions are ${supported}.`);
  }
  return value;
}

/** Step 5: a `{subscriptionId}` route needs the subscription to exist in the caller's tenant. */
export async function resolveSubscription(
  params: Record<string, string>,
  caller: VerifiedCaller,
  subscriptions: Pick<SubscriptionService, 'get'>,
): Promise<Subscription | undefined> {
  const id = params['subscriptionId'];
  return id === undefined ? undefined : subscriptions.get(id, caller.tenantId);
}

/** Step 7: `If-Match` / `If-None-Match` as entity tags without quotes or `W/`. */
export function parseConditions(headers: Record<string, string | string[] | undefined>): WriteConditions | undefined {
  const read = (name: string): '*' | string[] | undefined => {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (value === undefined || value.trim() === '') return undefined;
    if (value.trim() === '*') return '*';
    return value
      .split(',')
      .map((t) =>
        t
          .trim()
          .replace(/^W\//, '')
          .replace(/^"(.*)"$/, '$1'),
      )
      .filter((t) => t.length > 0);
  };
  const ifMatch = read('if-match');
  const ifNoneMatch = read('if-none-match');
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  return { ...(ifMatch === undefined ? {} : { ifMatch }), ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }) };
}

/**
 * Step 10 (reads): preconditions on a GET against the ETag the handler answered with. `If-None-Match`
 * naming the current tag gives 304 Not Modified; `If-Match` not naming it gives 412 (RFC 9110 §13.1).
 * Writes check their conditions in the core, atomically with the write.
 */
export function applyReadConditions(method: string, response: ArmResponse, conditions: WriteConditions | undefined): ArmResponse {
  const raw = response.headers?.['etag'];
  if (method !== 'GET' || !conditions || raw === undefined || response.status !== 200) return response;
  const etag = raw.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch !== undefined && ifMatch !== '*' && !ifMatch.includes(etag)) {
    throw new DomainError('PreconditionFailed', `The If-Match condition failed: the resource's current ETag is "${etag}".`);
  }
  if (ifNoneMatch !== undefined && (ifNoneMatch === '*' || ifNoneMatch.includes(etag))) {
    return { status: 304, headers: response.headers ?? {} };
  }
  return response;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Step 8: decodes and checks the JSON body of a route that takes one. */
export function readBody(route: ArmRoute<any>, raw: Buffer | undefined, contentType: string | undefined): unknown {
  if (!route.body) return undefined;
  if (raw === undefined || raw.length === 0) {
    if (!route.body.required) return undefined;
    throw new DomainError(
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized: the request body is empty, but a JSON object is required.',
    );
  }
  if (contentType !== undefined && !JSON_TYPE.test(contentType)) {
    throw new DomainError(
      'UnsupportedMediaType',
      `The content media type '${contentType.split(';')[0]!.trim()}' is not supported. Only 'application/json' is supported.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new DomainError('InvalidRequestContent', 'The request content was invalid and could not be deserialized: it is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : 'invalid JSON';
    throw new DomainError('InvalidRequestContent', `The request content was invalid and could not be deserialized: ${reason}.`);
  }
  return checkBody(route.body, value);
}
