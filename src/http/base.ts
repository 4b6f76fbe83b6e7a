/**
 * The Fastify instance every surface is mounted on. Surfaces are plugins (`oauthPlugin(deps)`,
 * `armPlugin(deps)`) registered by `buildApp`; tests build the same base and register one surface.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';

/** Request bodies above this are refused with 413 (ARM's own limit is 4 MiB). */
export const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

export interface BaseOptions {
  /** Pino options or false; tokens, secrets and authorization headers are always redacted. */
  logger?: false | { level: string };
  https?: { key: string; cert: string };
  /** Answers requests Fastify rejects before routing (e.g. a bad percent-encoding): see src/http/arm/framework-errors.ts. */
  frameworkErrors?: FastifyServerOptions['frameworkErrors'];
}

/** Paths in logs never carry secrets, but bodies and auth headers can: redact them. */
const REDACT = ['req.headers.authorization', 'req.headers["x-identity-header"]', 'req.body', 'res.body'];

export function createBaseFastify(options: BaseOptions = {}): FastifyInstance {
  const serverOptions: FastifyServerOptions & { https?: { key: string; cert: string } | null } = {
    // ARM paths are case-insensitive and SDKs send `//subscriptions/...`.
    routerOptions: { caseSensitive: false, ignoreDuplicateSlashes: true, ignoreTrailingSlash: true },
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    logger: options.logger ? { level: options.logger.level, redact: { paths: REDACT, censor: '[redacted]' } } : false,
    ...(options.https ? { https: options.https } : {}),
    ...(options.frameworkErrors ? { frameworkErrors: options.frameworkErrors } : {}),
  };
  return Fastify(serverOptions) as unknown as FastifyInstance;
}
