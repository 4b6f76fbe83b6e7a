/**
 * The linked-authorization rule of ARM: attaching (or referencing) a user-assigned identity from a
 * resource needs, besides the write on the resource, `…/userAssignedIdentities/*\/assign/action` on
 * each identity (Managed Identity Operator holds it). Azure refuses with 403
 * `LinkedAuthorizationFailed`, naming the caller, the action and scope it may perform, the action it
 * lacks and every linked scope it lacks it on. Message shape as Azure returns it (seen in
 * Azure/aad-pod-identity issues #443 and #613):
 *   The client '{oid}' with object id '{oid}' has permission to perform action '{action}' on scope
 *   '{scope}'; however, it does not have permission to perform action
 *   'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '{ids}'
 *   or the linked scope(s) are invalid.
 * The decision itself is RBAC's, reached through the {@link PermissionCheck} port.
 */
import { DomainError } from '../errors.js';
import type { VerifiedCaller } from '../ports.js';

/** The action ARM checks on a user-assigned identity attached to a resource. */
export const ASSIGN_IDENTITY_ACTION = 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action';

/** RBAC's answer to "may this principal perform this action at this scope?" (the evaluator, behind a port). */
export interface PermissionCheck {
  can(objectId: string, action: string, scope: string): boolean;
}

/** The write being authorised: the resource's RBAC write action and its id. */
export interface LinkingWrite {
  action: string;
  scope: string;
}

/**
 * Checks that `caller` may link every identity in `identityIds` to the resource of `write`; throws
 * `LinkedAuthorizationFailed` naming all the identities it may not assign.
 */
export type AuthorizeLinks = (caller: VerifiedCaller, identityIds: readonly string[], write: LinkingWrite) => Promise<void>;

export function linkedAuthorizationFailed(objectId: string, write: LinkingWrite, refused: readonly string[]): DomainError {
  return new DomainError(
    'LinkedAuthorizationFailed',
    `The client '${objectId}' with object id '${objectId}' has permission to perform action '${write.action}' on scope '${write.scope}'; ` +
      `however, it does not have permission to perform action '${ASSIGN_IDENTITY_ACTION}' on the linked scope(s) '${refused.join(',')}' ` +
      'or the linked scope(s) are invalid.',
  );
}

/** The rule over an RBAC permission check. */
export function createLinkedAuthorization(access: PermissionCheck): AuthorizeLinks {
  return async (caller, identityIds, write) => {
    const refused = identityIds.filter((id) => !access.can(caller.objectId, ASSIGN_IDENTITY_ACTION, id));
    if (refused.length > 0) throw linkedAuthorizationFailed(caller.objectId, write, refused);
  };
}
