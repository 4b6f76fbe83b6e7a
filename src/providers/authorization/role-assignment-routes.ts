/**
 * RoleAssignments_* (authorization-RoleAssignmentsCalls.json). One template serves the scope forms
 * and the by-id forms: `/{scope}/providers/Microsoft.Authorization/roleAssignments/{name}` is also
 * what `/{roleAssignmentId}` expands to. The SDK's ListForSubscription/ResourceGroup/Resource are
 * ListForScope at those scopes.
 */
import { DomainError } from '../../core/errors.js';
import { parseAssignmentFilter } from '../../core/rbac/filters.js';
import type { RoleAssignmentInput, RoleAssignmentService } from '../../core/rbac/role-assignment-service.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { decodeSkipToken, readTop, toArmList } from '../../http/arm/paging.js';
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { AUTHORIZATION_API_VERSIONS, toRoleAssignmentWire } from './wire.js';

const BASE = '{*scope}/providers/Microsoft.Authorization/roleAssignments';
const ACTION = 'Microsoft.Authorization/roleAssignments';
const scopeOf = (ctx: ArmContext<unknown>) => ctx.params['scope'] || '/';

export function roleAssignmentRoutes(assignments: RoleAssignmentService): ArmRoute<any>[] {
  return [
    defineRoute<{ properties: RoleAssignmentInput }>({
      method: 'PUT',
      path: `${BASE}/{roleAssignmentName}`,
      operationId: 'RoleAssignments_Create',
      action: `${ACTION}/write`,
      apiVersions: AUTHORIZATION_API_VERSIONS,
      body: bodySchema({
        properties: {
          roleDefinitionId: 'string',
          principalId: 'string',
          principalType: 'string?',
          description: 'string?',
          condition: 'string?',
          conditionVersion: 'string?',
          delegatedManagedIdentityResourceId: 'string?',
        },
      }),
      handler: async (ctx) => {
        const props = ctx.body.properties;
        if (props === undefined || props.roleDefinitionId === undefined || props.principalId === undefined) {
          return invalidBody();
        }
        const { assignment, created } = await assignments.create(ctx.caller, scopeOf(ctx), ctx.params['roleAssignmentName']!, props);
        return { status: created ? 201 : 200, body: toRoleAssignmentWire(assignment) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: `${BASE}/{roleAssignmentName}`,
      operationId: 'RoleAssignments_Get',
      action: `${ACTION}/read`,
      apiVersions: AUTHORIZATION_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: toRoleAssignmentWire(await assignments.get(scopeOf(ctx), ctx.params['roleAssignmentName']!)) }),
    }),
    defineRoute({
      method: 'DELETE',
      path: `${BASE}/{roleAssignmentName}`,
      operationId: 'RoleAssignments_Delete',
      action: `${ACTION}/delete`,
      apiVersions: AUTHORIZATION_API_VERSIONS,
      handler: async (ctx) => {
        const deleted = await assignments.delete(scopeOf(ctx), ctx.params['roleAssignmentName']!);
        return deleted ? { status: 200, body: toRoleAssignmentWire(deleted) } : { status: 204 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: BASE,
      operationId: 'RoleAssignments_ListForScope',
      action: `${ACTION}/read`,
      apiVersions: AUTHORIZATION_API_VERSIONS,
      handler: async (ctx) => {
        const filter = parseAssignmentFilter(ctx.query('$filter'));
        const after = decodeSkipToken(ctx.query('$skiptoken'));
        const page = await assignments.list(scopeOf(ctx), filter, { limit: readTop(ctx) ?? 1000, ...(after === undefined ? {} : { after }) });
        return { status: 200, body: toArmList(ctx, page, toRoleAssignmentWire) };
      },
    }),
  ];
}

function invalidBody(): never {
  throw new DomainError('InvalidRequestContent', "The request content was invalid: 'properties.roleDefinitionId' and 'properties.principalId' are required.", {
    target: 'properties',
  });
}
