/**
 * The whole HTTP application, built without listening: the token authority and the ARM control plane
 * on one Fastify instance, each an encapsulated plugin with its own parsers and error mapper.
 */
import type { FastifyInstance } from 'fastify';
import { GRAPH_PATH } from '../core/cloud/cloud-metadata.js';
import { randomUUID } from 'node:crypto';
import { mapArmError } from './arm/arm-error.js';
import { armFrameworkErrors } from './arm/framework-errors.js';
import { armPlugin, type ArmDeps } from './arm/plugin.js';
import { agentApiPlugin, type AgentApiDeps } from './agent-api/index.js';
import { createBaseFastify, type BaseOptions } from './base.js';
import { resolveRequestDotSegments } from './dot-segments.js';
import { GRAPH_PREFIX, graphPlugin, type GraphDeps } from './graph/index.js';
import { healthPlugin, type HealthDeps } from './health/index.js';
import { metadataPlugin, type MetadataDeps } from './metadata/index.js';
import { observeRequests } from './metrics/request-metrics.js';
import type { Metrics } from '../core/metrics.js';
import { oauthPlugin, type OAuthDeps } from './oauth/index.js';
import type { DataPlanes } from '../dataplanes/index.js';
import { oidcIssuerPlugin, type OidcIssuerDeps } from './oidc-issuer/index.js';

export interface AppDeps {
  base: Omit<BaseOptions, 'frameworkErrors'>;
  oauth: OAuthDeps;
  arm: ArmDeps;
  /** The agent API (`/keyless/agent/v1`) that host agents call; absent = not mounted. */
  agentApi?: AgentApiDeps;
  /** The Microsoft Graph directory read surface (`/v1.0/…`); absent = not mounted. */
  graph?: GraphDeps;
  /** Liveness and readiness (`/keyless/health/…`) for load balancers; absent = not mounted. */
  health?: HealthDeps;
  /** ARM's cloud metadata (`/metadata/endpoints`), unauthenticated; absent = not mounted. */
  metadata?: MetadataDeps;
  /** Blob / Data Lake and Key Vault data planes (src/dataplanes/); absent = not mounted. */
  dataPlanes?: DataPlanes;
  /** Per-cluster OIDC issuers (`/oidc/{tenant}/{uuid}/…`, AKS), unauthenticated; absent = not mounted. */
  oidcIssuer?: OidcIssuerDeps;
  /** Requests counted by surface and status, with latencies (src/http/metrics/); absent = not counted. */
  metrics?: Pick<Metrics, 'requestServed'>;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createBaseFastify({ ...deps.base, frameworkErrors: armFrameworkErrors });
  // Before any surface is registered, so that every surface and the 404 handler inherit the hook.
  if (deps.metrics) observeRequests(app, deps.metrics);
  // Requests no surface routes (and failures outside every surface) get ARM's envelope, never
  // Fastify's own body. Set first: surfaces registered below keep their own handlers.
  app.setErrorHandler(async (error, request, reply) => {
    const mapped = mapArmError(error, request.log, request.id);
    return reply
      .code(mapped.status)
      .headers(mapped.headers)
      .header('x-ms-request-id', request.id)
      .header('x-ms-correlation-request-id', randomUUID())
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(mapped.body));
  });
  await app.register(oauthPlugin(deps.oauth));
  await app.register(armPlugin(deps.arm));
  if (deps.agentApi) await app.register(agentApiPlugin(deps.agentApi));
  if (deps.health) await app.register(healthPlugin(deps.health));
  if (deps.graph) {
    await app.register(graphPlugin(deps.graph), { prefix: GRAPH_PREFIX });
    // Graph beta's sign-in logs (managed-identity and service-principal sign-ins), nothing else of beta.
    if (deps.graph.signIns) {
      await app.register(graphPlugin(deps.graph, 'beta'), { prefix: '/beta' });
      await app.register(graphPlugin(deps.graph, 'beta'), { prefix: `${GRAPH_PATH}/beta` });
    }
    // The same surface where az looks for it: `<microsoftGraphResourceId>v1.0/…` (src/core/cloud/cloud-metadata.ts).
    await app.register(graphPlugin(deps.graph), { prefix: `${GRAPH_PATH}${GRAPH_PREFIX}` });
  }
  if (deps.metadata) await app.register(metadataPlugin(deps.metadata));
  if (deps.oidcIssuer) await app.register(oidcIssuerPlugin(deps.oidcIssuer));
  if (deps.dataPlanes) {
    const planes = deps.dataPlanes;
    for (const plugin of planes.plugins) await app.register(plugin);
    // Host-style data-plane names (`{account}.blob.<suffix>`) are routed by Host: their URLs are
    // rewritten before Fastify routes them (the listener's first `request` listener).
    app.server.prependListener('request', (req) => planes.rewrite(req));
  }
  // Dot segments (`..`, `%2e%2e`, `\`) are resolved before anything routes, before the host-style
  // rewrite above too (prepended last, so it runs first): src/http/dot-segments.ts.
  app.server.prependListener('request', resolveRequestDotSegments);
  // A request no surface routes is answered 404 whatever its body: the body is not parsed (each
  // surface above keeps the parsers it registered; the drain in base.ts reads what is left).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  // Anything neither surface serves: an ARM-shaped 404 that says what was asked for.
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send({
        error: { code: 'NotFound', message: `No Keyless endpoint serves ${request.method} '${request.url.split('?')[0]}'.` },
      });
  });
  await app.ready();
  return app;
}
