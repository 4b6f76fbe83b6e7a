/**
 * `GET {scope}/providers/Microsoft.Authorization/permissions` (Permissions_ListForResourceGroup /
 * _ListForResource, and any other scope): the caller's own effective permissions there.
 *
 * `POST {scope}/providers/Microsoft.Authorization/checkAccess` (Keyless's access-check API, beyond
 * Azure; docs/adr/0005-rbac.md): may principal P perform action (or data action) A at the scope?
 * Body `{"principalId"?, "action"? | "dataAction"?}`; answers allowed/denied with the reason and the
 * assignments that were considered. A caller may always ask about itself; asking about another
 * principal needs `Microsoft.Authorization/roleAssignments/read` at the scope, the permission that
 * already discloses who holds what there.
 */
import type { AccessService } from '../../core/rbac/access-service.js';
import { DomainError } from '../../core/errors.js';
import { isGuid } from '../../core/ids.js';
import { roleAssignmentId, roleDefinitionId } from '../../core/rbac/model.js';
import { checkScope } from '../../core/rbac/scopes.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { AUTHORIZATION_API_VERSIONS, toPermissionWire } from './wire.js';

/** Actions the generic authorizer lets every authenticated caller through (the handler decides). */
export const SELF_SERVICE_ACTIONS = ['Microsoft.Authorization/permissions/read', 'Microsoft.Authorization/checkAccess/action'] as const;

const scopeOf = (ctx: ArmContext<unknown>) => ctx.params['scope'] || '/';

interface CheckAccessBody {
  principalId?: string;
  action?: string;
  dataAction?: string;
}

export function accessRoutes(access: AccessService): ArmRoute<any>[] {
  return [
    defineRoute({
      method: 'GET',
      path: '{*scope}/providers/Microsoft.Authorization/permissions',
      operationId: 'Permissions_ListForScope',
      action: SELF_SERVICE_ACTIONS[0],
      apiVersions: AUTHORIZATION_API_VERSIONS,
      handler: async (ctx) => {
        const scope = checkScope(scopeOf(ctx));
        return { status: 200, body: { value: access.permissions(ctx.caller.objectId, scope).map(toPermissionWire) } };
      },
    }),
    defineRoute<CheckAccessBody>({
      method: 'POST',
      path: '{*scope}/providers/Microsoft.Authorization/checkAccess',
      operationId: 'Keyless_CheckAccess',
      action: SELF_SERVICE_ACTIONS[1],
      apiVersions: AUTHORIZATION_API_VERSIONS,
      body: bodySchema({ principalId: 'string?', action: 'string?', dataAction: 'string?' }),
      handler: async (ctx) => {
        const scope = checkScope(scopeOf(ctx));
        const { principalId = ctx.caller.objectId, action, dataAction } = ctx.body;
        if (!isGuid(principalId)) throw new DomainError('InvalidParameter', `The principal id '${principalId}' is not a GUID.`, { target: 'principalId' });
        if ((action === undefined) === (dataAction === undefined) || (action ?? dataAction ?? '').trim() === '') {
          throw new DomainError('InvalidParameter', "Give exactly one of 'action' and 'dataAction'.", { target: 'action' });
        }
        const self = principalId.toLowerCase() === ctx.caller.objectId.toLowerCase();
        if (!self && !access.can(ctx.caller.objectId, 'Microsoft.Authorization/roleAssignments/read', scope)) {
          throw access.denied(ctx.caller.objectId, 'Microsoft.Authorization/roleAssignments/read', scope);
        }
        const decision = access.check({ principalId, action: (action ?? dataAction)!, scope, dataAction: dataAction !== undefined });
        const explain = (c: (typeof decision.considered)[number]) => ({
          roleAssignmentId: roleAssignmentId({ scope: c.scope, name: c.roleAssignmentName }),
          roleDefinitionId: roleDefinitionId(c.roleDefinitionName, c.scope),
          roleName: c.roleName,
          scope: c.scope,
          verdict: c.verdict,
        });
        return {
          status: 200,
          body: {
            allowed: decision.allowed,
            principalId: principalId.toLowerCase(),
            scope,
            ...(action === undefined ? { dataAction } : { action }),
            reason: decision.reason,
            matchedAssignments: decision.considered.filter((c) => c.verdict === 'granted').map(explain),
            consideredAssignments: decision.considered.map(explain),
          },
        };
      },
    }),
  ];
}
