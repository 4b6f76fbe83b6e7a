/**
 * RoleDefinitions_* (authorization-RoleDefinitionsCalls.json). `/{roleId}` (GetById) is the same
 * template at the root or a subscription scope. Built-in roles are read-only.
 */
import { parseDefinitionFilter } from '../../core/rbac/filters.js';
import type { RoleDefinitionInput, RoleDefinitionService } from '../../core/rbac/role-definition-service.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { AUTHORIZATION_API_VERSIONS, toRoleDefinitionWire } from './wire.js';

const BASE = '{*scope}/providers/Microsoft.Authorization/roleDefinitions';
const ACTION = 'Microsoft.Authorization/roleDefinitions';
const scopeOf = (ctx: ArmContext<unknown>) => ctx.params['scope'] || '/';

export function roleDefinitionRoutes(definitions: RoleDefinitionService): ArmRoute<any>[] {
  return [
    defineRoute({
      method: 'GET',
      path: `${BASE}/{roleDefinitionId}`,
      operationId: 'RoleDefinitions_Get',
      action: `${ACTION}/read`,
      apiVersions: AUTHORIZATION_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: toRoleDefinitionWire(definitions.get(ctx.params['roleDefinitionId']!), scopeOf(ctx)) }),
    }),
    defineRoute({
      method: 'GET',
      path: BASE,
      operationId: 'RoleDefinitions_List',
      action: `${ACTION}/read`,
      apiVersions: AUTHORIZATION_API_VERSIONS,
      handler: async (ctx) => {
        const list = definitions.list(scopeOf(ctx), parseDefinitionFilter(ctx.query('$filter')));
        return { status: 200, body: { value: list.map((d) => toRoleDefinitionWire(d, scopeOf(ctx))) } };
      },
    }),
    defineRoute<{ properties: RoleDefinitionInput }>({
      method: 'PUT',
      path: `${BASE}/{roleDefinitionId}`,
      operationId: 'RoleDefinitions_CreateOrUpdate',
      action: `${ACTION}/write`,
      apiVersions: AUTHORIZATION_API_VERSIONS,
      body: bodySchema({ properties: { roleName: 'string?', description: 'string?', type: 'string?', permissions: 'array', assignableScopes: 'array' } }),
      handler: async (ctx) => {
        const { definition, created } = await definitions.createOrUpdate(ctx.caller, scopeOf(ctx), ctx.params['roleDefinitionId']!, ctx.body.properties ?? {});
        return { status: created ? 201 : 200, body: toRoleDefinitionWire(definition, scopeOf(ctx)) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: `${BASE}/{roleDefinitionId}`,
      operationId: 'RoleDefinitions_Delete',
      action: `${ACTION}/delete`,
      apiVersions: AUTHORIZATION_API_VERSIONS,
      handler: async (ctx) => {
        const deleted = await definitions.delete(ctx.caller, scopeOf(ctx), ctx.params['roleDefinitionId']!);
        return deleted ? { status: 200, body: toRoleDefinitionWire(deleted, scopeOf(ctx)) } : { status: 204 };
      },
    }),
  ];
}
