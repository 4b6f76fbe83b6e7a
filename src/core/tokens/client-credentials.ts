/**
 * The client-credentials grant (RFC 6749 §4.4 as Entra runs it), written as a chain of small named
 * steps: tenant → request → client → client authentication → resource. Each step reads what earlier
 * ones found and either adds to the state or throws an OAuthError with Entra's code. Claims and
 * signing follow in the token service, shared with the other grants.
 *
 * Client authentication is a registry of {@link ClientAuthenticator}s (the seam of
 * docs/adr/0009-seams.md): `client_secret` today; `client_assertion` (a federated credential's JWT,
 * RFC 7523) plugs in as a second authenticator without touching the steps.
 */
import type { ClientAuthentication } from './claims.js';
import type { Clock } from '../clock.js';
import type { ClientSecretHasher } from '../directory/secrets-port.js';
import type { ServicePrincipal, Tenant } from '../model.js';
import type { Repositories } from '../ports.js';
import { oauthErrors } from './oauth-error.js';
import { resolveSingleTenant } from './tenant-resolution.js';
import { parseResource, parseScope } from './scope.js';

/** What the token endpoints pass on from the form body (and a Basic Authorization header). */
export interface ClientCredentialsParams {
  /** `v1` = `/oauth2/token` (`resource=`), `v2` = `/oauth2/v2.0/token` (`scope=`). */
  endpoint: 'v1' | 'v2';
  grantType?: string;
  clientId?: string;
  clientSecret?: string;
  clientAssertion?: string;
  /** `client_assertion_type` (RFC 7523: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`). */
  clientAssertionType?: string;
  scope?: string;
  resource?: string;
}

export interface GrantDeps {
  repos: Pick<Repositories, 'tenants' | 'principals' | 'clientSecrets'>;
  secrets: Pick<ClientSecretHasher, 'verify'>;
  clock: Clock;
}

/** What the steps establish: an authenticated client of a tenant, and the audience it asked for. */
export interface GrantState {
  tenantSegment: string;
  params: ClientCredentialsParams;
  tenant?: Tenant;
  principal?: ServicePrincipal;
  audience?: string;
  /** How the client authenticated (set by the authenticator that accepted it). */
  clientAuthentication?: ClientAuthentication;
  /**
   * What the token of this client differs in, set by an authenticator: a user-assigned identity
   * signing in with a federated credential gets its managed-identity token (lifetime, `xms_mirid`).
   */
  token?: { lifetimeSeconds?: number; extraClaims?: Record<string, unknown> };
}

export type GrantStep = (state: GrantState, deps: GrantDeps) => Promise<void> | void;

/** One way a client proves who it is at the token endpoint. */
export interface ClientAuthenticator {
  /** e.g. `client_secret`, `client_assertion`. */
  name: string;
  /** True when the request carries this kind of proof. */
  presentIn(params: ClientCredentialsParams): boolean;
  /** Checks the proof for `state.principal`; throws an OAuthError. */
  authenticate: GrantStep;
  /** What the token's `appidacr`/`azpacr` says about it. */
  clientAuthentication: ClientAuthentication;
}

/** The tenant in the URL exists (GUID or domain; `common` & co. are refused for app-only tokens). */
export const resolveTenantStep: GrantStep = async (state, deps) => {
  state.tenant = await resolveSingleTenant(deps.repos.tenants, state.tenantSegment);
};

/** The request names this grant and carries the parameters it needs. */
export const checkRequest: GrantStep = (state) => {
  const p = state.params;
  if (!p.grantType) throw oauthErrors.missingParameter('grant_type');
  if (p.grantType !== 'client_credentials') throw oauthErrors.unsupportedGrantType(p.grantType);
  if (!p.clientId) throw oauthErrors.missingParameter('client_id');
  if (p.endpoint === 'v2' && !p.scope?.trim()) throw oauthErrors.missingParameter('scope');
  if (p.endpoint === 'v1' && !p.resource?.trim()) throw oauthErrors.missingParameter('resource');
};

/**
 * The client is an application of the tenant, or — for a client assertion only (workload identity
 * federation) — a user-assigned identity by its client id. A managed identity has no secret to sign
 * in with, so with a secret it is not found, as in Entra.
 */
export const findClient: GrantStep = async (state, deps) => {
  const clientId = state.params.clientId!;
  const principal = await deps.repos.principals.getByAppId(state.tenant!.id, clientId);
  const assertion = !state.params.clientSecret && !!state.params.clientAssertion;
  const allowed = principal?.kind === 'Application' || (assertion && principal?.kind === 'ManagedIdentity' && principal.resourceId !== null);
  if (!principal || !allowed) throw oauthErrors.applicationNotFound(clientId, state.tenant!.id);
  state.principal = principal;
};

/** The client proves itself with one of its live secrets. */
export const checkSecret: GrantStep = async (state, deps) => {
  const { clientSecret } = state.params;
  if (!clientSecret) throw oauthErrors.missingClientAuthentication();
  const principal = state.principal!;
  const records = await deps.repos.clientSecrets.listByApp(principal.tenantId, principal.appId);
  const now = deps.clock.now();
  const live = records.filter((r) => r.expiresAt === null || Date.parse(r.expiresAt) > now);
  // Every live secret is checked, so the time taken does not tell which one (if any) matched.
  let matched = false;
  for (const record of live) matched = deps.secrets.verify(clientSecret, record.hash) || matched;
  if (!matched) throw oauthErrors.invalidClientSecret(principal.appId);
};

/** `client_secret` (form body or HTTP Basic). */
export const clientSecretAuthenticator: ClientAuthenticator = {
  name: 'client_secret',
  presentIn: (params) => params.clientSecret !== undefined && params.clientSecret !== '',
  authenticate: checkSecret,
  clientAuthentication: 'secret',
};

/**
 * The step that runs the authenticator whose proof the request carries. A request with no proof, or
 * with a kind of proof no authenticator handles, is refused with Entra's `invalid_client`.
 */
export function authenticateClient(authenticators: readonly ClientAuthenticator[]): GrantStep {
  return async (state, deps) => {
    const found = authenticators.find((a) => a.presentIn(state.params));
    if (!found) throw state.params.clientAssertion ? oauthErrors.unsupportedClientAssertion() : oauthErrors.missingClientAuthentication();
    await found.authenticate(state, deps);
    state.clientAuthentication = found.clientAuthentication;
  };
}

/** The audience: `scope=<resource>/.default` on v2, `resource=` on v1. */
export const resolveAudience: GrantStep = (state) => {
  const p = state.params;
  state.audience = p.endpoint === 'v2' ? parseScope(p.scope) : parseResource(p.resource, state.tenant!.id);
};

/** The steps in the order Entra applies them, for a registry of client authenticators. */
export function clientCredentialsSteps(authenticators: readonly ClientAuthenticator[]): readonly (readonly [name: string, step: GrantStep])[] {
  return [
    ['tenant', resolveTenantStep],
    ['request', checkRequest],
    ['client', findClient],
    ['authentication', authenticateClient(authenticators)],
    ['scope', resolveAudience],
  ];
}

/** The client authenticators Keyless has built in. */
export const DEFAULT_CLIENT_AUTHENTICATORS: readonly ClientAuthenticator[] = [clientSecretAuthenticator];

/** Runs the steps; returns the authenticated principal, its tenant and the requested audience. */
export async function runClientCredentials(
  tenantSegment: string,
  params: ClientCredentialsParams,
  deps: GrantDeps,
  authenticators: readonly ClientAuthenticator[] = DEFAULT_CLIENT_AUTHENTICATORS,
): Promise<Required<GrantState>> {
  const state: GrantState = { tenantSegment, params };
  for (const [, step] of clientCredentialsSteps(authenticators)) await step(state, deps);
  return state as Required<GrantState>;
}
