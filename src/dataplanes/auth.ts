/**
 * What every data plane shares: reading a bearer token from `Authorization`, verifying it with the
 * server's AccessTokenVerifier for the plane's audiences, and deciding a data action (or an action)
 * with RBAC at a resource scope — the same in-memory decision ARM's authorizer makes, so a role
 * assignment made or removed through ARM is effective on the data planes at the same moment.
 */
import type { VerifiedCaller } from '../core/ports.js';
import type { AccessService } from '../core/rbac/access-service.js';

// Bearer authentication is shared with ARM and Graph (src/http/bearer.ts); the data planes import it from here.
export { BearerError, bearerToken, verifyBearer } from '../http/bearer.js';

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
