/**
 * Fastify refuses some requests before any route or plugin hook runs (a path with a broken
 * percent-escape, an unparsable URL). This handler, passed as `frameworkErrors` to createBaseFastify,
 * answers them with ARM's error envelope and request ids instead of Fastify's own body, so a client
 * still gets a 4xx it can read.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyServerOptions } from 'fastify';
import type { ArmErrorBody } from '../../contract/arm.js';

type FrameworkErrors = NonNullable<FastifyServerOptions['frameworkErrors']>;

export const armFrameworkErrors: FrameworkErrors = (error, _request, reply) => {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const body: ArmErrorBody =
    error.code === 'FST_ERR_BAD_URL'
      ? { error: { code: 'InvalidRequestUri', message: 'The request URL is invalid: it contains a malformed percent-encoded sequence.' } }
      : { error: { code: 'BadRequest', message: 'The request could not be read.' } };
  void (reply as unknown as FastifyReply)
    .code(status)
    .header('x-ms-request-id', randomUUID())
    .header('x-ms-correlation-request-id', randomUUID())
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(body));
};
