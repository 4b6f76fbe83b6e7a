/**
 * What every data plane shares: reading a bearer token from `Authorization`, verifying it with the
 * server's AccessTokenVerifier for the plane's audiences, and deciding a data action (or an action)
 * with RBAC at a resource scope — the same in-memory decision ARM's authorizer makes, so a role
 * assignment made or removed through ARM is effective on the data planes at the same moment.
 */
import { isDomainError } from '../core/errors.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../core/ports.js';
import type { AccessService } from '../core/rbac/access-service.js';

/** Why authentication failed, for the plane to render in its own error format. */
export class BearerError extends Error {
  override name = 'BearerError';
  constructor(readonly reason: 'missing' | 'malformed' | 'invalid' | 'expired' | 'audience', message: string) {
    super(message);
  }
}

/** The token of an `Authorization: Bearer <token>` header; undefined when the header is absent. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.trim() === '') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw new BearerError('malformed', "The 'Authorization' header is not 'Bearer <token>'.");
  return m[1];
}

/** Verifies a bearer token for one of `audiences`; failures become {@link BearerError}s. */
export async function verifyBearer(verifier: AccessTokenVerifier, token: string, audiences: readonly string[]): Promise<VerifiedCaller> {
  try {
    return await verifier.verify(token, audiences);
  } catch (e) {
    if (isDomainError(e)) {
      const reason = e.code === 'ExpiredAuthenticationToken' ? 'expired' : e.code === 'InvalidAuthenticationTokenAudience' ? 'audience' : 'invalid';
      throw new BearerError(reason, e.message);
    }
    throw new BearerError('invalid', 'The access token could not be validated.');
  }
}

export interface DataAuthorizer {
  /** True when the caller may perform `action` at `scope` (`data`: a data action, else an action). */
  can(caller: VerifiedCaller, action: string, scope: string, data: boolean): boolean;
  /** The decision with its explanation (assignments considered), for error details and checkAccess. */
  explain(caller: VerifiedCaller, action: string, scope: string, data: boolean): { allowed: boolean; reason: string; assignments: string[] };
}

/** One helper over RBAC for every data plane. */
export function createDataAuthorizer(access: AccessService): DataAuthorizer {
  return {
    can: (caller, action, scope, data) => access.can(caller.objectId, action, scope, data),
    explain(caller, action, scope, data) {
      const d = access.check({ principalId: caller.objectId, action, scope, dataAction: data });
      return { allowed: d.allowed, reason: d.reason, assignments: d.considered.filter((c) => c.verdict === 'granted').map((c) => c.roleAssignmentName) };
    },
  };
}
