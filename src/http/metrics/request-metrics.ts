/**
 * Counts every answered request by surface and status, with its latency (issue 15, Prometheus
 * metrics). One `onResponse` hook on the root instance, added before the surfaces are registered so
 * every surface inherits it, and the not-found handler too. The surface comes from the path's
 * leading segments matched against a fixed table (path-style blob URLs from the blob plane's
 * catch-all route pattern): label values are always one of {@link SURFACES}, never a name or id.
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics, Surface } from '../../core/metrics.js';

const BY_PREFIX: [string, Surface][] = [
  ['/.keyless-dataplane/vault/', 'keyvault'],
  ['/.keyless-dataplane/blob/', 'blob'],
  ['/.keyless-dataplane/dfs/', 'dfs'],
  ['/keyless/agent/', 'agent-api'],
  ['/keyless/health/', 'health'],
  ['/metadata/', 'metadata'],
  ['/oidc/', 'oidc-issuer'],
  ['/kusto/', 'kusto'],
  ['/v1.0/', 'graph'],
  ['/graph/', 'graph'],
  ['/beta/', 'graph'],
  ['/subscriptions/', 'arm'],
  ['/tenants/', 'arm'],
  ['/providers/', 'arm'],
];

/** Second segments of the token authority's paths (`/{tenant}/oauth2/…`, `/{tenant}/discovery/…`, `/{tenant}/v2.0/.well-known/…`). */
const OAUTH_SEGMENTS = new Set(['oauth2', 'discovery', '.well-known', 'v2.0']);

/**
 * The surface of a request. `route` is the matched route pattern (undefined when nothing matched);
 * `url` the path Fastify routed (after the data planes' host-style rewrite).
 */
export function surfaceOf(route: string | undefined, url: string): Surface {
  const path = `${url.split('?', 1)[0]!.toLowerCase()}/`;
  for (const [prefix, surface] of BY_PREFIX) if (path.startsWith(prefix)) return surface;
  // Path-style blob URLs (`/{account}/{container}/{blob}`) are the blob plane's catch-all routes.
  if (route === '/:account' || route === '/:account/*') return 'blob';
  const segments = path.split('/');
  if (segments[1] === 'adfs' || segments[1] === 'common' || OAUTH_SEGMENTS.has(segments[1] ?? '') || OAUTH_SEGMENTS.has(segments[2] ?? '')) return 'oauth';
  return 'other';
}

/** Installs the counting hook; call on the root instance before any surface is registered. */
export function observeRequests(app: FastifyInstance, metrics: Pick<Metrics, 'requestServed'>): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestServed(surfaceOf(request.routeOptions.url, request.url), reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
