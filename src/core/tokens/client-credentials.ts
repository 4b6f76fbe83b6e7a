/**
 * The client-credentials grant (RFC 6749 §4.4 as Entra runs it), written as a chain of small named
 * steps: tenant → request → client → secret → resource. Each step reads what earlier ones found and
 * either adds to the state or throws an OAuthError with Entra's code. Claims and signing follow in
 * the token service, shared with the other grants.
 */
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
}

export type GrantStep = (state: GrantState, deps: GrantDeps) => Promise<void> | void;

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

/** The client is an application of the tenant. */
export const findClient: GrantStep = async (state, deps) => {
  const clientId = state.params.clientId!;
  const principal = await deps.repos.principals.getByAppId(state.tenant!.id, clientId);
  if (!principal || principal.kind !== 'Application') throw oauthErrors.applicationNotFound(clientId, state.tenant!.id);
  state.principal = principal;
};

/** The client proves itself with one of its live secrets. */
export const checkSecret: GrantStep = async (state, deps) => {
  const { clientSecret, clientAssertion } = state.params;
  if (!clientSecret) throw clientAssertion ? oauthErrors.unsupportedClientAssertion() : oauthErrors.missingClientAuthentication();
  const principal = state.principal!;
  const records = await deps.repos.clientSecrets.listByApp(principal.tenantId, principal.appId);
  const now = deps.clock.now();
  const live = records.filter((r) => r.expiresAt === null || Date.parse(r.expiresAt) > now);
  // Every live secret is checked, so the time taken does not tell which one (if any) matched.
  let matched = false;
  for (const record of live) matched = deps.secrets.verify(clientSecret, record.hash) || matched;
  if (!matched) throw oauthErrors.invalidClientSecret(principal.appId);
};

/** The audience: `scope=<resource>/.default` on v2, `resource=` on v1. */
export const resolveAudience: GrantStep = (state) => {
  const p = state.params;
  state.audience = p.endpoint === 'v2' ? parseScope(p.scope) : parseResource(p.resource, state.tenant!.id);
};

/** The steps in the order Entra applies them. */
export const CLIENT_CREDENTIALS_STEPS: readonly (readonly [name: string, step: GrantStep])[] = [
  ['tenant', resolveTenantStep],
  ['request', checkRequest],
  ['client', findClient],
  ['secret', checkSecret],
  ['scope', resolveAudience],
];

/** Runs the steps; returns the authenticated principal, its tenant and the requested audience. */
export async function runClientCredentials(
  tenantSegment: string, params: ClientCredentialsParams, deps: GrantDeps,
): Promise<Required<GrantState>> {
  const state: GrantState = { tenantSegment, params };
  for (const [, step] of CLIENT_CREDENTIALS_STEPS) await step(state, deps);
  return state as Required<GrantState>;
}
