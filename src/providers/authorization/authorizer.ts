/**
 * RBAC enforcement for the ARM dispatcher (the `authorize` slot of ArmDeps) and for attaching
 * user-assigned identities (the identity component's `authorizeAttach`). Decisions come from the
 * in-memory index, so this adds microseconds, not a database query, to every request.
 */
import { DomainError } from '../../core/errors.js';
import type { VerifiedCaller } from '../../core/ports.js';
import type { AccessService } from '../../core/rbac/access-service.js';
import type { ArmAuthorizer } from '../../http/arm/route.js';
import { SELF_SERVICE_ACTIONS } from './access-routes.js';

/**
 * Actions every authenticated caller of the tenant may perform, as in Azure: listing its tenants,
 * polling an operation it was handed (the URL carries an unguessable id), reading role definitions
 * (they describe the tenant, not its resources), and its own permissions / access checks.
 */
const OPEN_ACTIONS = new Set([
  ...SELF_SERVICE_ACTIONS,
  'Microsoft.Resources/tenants/read',
  'Microsoft.Resources/subscriptions/operationresults/read',
  'Microsoft.Authorization/roleDefinitions/read',
  // A provider's operations list describes the provider, not resources: Azure serves it to any caller.
  'Microsoft.ManagedIdentity/operations/read',
].map((a) => a.toLowerCase()));

const SUBSCRIPTION_READ = 'microsoft.resources/subscriptions/read';

/** The action ARM checks on a user-assigned identity attached to a resource (Managed Identity Operator grants it). */
export const ASSIGN_IDENTITY_ACTION = 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action';

const isList = (operationId: string | undefined, method: string | undefined) => method === 'GET' && /_List/i.test(operationId ?? '');

export function createArmAuthorizer(access: AccessService): ArmAuthorizer {
  return async ({ caller, action, scope, operationId, method }) => {
    const who = caller.objectId;
    const lower = action.toLowerCase();
    if (OPEN_ACTIONS.has(lower)) return;
    if (lower === SUBSCRIPTION_READ) {
      // Azure shows a subscription to anyone holding a role in it, at any depth.
      if (isList(operationId, method)) return { visible: (id) => access.hasAssignmentAround(who, id) };
      if (access.hasAssignmentAround(who, scope)) return;
      throw access.denied(who, action, scope);
    }
    if (access.can(who, action, scope)) return;
    // A list the caller may not read whole but may read parts of: answer with the parts.
    if (isList(operationId, method) && access.grantsBelow(who, action, scope)) return { visible: (id) => access.can(who, action, id) };
    throw access.denied(who, action, scope);
  };
}

/** Azure's LinkedAuthorizationFailed message for an identity the caller may not assign. */
export function linkedAuthorizationFailedMessage(objectId: string, identityResourceId: string): string {
  return `The client '${objectId}' with object id '${objectId}' has permission to perform the requested action; however, it does not have permission to perform action(s) '${ASSIGN_IDENTITY_ACTION}' on the linked scope(s) '${identityResourceId}' (respectively) or the linked scope(s) are invalid.`;
}

/** The Managed Identity Operator rule: attaching an identity needs its assign action on the identity. */
export function createAttachAuthorizer(access: AccessService): (caller: VerifiedCaller, identityResourceId: string) => Promise<void> {
  return async (caller, identityResourceId) => {
    if (access.can(caller.objectId, ASSIGN_IDENTITY_ACTION, identityResourceId)) return;
    throw new DomainError('LinkedAuthorizationFailed', linkedAuthorizationFailedMessage(caller.objectId, identityResourceId));
  };
}
