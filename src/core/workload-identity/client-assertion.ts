/**
 * The `client_assertion` client authenticator (RFC 7523 §2.2) for workload identity federation: a
 * JWT from an outside OIDC issuer (a Kubernetes service-account token, a GitHub Actions token …)
 * signs a client in when one of the client's federated identity credentials trusts exactly that
 * issuer, subject and audience. The client is an app registration (its app id) or a user-assigned
 * identity (its client id); for an identity the token issued is that identity's managed-identity
 * token (`appidacr` "2", `xms_mirid`, the managed-identity lifetime).
 *
 * Order of the checks, as Entra reports them (shared/reference/aks-wire.md §4.3): the assertion is
 * parsed and its algorithm allowed (never `none`/HS*); tokens of this server are refused (700222);
 * the claims are matched against the client's credentials — issuer (700211), subject (700213),
 * audience (700212), no credential at all (70021) — *before* anything is fetched, so only issuers an
 * administrator trusted are ever contacted; then the time range (700024); then the signature with
 * the issuer's published keys (90061 unreachable, 7000272 unknown key, 700027 bad signature).
 * Credentials are read on every exchange (through a read cache of at most a second), so deleting a
 * credential or its identity stops new exchanges within a second.
 */
import type { Clock } from '../clock.js';
import type { ServicePrincipal } from '../model.js';
import type { ClientAuthenticator, GrantState } from '../tokens/client-credentials.js';
import { miridOf } from '../tokens/managed-identity.js';
import { assertionErrors, audiencesOf, checkTimeRange, JWT_BEARER_ASSERTION_TYPE, parseAssertion, type AssertionKeys } from './assertion.js';
import type { FederatedCredential } from './federated-credentials.js';

export interface ClientAssertionDeps {
  /** The federated credentials of a client (an application's, or a user-assigned identity's). */
  credentialsOf(principal: ServicePrincipal): Promise<readonly FederatedCredential[]>;
  keys: AssertionKeys;
  clock: Clock;
  /** Issuers of this server's own access tokens for a tenant (refused as assertions). */
  ownIssuers(tenantId: string): readonly string[];
  /** Lifetime of a managed identity's token (`config.managedIdentityTokenLifetimeSeconds`). */
  managedIdentityLifetimeSeconds: number;
}

/** The credential of `credentials` that the claims match exactly, or the refusal Entra gives. */
export function matchCredential(credentials: readonly FederatedCredential[], claims: Record<string, unknown>): FederatedCredential {
  if (credentials.length === 0) throw assertionErrors.noCredentials(claims);
  const iss = claims['iss'];
  const byIssuer = credentials.filter((c) => c.issuer === iss);
  if (typeof iss !== 'string' || byIssuer.length === 0) throw assertionErrors.noIssuerMatch(iss);
  const sub = claims['sub'];
  const bySubject = byIssuer.filter((c) => c.subject === sub);
  if (typeof sub !== 'string' || bySubject.length === 0) throw assertionErrors.noSubjectMatch(sub);
  const aud = audiencesOf(claims);
  const match = bySubject.find((c) => c.audiences.some((a) => aud.includes(a)));
  if (!match) throw assertionErrors.noAudienceMatch(aud);
  return match;
}

export function createClientAssertionAuthenticator(deps: ClientAssertionDeps): ClientAuthenticator {
  async function authenticate(state: GrantState): Promise<void> {
    const { params } = state;
    if (params.clientAssertionType !== JWT_BEARER_ASSERTION_TYPE) throw assertionErrors.wrongAssertionType(params.clientAssertionType);
    const assertion = parseAssertion(params.clientAssertion!);
    const principal = state.principal!;
    const claims = assertion.claims;
    if (typeof claims['iss'] === 'string' && deps.ownIssuers(principal.tenantId).includes(claims['iss'])) throw assertionErrors.azureIssued();
    const credential = matchCredential(await deps.credentialsOf(principal), claims);
    checkTimeRange(claims, deps.clock.now());
    await deps.keys.verify(credential.issuer, assertion);
    if (principal.kind === 'ManagedIdentity' && principal.resourceId) {
      // The identity's own managed-identity token, as IMDS would issue it.
      state.token = { lifetimeSeconds: deps.managedIdentityLifetimeSeconds, extraClaims: { xms_mirid: miridOf(principal.resourceId) } };
    }
  }
  return {
    name: 'client_assertion',
    presentIn: (params) => params.clientAssertion !== undefined && params.clientAssertion !== '',
    authenticate,
    // Entra's `appidacr` "2": the client proved itself with a signed assertion, not a secret.
    clientAuthentication: 'certificate',
  };
}
