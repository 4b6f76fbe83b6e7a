/**
 * Microsoft.ManagedIdentity routes (ManagedIdentity.json 2024-11-30): user-assigned identities,
 * the system-assigned identity of any resource by scope, and the provider's operations.
 */
import type { SubscriptionScope, UserAssignedIdentityInput, UserAssignedIdentityService } from '../../core/identities/user-assigned-identity-service.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { decodeSkipToken, readTop, toArmList } from '../../http/arm/paging.js';
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { MSI_API_VERSIONS } from './api-versions.js';
import { MSI_OPERATIONS } from './operations.js';
import { toSystemAssignedIdentityWire, toUserAssignedIdentityWire } from './wire.js';

const GROUP = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}';
const COLLECTION = 'providers/Microsoft.ManagedIdentity/userAssignedIdentities';
const IDENTITY = `${GROUP}/${COLLECTION}/{resourceName}`;
const ACTION = 'Microsoft.ManagedIdentity/userAssignedIdentities';

const scopeOf = (ctx: ArmContext<unknown>): SubscriptionScope => ({ subscriptionId: ctx.subscription!.id, tenantId: ctx.subscription!.tenantId });
const group = (ctx: ArmContext<unknown>) => ctx.params['resourceGroupName']!;
const name = (ctx: ArmContext<unknown>) => ctx.params['resourceName']!;
const listQuery = (ctx: ArmContext<unknown>) => ({ top: readTop(ctx), after: decodeSkipToken(ctx.query('$skiptoken')) });

/** Body of PUT (`Identity`) and PATCH (`IdentityUpdate`): read-only fields are ignored. */
const identityBody = bodySchema<UserAssignedIdentityInput>({ location: 'string?', tags: 'tags?', properties: 'object?' });

export function userAssignedIdentityRoutes(identities: UserAssignedIdentityService): ArmRoute<any>[] {
  return [
    defineRoute<UserAssignedIdentityInput>({
      method: 'PUT', path: IDENTITY, operationId: 'UserAssignedIdentities_CreateOrUpdate', action: `${ACTION}/write`,
      apiVersions: MSI_API_VERSIONS, body: identityBody,
      handler: async (ctx) => {
        const { identity, created } = await identities.createOrUpdate(scopeOf(ctx), group(ctx), name(ctx), ctx.body, ctx.conditions);
        return { status: created ? 201 : 200, body: toUserAssignedIdentityWire(identity, ctx.apiVersion, ctx.path) };
      },
    }),
    defineRoute<UserAssignedIdentityInput>({
      method: 'PATCH', path: IDENTITY, operationId: 'UserAssignedIdentities_Update', action: `${ACTION}/write`,
      apiVersions: MSI_API_VERSIONS, body: identityBody,
      handler: async (ctx) => {
        const identity = await identities.update(scopeOf(ctx), group(ctx), name(ctx), ctx.body, ctx.conditions);
        return { status: 200, body: toUserAssignedIdentityWire(identity, ctx.apiVersion, ctx.path) };
      },
    }),
    defineRoute({
      method: 'GET', path: IDENTITY, operationId: 'UserAssignedIdentities_Get', action: `${ACTION}/read`, apiVersions: MSI_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: toUserAssignedIdentityWire(await identities.get(scopeOf(ctx), group(ctx), name(ctx)), ctx.apiVersion, ctx.path) }),
    }),
    defineRoute({
      method: 'DELETE', path: IDENTITY, operationId: 'UserAssignedIdentities_Delete', action: `${ACTION}/delete`, apiVersions: MSI_API_VERSIONS,
      // 200 when deleted, 204 when there was nothing to delete (synchronous).
      handler: async (ctx) => ({ status: await identities.delete(scopeOf(ctx), group(ctx), name(ctx), ctx.conditions) ? 200 : 204 }),
    }),
    defineRoute({
      method: 'GET', path: `${GROUP}/${COLLECTION}`, operationId: 'UserAssignedIdentities_ListByResourceGroup', action: `${ACTION}/read`,
      apiVersions: MSI_API_VERSIONS,
      handler: async (ctx) => {
        const page = await identities.listByResourceGroup(scopeOf(ctx), group(ctx), listQuery(ctx));
        return { status: 200, body: toArmList(ctx, page, (i) => toUserAssignedIdentityWire(i, ctx.apiVersion)) };
      },
    }),
    defineRoute({
      method: 'GET', path: `/subscriptions/{subscriptionId}/${COLLECTION}`, operationId: 'UserAssignedIdentities_ListBySubscription', action: `${ACTION}/read`,
      apiVersions: MSI_API_VERSIONS,
      handler: async (ctx) => {
        const page = await identities.listBySubscription(scopeOf(ctx), listQuery(ctx));
        return { status: 200, body: toArmList(ctx, page, (i) => toUserAssignedIdentityWire(i, ctx.apiVersion)) };
      },
    }),
    defineRoute({
      method: 'GET', path: '/{*scope}/providers/Microsoft.ManagedIdentity/identities/default', operationId: 'SystemAssignedIdentities_GetByScope',
      action: 'Microsoft.ManagedIdentity/identities/read', apiVersions: MSI_API_VERSIONS,
      handler: async (ctx) => {
        const scope = ctx.params['scope']!;
        return { status: 200, body: toSystemAssignedIdentityWire(await identities.getSystemAssigned(scope, ctx.caller.tenantId), scope) };
      },
    }),
    defineRoute({
      method: 'GET', path: '/providers/Microsoft.ManagedIdentity/operations', operationId: 'Operations_List',
      action: 'Microsoft.ManagedIdentity/operations/read', apiVersions: MSI_API_VERSIONS,
      handler: async () => ({ status: 200, body: { value: MSI_OPERATIONS } }),
    }),
  ];
}
