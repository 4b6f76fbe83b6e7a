/**
 * What the service counts about itself, as a port: the composition root gives the surfaces and the
 * wrappers around core services an implementation (Prometheus, src/server/metrics.ts) when the
 * metrics listener is on, and {@link NO_METRICS} otherwise. Every label value is drawn from a closed
 * set, so a metric's series stay few whatever the traffic (no resource ids, names or paths).
 */

/** The HTTP surfaces of the server; a request no surface routes is counted under the surface its path belongs to, or `other`. */
export const SURFACES = ['arm', 'oauth', 'graph', 'agent-api', 'blob', 'dfs', 'keyvault', 'kusto', 'metadata', 'oidc-issuer', 'health', 'other'] as const;
export type Surface = (typeof SURFACES)[number];

/**
 * How a token was earned: an app's secret (`client_credentials`), a federated assertion
 * (`client_assertion`), a host agent asking for a managed identity (`managed_identity`), or the
 * service acting as a resource's identity itself (`service`: HDInsight, Kusto).
 */
export type TokenKind = 'client_credentials' | 'client_assertion' | 'managed_identity' | 'service';

/** Caches whose hits and misses are counted. */
export type CacheName = 'directory';

/** Where an RBAC decision was asked: an ARM request, or a data-plane request (blob, Data Lake, Key Vault). */
export type DecisionSurface = 'arm' | 'dataplane';

export interface Metrics {
  /** One HTTP request answered. */
  requestServed(surface: Surface, status: number, seconds: number): void;
  tokenIssued(kind: TokenKind): void;
  /** A token request refused (bad client, secret or assertion; a host asking for an identity it does not hold). */
  tokenRefused(kind: TokenKind): void;
  cacheLookup(cache: CacheName, hit: boolean): void;
  rbacDecision(surface: DecisionSurface, allowed: boolean): void;
}

/** Metrics off: every call does nothing. */
export const NO_METRICS: Metrics = {
  requestServed: () => undefined,
  tokenIssued: () => undefined,
  tokenRefused: () => undefined,
  cacheLookup: () => undefined,
  rbacDecision: () => undefined,
};
