/**
 * Counting wrappers the composition root puts around core services when metrics are on
 * (docs/adr/0017-metrics-and-soak.md). Each wraps one seam and changes nothing about its behaviour:
 * the result or the error passes through as it was. With metrics off (`undefined`) each returns what
 * it was given.
 */
import type { DirectoryReadCache, DirectoryReads } from '../core/directory/read-cache.js';
import { isDomainError } from '../core/errors.js';
import { HostError } from '../core/hosts/host-errors.js';
import type { Metrics, TokenKind } from '../core/metrics.js';
import type { AccessService } from '../core/rbac/access-service.js';
import type { ManagedIdentityTokens } from '../core/tokens/managed-identity.js';
import { OAuthError } from '../core/tokens/oauth-error.js';
import type { TokenService } from '../core/tokens/token-service.js';
import type { ArmAuthorizer } from '../http/arm/route.js';
import type { Store } from '../core/ports.js';
import { createPrometheusMetrics, type PrometheusMetrics } from './metrics.js';

/**
 * The token path's read cache with its lookups counted: a lookup that reaches the database (the
 * cache calls its source synchronously on a miss) is a miss, any other a hit.
 */
export function countedDirectoryReadCache(
  source: DirectoryReads,
  metrics: Metrics | undefined,
  create: (source: DirectoryReads) => DirectoryReadCache,
): DirectoryReadCache {
  if (!metrics) return create(source);
  let loads = 0;
  const counting: DirectoryReads = {
    tenants: { ...source.tenants, get: (id) => (loads++, source.tenants.get(id)) },
    principals: { ...source.principals, getByAppId: (tenantId, appId) => (loads++, source.principals.getByAppId(tenantId, appId)) },
    clientSecrets: { ...source.clientSecrets, listByApp: (tenantId, appId) => (loads++, source.clientSecrets.listByApp(tenantId, appId)) },
  };
  const cache = create(counting);
  const lookup =
    <A extends unknown[], R>(read: (...args: A) => R) =>
    (...args: A): R => {
      const before = loads;
      const result = read(...args);
      metrics.cacheLookup('directory', loads === before);
      return result;
    };
  return {
    ...cache,
    tenants: { ...cache.tenants, get: lookup(cache.tenants.get) },
    principals: { ...cache.principals, getByAppId: lookup(cache.principals.getByAppId) },
    clientSecrets: { ...cache.clientSecrets, listByApp: lookup(cache.clientSecrets.listByApp) },
  };
}

/** The client-credentials grant with issued tokens and refusals counted (`client_assertion` when the client sent one). */
export function countedClientCredentials(tokens: TokenService, metrics: Metrics | undefined): TokenService {
  if (!metrics) return tokens;
  return {
    ...tokens,
    async clientCredentials(tenant, params, context) {
      const kind: TokenKind = params.clientAssertion !== undefined || params.clientAssertionType !== undefined ? 'client_assertion' : 'client_credentials';
      try {
        const issued = await tokens.clientCredentials(tenant, params, context);
        metrics.tokenIssued(kind);
        return issued;
      } catch (error) {
        if (error instanceof OAuthError) metrics.tokenRefused(kind);
        throw error;
      }
    },
  };
}

/** `issueToken` counted under `kind` (the service's own tokens: HDInsight, Kusto). */
export function countedIssueToken(tokens: Pick<TokenService, 'issueToken'>, metrics: Metrics | undefined, kind: TokenKind): Pick<TokenService, 'issueToken'> {
  if (!metrics) return tokens;
  return {
    async issueToken(input) {
      const issued = await tokens.issueToken(input);
      metrics.tokenIssued(kind);
      return issued;
    },
  };
}

/** Managed-identity tokens asked for by host agents, issued and refused (the host does not hold the identity, a bad resource). */
export function countedManagedIdentityTokens(tokens: ManagedIdentityTokens, metrics: Metrics | undefined): ManagedIdentityTokens {
  if (!metrics) return tokens;
  return {
    async issue(request) {
      try {
        const issued = await tokens.issue(request);
        metrics.tokenIssued('managed_identity');
        return issued;
      } catch (error) {
        if (error instanceof HostError) metrics.tokenRefused('managed_identity');
        throw error;
      }
    },
  };
}

/** The ARM authorizer with its decisions counted: allowed when it lets the request on, denied on AuthorizationFailed. */
export function countedArmAuthorizer(authorize: ArmAuthorizer, metrics: Metrics | undefined): ArmAuthorizer {
  if (!metrics) return authorize;
  return async (request) => {
    try {
      const grant = await authorize(request);
      metrics.rbacDecision('arm', true);
      return grant;
    } catch (error) {
      if (isDomainError(error) && error.code === 'AuthorizationFailed') metrics.rbacDecision('arm', false);
      throw error;
    }
  };
}

/** The access service the data planes ask, with each data-plane decision (`can`) counted. */
export function countedDataPlaneAccess(access: AccessService, metrics: Metrics | undefined): AccessService {
  if (!metrics) return access;
  return {
    ...access,
    can(principalId, action, scope, data) {
      const allowed = access.can(principalId, action, scope, data);
      metrics.rbacDecision('dataplane', allowed);
      return allowed;
    },
  };
}

/** The server's metrics when the listener is configured (PostgreSQL pool counts included), else undefined. */
export function createServerMetrics(config: { metricsPort: number | undefined }, store: Pick<Store, 'engine' | 'poolStats'>): PrometheusMetrics | undefined {
  if (config.metricsPort === undefined) return undefined;
  const pool = store.poolStats?.bind(store);
  return createPrometheusMetrics({ engine: store.engine, ...(pool ? { pool } : {}) });
}
