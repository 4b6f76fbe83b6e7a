/**
 * `ServiceCalls` for the server (src/core/tokens/service-identity.ts): identity tokens from this
 * server's own token service, and data-plane requests injected into this server's own Fastify
 * instance — the same routes, bearer verification and RBAC/access-policy decisions a customer's
 * request gets, without a socket or a second TLS trust path (docs/adr/0014-hdinsight.md).
 * The app is built after the providers, so it is bound late.
 */
import type { FastifyInstance } from 'fastify';
import type { ValueSealing } from '../core/dataplanes/storage-keys.js';
import type { PrincipalRepository } from '../core/ports.js';
import { createServiceIdentityTokens, type ServiceCalls } from '../core/tokens/service-identity.js';
import type { TokenService } from '../core/tokens/token-service.js';

/** Service tokens are used at once; ten minutes is plenty and bounds what a leaked one could do. */
const SERVICE_TOKEN_LIFETIME_SECONDS = 600;

export function createServiceCalls(deps: {
  tokens: Pick<TokenService, 'issueToken'>;
  principals: Pick<PrincipalRepository, 'getByResourceId'>;
  app: () => FastifyInstance | undefined;
  sealing: ValueSealing;
}): ServiceCalls {
  return {
    sealing: deps.sealing,
    identityToken: createServiceIdentityTokens({ tokens: deps.tokens, principals: deps.principals, lifetimeSeconds: SERVICE_TOKEN_LIFETIME_SECONDS }),
    async dataPlane(request) {
      const app = deps.app();
      if (!app) throw new Error('the data planes are not ready yet');
      const res = await app.inject({
        method: request.method,
        url: request.url,
        headers: { 'user-agent': 'keyless-service', ...(request.headers ?? {}) },
        ...(request.body === undefined ? {} : { payload: request.body }),
      });
      return { status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, body: res.body };
    },
  };
}
