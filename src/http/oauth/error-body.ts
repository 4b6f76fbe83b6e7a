/**
 * Entra's OAuth error body: `error`, `error_description` (AADSTS code first, then the trace and
 * correlation ids and the time, as Entra appends them), `error_codes`, `timestamp`, `trace_id`,
 * `correlation_id` (azure-wire-contracts §2.3). Sent with `Cache-Control: no-store`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { isGuid } from '../../core/ids.js';
import { unavailableCause } from '../../core/unavailable.js';
import { OAuthError, isOAuthError, oauthErrors } from '../../core/tokens/oauth-error.js';

export interface OAuthErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
}

/** Entra's timestamp form: `2026-01-01 00:00:00Z`. */
export function entraTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** The caller's `client-request-id` (header or query, as MSAL sends it) when it is a GUID; else a new one. */
export function correlationId(request: FastifyRequest): string {
  const query = request.query as Record<string, unknown> | undefined;
  const candidates = [request.headers['client-request-id'], request.headers['x-ms-client-request-id'], query?.['client-request-id']];
  const given = candidates.find((c): c is string => typeof c === 'string' && isGuid(c));
  return given ?? randomUUID();
}

export function oauthErrorBody(error: OAuthError, request: FastifyRequest, now: number): OAuthErrorBody {
  const traceId = String(request.id);
  const corr = correlationId(request);
  const timestamp = entraTimestamp(now);
  return {
    error: error.error,
    error_description: `${error.description} Trace ID: ${traceId} Correlation ID: ${corr} Timestamp: ${timestamp}`,
    error_codes: error.errorCodes,
    timestamp,
    trace_id: traceId,
    correlation_id: corr,
  };
}

/** Turns any failure inside the OAuth surface into Entra's body: 4xx for bad input, never a crash. */
export function sendOAuthError(error: unknown, request: FastifyRequest, reply: FastifyReply, now: number): FastifyReply {
  const oauth = isOAuthError(error) ? error : fromFrameworkError(error, request);
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  const unavailable = unavailableCause(error);
  if (unavailable) reply.header('retry-after', String(unavailable.retryAfterSeconds));
  return reply.status(oauth.status).send(oauthErrorBody(oauth, request, now));
}

/** Fastify's own errors (body too large, unreadable body …) keep their 4xx status; the rest are 500. */
function fromFrameworkError(error: unknown, request: FastifyRequest): OAuthError {
  // A body without a content type carries no form parameters: Entra then reports the first missing one.
  const code = (error as { code?: unknown })?.code;
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_EMPTY_TYPE') return oauthErrors.missingParameter('grant_type');
  const status = typeof (error as { statusCode?: unknown })?.statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
  if (status >= 400 && status < 500) {
    const message = status === 413 ? 'The request body is too large.' : `The request could not be read: ${(error as Error).message}`;
    return new OAuthError('invalid_request', 900144, message, status);
  }
  // The database is down (src/storage/faults.ts): Entra's transient error, 503, which MSAL retries.
  if (unavailableCause(error)) return new OAuthError('temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.', 503);
  request.log.error({ err: error }, 'unexpected error in the token authority');
  return new OAuthError('server_error', 90100, 'An unexpected error occurred while processing the request.', 500);
}
