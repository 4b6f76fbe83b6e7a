/**
 * Health endpoints for load balancers and orchestrators, unauthenticated and free of any detail
 * that helps an attacker:
 *   GET /keyless/health/live   200 while the process serves HTTP at all
 *   GET /keyless/health/ready  200 only when the database answers within a second; else 503 with
 *                               Retry-After (HAProxy takes the server out of rotation until it is back)
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

export const HEALTH_PREFIX = '/keyless/health';

export interface HealthDeps {
  /** One round trip to the database; rejects when it is unavailable. */
  ping(): Promise<void>;
  /** How long the readiness check waits for the database, ms. Default 1000. */
  timeoutMs?: number;
}

export function healthPlugin(deps: HealthDeps): FastifyPluginAsync {
  const timeoutMs = deps.timeoutMs ?? 1000;
  return async (app: FastifyInstance) => {
    app.get(`${HEALTH_PREFIX}/live`, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'live' }));
    app.get(`${HEALTH_PREFIX}/ready`, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          deps.ping(),
          new Promise((_, fail) => {
            timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return reply.send({ status: 'ready' });
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check: the database is unavailable');
        return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', reason: 'The database does not answer.' });
      } finally {
        clearTimeout(timer);
      }
    });
  };
}
