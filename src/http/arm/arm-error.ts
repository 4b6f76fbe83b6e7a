/**
 * Failures that belong to the ARM surface itself (routing, api-version, body decoding) rather than to
 * the domain, with the HTTP status ARM gives them, and the one mapper from any thrown value to ARM's
 * error envelope.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ArmErrorBody } from '../../contract/arm.js';
import { isDomainError, type ErrorKind } from '../../core/errors.js';
import { unavailableCause } from '../../core/unavailable.js';

/** An ARM protocol error with its status and Azure code. */
export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ArmError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  precondition: 412,
  'too-large': 413,
  unsupported: 415,
};

/** The HTTP status ARM uses for a domain error kind. */
export function statusForKind(kind: ErrorKind): number {
  return STATUS_BY_KIND[kind];
}

export interface MappedError {
  status: number;
  body: ArmErrorBody;
  headers: Record<string, string>;
}

/** Fastify's own request errors (raised before a handler runs) and what ARM answers instead. */
function mapFrameworkError(error: { code?: unknown; statusCode?: unknown; message?: unknown }): MappedError | undefined {
  const code = typeof error.code === 'string' ? error.code : '';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return plain(413, 'RequestEntityTooLarge', 'The request content size exceeds the maximum allowed size of 4194304 bytes (4 MiB).');
  }
  if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return plain(400, 'InvalidRequestContent', 'The request content length does not match the Content-Length header.');
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 0;
  if (status >= 400 && status < 500) {
    return plain(
      status,
      status === 413 ? 'RequestEntityTooLarge' : 'InvalidRequest',
      'The request could not be read: ' + String(error.message ?? 'bad request') + '.',
    );
  }
  return undefined;
}

function plain(status: number, code: string, message: string): MappedError {
  return { status, body: { error: { code, message } }, headers: {} };
}

/**
 * Maps anything thrown while serving an ARM request to ARM's envelope. Expected failures keep their
 * code and message; anything else is a bug: it is logged and answered with 500 and the request id.
 */
export function mapArmError(error: unknown, log: FastifyBaseLogger, requestId: string): MappedError {
  if (isDomainError(error)) {
    const detail =
      error.target === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, target: error.target };
    return { status: statusForKind(error.kind), body: { error: detail }, headers: {} };
  }
  if (error instanceof ArmError) return { status: error.status, body: { error: { code: error.code, message: error.message } }, headers: error.headers };
  // The database is down (src/storage/faults.ts): 503 with Retry-After, which ARM clients retry.
  const unavailable = unavailableCause(error);
  if (unavailable)
    return {
      status: 503,
      body: { error: { code: 'ServiceUnavailable', message: unavailable.message } },
      headers: { 'retry-after': String(unavailable.retryAfterSeconds) },
    };
  const framework = typeof error === 'object' && error !== null ? mapFrameworkError(error as Record<string, unknown>) : undefined;
  if (framework) return framework;
  log.error({ err: error }, 'unexpected error while serving an ARM request');
  return plain(500, 'InternalServerError', `The server encountered an internal error. Tracking id '${requestId}'.`);
}
