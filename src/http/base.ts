/**
 * The Fastify instance every surface is mounted on. Surfaces are plugins (`oauthPlugin(deps)`,
 * `armPlugin(deps)`) registered by `buildApp`; tests build the same base and register one surface.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { answerClientError, CONNECTION_CHECK_INTERVAL_MS, DEFAULT_HTTP_LIMITS, drainBodiesBeforeAnswering, type HttpLimits } from './limits.js';

/** Request bodies above this are refused with 413 (ARM's own limit is 4 MiB). */
export const BODY_LIMIT_BYTES = DEFAULT_HTTP_LIMITS.bodyLimitBytes;

export interface BaseOptions {
  /** Pino options or false; tokens, secrets and authorization headers are always redacted. */
  logger?: false | { level: string };
  https?: { key: string; cert: string };
  /** Answers requests Fastify rejects before routing (e.g. a bad percent-encoding): see src/http/arm/framework-errors.ts. */
  frameworkErrors?: FastifyServerOptions['frameworkErrors'];
  /** Timeouts and sizes of the listener (src/http/limits.ts); defaults: {@link DEFAULT_HTTP_LIMITS}. */
  limits?: Partial<HttpLimits>;
}

/** Paths in logs never carry secrets, but bodies and auth headers can: redact them. */
const REDACT = ['req.headers.authorization', 'req.headers["x-identity-header"]', 'req.body', 'res.body'];

export function createBaseFastify(options: BaseOptions = {}): FastifyInstance {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const serverOptions: FastifyServerOptions & { https?: Record<string, unknown> | null } = {
    // ARM paths are case-insensitive and SDKs send `//subscriptions/...`.
    routerOptions: { caseSensitive: false, ignoreDuplicateSlashes: true, ignoreTrailingSlash: true },
    bodyLimit: limits.bodyLimitBytes,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Failures node raises before a request exists (431 headers too large, 408 headers too slow):
    // a JSON body in ARM's envelope instead of Fastify's.
    clientErrorHandler: answerClientError((_status, message) => ({ error: { code: 'BadRequest', message } })),
    genReqId: () => randomUUID(),
    logger: options.logger ? { level: options.logger.level, redact: { paths: REDACT, censor: '[redacted]' } } : false,
    // node:https takes the headers timeout and the timeout check interval at creation only.
    // A request without Host is answered below (node's own answer is a 400 with no body).
    ...(options.https
      ? {
          https: {
            ...options.https,
            headersTimeout: limits.headersTimeoutMs,
            connectionsCheckingInterval: CONNECTION_CHECK_INTERVAL_MS,
            requireHostHeader: false,
          },
        }
      : { http: { requireHostHeader: false } }),
    ...(options.frameworkErrors ? { frameworkErrors: options.frameworkErrors } : {}),
  };
  const app = Fastify(serverOptions) as unknown as FastifyInstance;
  drainBodiesBeforeAnswering(app, limits);
  // HTTP/1.1 requires Host (RFC 9112 §3.2): node refused its absence with an empty 400; ARM's envelope
  // says why (found by test/fuzz/server-raw.fuzz.test.ts).
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      return reply
        .code(400)
        .type('application/json; charset=utf-8')
        .send({ error: { code: 'BadRequest', message: 'The request has no Host header; HTTP/1.1 requires one.' } });
    }
  });
  // An `Expect` other than 100-continue: node answers 417 with no body unless someone listens; ARM's envelope.
  app.server.on('checkExpectation', (_req: unknown, res: ServerResponse) => {
    const body = JSON.stringify({ error: { code: 'ExpectationFailed', message: 'Only the 100-continue expectation is supported.' } });
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
  });
  // CONNECT is handed to a `connect` listener as a raw socket, and closed without a word when none
  // listens: ARM's envelope and a 405 instead (found by the fuzz campaign, test/fuzz/).
  app.server.on('connect', (_req: unknown, socket: Duplex) => {
    const body = JSON.stringify({ error: { code: 'MethodNotAllowed', message: 'The CONNECT method is not supported.' } });
    socket.on('error', () => undefined);
    // Node pauses the socket before handing it over: read whatever the client still sends, or the
    // socket never sees the client's end and never closes (server.close() then waits forever; found
    // by test/fuzz/server-raw.fuzz.test.ts), and close it regardless after a few seconds.
    socket.resume();
    setTimeout(() => socket.destroy(), 5000).unref();
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return app;
}
