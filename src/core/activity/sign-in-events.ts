/**
 * Sign-in events: one per access token the token service issues (client credentials with a secret or
 * a federated assertion, managed-identity tokens through the agent API, tokens a provider takes as a
 * resource's identity) and one per refused client-credentials request of a known client (a wrong or
 * expired secret, a rejected assertion), as Entra's sign-in logs hold them. Never the secret, the
 * assertion or the token: only who, for which audience, from where, and the token's `uti`.
 */
import type { SignInEvent, SignInEventType } from './model.js';

/** What a caller of the token service knows about the request besides the principal. */
export interface SignInContext {
  /** The client's address as the server saw it. */
  clientIp?: string;
  /** For a managed-identity token: the host resource whose agent asked. */
  hostResourceId?: string;
  /** `client-request-id` / correlation id of the request, when the client sent one. */
  correlationId?: string;
  /** How the client proved itself, in Graph's words (`clientSecret`, `federatedIdentityCredential`), when the grant knows it. */
  credentialType?: string;
}

/** A sign-in before the recorder gives it an id and a time. */
export type SignInInput = Omit<SignInEvent, 'id' | 'createdDateTime'>;

/** Takes sign-ins; must return at once (the token path does not wait for storage). */
export interface SignInRecorder {
  record(input: SignInInput): void;
}

export interface IssuedTokenFacts {
  principal: { objectId: string; appId: string; tenantId: string; displayName?: string };
  audience: string;
  claims: Record<string, unknown>;
  /** How the client authenticated: `secret`, `certificate` (managed identities and assertions), `none`. */
  clientAuthentication: 'none' | 'secret' | 'certificate';
  context: SignInContext | undefined;
}

/** The sign-in of a token just issued. A token with `xms_mirid` is a managed identity's. */
export function signInForToken(facts: IssuedTokenFacts): SignInInput {
  const mirid = typeof facts.claims['xms_mirid'] === 'string' ? (facts.claims['xms_mirid'] as string) : undefined;
  const eventType: SignInEventType = mirid ? 'managedIdentity' : 'servicePrincipal';
  const host = facts.context?.hostResourceId ?? null;
  return {
    tenantId: facts.principal.tenantId,
    eventType,
    appId: facts.principal.appId,
    servicePrincipalId: facts.principal.objectId,
    servicePrincipalName: facts.principal.displayName ?? null,
    resource: facts.audience,
    clientCredentialType: facts.context?.credentialType ?? credentialTypeOf(facts.clientAuthentication, mirid !== undefined),
    ipAddress: facts.context?.clientIp ?? '',
    ...(mirid
      ? {
          managedIdentity: {
            msiType: /\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\//i.test(mirid) ? ('userAssigned' as const) : ('systemAssigned' as const),
            associatedResourceId: mirid,
            hostResourceId: host,
          },
        }
      : {}),
    uniqueTokenIdentifier: typeof facts.claims['uti'] === 'string' ? (facts.claims['uti'] as string) : null,
    errorCode: 0,
    failureReason: null,
    correlationId: facts.context?.correlationId ?? null,
  };
}

/**
 * Graph's `clientCredentialType` (beta) when the caller did not say: a managed identity's token
 * (fetched by an agent, or taken by a provider acting as the identity) is `managedIdentity`.
 */
function credentialTypeOf(auth: IssuedTokenFacts['clientAuthentication'], managed: boolean): string {
  if (managed) return 'managedIdentity';
  if (auth === 'secret') return 'clientSecret';
  if (auth === 'certificate') return 'certificate';
  return 'none';
}

/** The sign-in of a refused client-credentials request (Entra logs failures with their AADSTS code). */
export function failedSignIn(input: {
  tenantId: string;
  principal: { objectId: string; appId: string; displayName?: string; resourceId?: string | null };
  resource: string;
  clientCredentialType: string;
  errorCode: number;
  failureReason: string;
  context: SignInContext | undefined;
}): SignInInput {
  return {
    tenantId: input.tenantId,
    eventType: input.principal.resourceId ? 'managedIdentity' : 'servicePrincipal',
    appId: input.principal.appId,
    servicePrincipalId: input.principal.objectId,
    servicePrincipalName: input.principal.displayName ?? null,
    resource: input.resource,
    clientCredentialType: input.clientCredentialType,
    ipAddress: input.context?.clientIp ?? '',
    ...(input.principal.resourceId
      ? { managedIdentity: { msiType: 'userAssigned' as const, associatedResourceId: input.principal.resourceId, hostResourceId: null } }
      : {}),
    uniqueTokenIdentifier: null,
    errorCode: input.errorCode,
    failureReason: input.failureReason.slice(0, 500),
    correlationId: input.context?.correlationId ?? null,
  };
}
