/**
 * Microsoft.Resources resource groups (`resources.json`, ResourceGroups_*) and the list of resources
 * in a group (Resources_ListByResourceGroup). Paths use ARM's `resourcegroups`; matching is case-insensitive.
 */
import type { ResourceGroup } from '../../core/model.js';
import { parseListFilter } from '../../core/resources/list-query.js';
import type { ResourceGroupInput, ResourceGroupPatch, ResourceGroupService } from '../../core/resources/resource-group-service.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { acceptedOperation } from '../../http/arm/long-running.js';
import { decodeSkipToken, readTop, toArmList } from '../../http/arm/paging.js';
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { RESOURCES_API_VERSIONS } from './api-versions.js';
import { toGenericResourceWire, toResourceGroupWire, type IdentityRulesOf } from './wire.js';

const GROUP = '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}';
const ACTION = 'Microsoft.Resources/subscriptions/resourceGroups';

/** Resource groups carry an etag internally; it is sent as the `ETag` header (the body model has none). */
function withEtag(group: ResourceGroup): Record<string, string> {
  return { etag: `"${group.etag}"` };
}

const sub = (ctx: ArmContext<unknown>) => ctx.subscription!.id;
const groupName = (ctx: ArmContext<unknown>) => ctx.params['resourceGroupName']!;

export function resourceGroupRoutes(groups: ResourceGroupService, rulesOf: IdentityRulesOf): ArmRoute<any>[] {
  return [
    defineRoute({
      method: 'HEAD',
      path: GROUP,
      operationId: 'ResourceGroups_CheckExistence',
      action: `${ACTION}/read`,
      apiVersions: RESOURCES_API_VERSIONS,
      // 204 when it exists, 404 when not, never a body.
      handler: async (ctx) => ({ status: (await groups.exists(sub(ctx), groupName(ctx))) ? 204 : 404 }),
    }),
    defineRoute<ResourceGroupInput>({
      method: 'PUT',
      path: GROUP,
      operationId: 'ResourceGroups_CreateOrUpdate',
      action: `${ACTION}/write`,
      apiVersions: RESOURCES_API_VERSIONS,
      body: bodySchema({ location: 'string', tags: 'tags?', managedBy: 'string?', properties: 'object?' }),
      handler: async (ctx) => {
        const { group, created } = await groups.createOrUpdate(sub(ctx), groupName(ctx), ctx.body, ctx.conditions);
        return { status: created ? 201 : 200, body: toResourceGroupWire(group), headers: withEtag(group) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: GROUP,
      operationId: 'ResourceGroups_Get',
      action: `${ACTION}/read`,
      apiVersions: RESOURCES_API_VERSIONS,
      handler: async (ctx) => {
        const group = await groups.get(sub(ctx), groupName(ctx));
        return { status: 200, body: toResourceGroupWire(group), headers: withEtag(group) };
      },
    }),
    defineRoute<ResourceGroupPatch>({
      method: 'PATCH',
      path: GROUP,
      operationId: 'ResourceGroups_Update',
      action: `${ACTION}/write`,
      apiVersions: RESOURCES_API_VERSIONS,
      body: bodySchema({ name: 'string?', tags: 'tags?', managedBy: 'string?', properties: 'object?' }),
      handler: async (ctx) => {
        const group = await groups.update(sub(ctx), groupName(ctx), { tags: ctx.body.tags, managedBy: ctx.body.managedBy }, ctx.conditions);
        return { status: 200, body: toResourceGroupWire(group), headers: withEtag(group) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: GROUP,
      operationId: 'ResourceGroups_Delete',
      action: `${ACTION}/delete`,
      apiVersions: RESOURCES_API_VERSIONS,
      handler: async (ctx) => acceptedOperation(ctx, await groups.delete(sub(ctx), groupName(ctx), ctx.conditions)),
    }),
    defineRoute({
      method: 'GET',
      path: '/subscriptions/{subscriptionId}/resourcegroups',
      operationId: 'ResourceGroups_List',
      action: `${ACTION}/read`,
      apiVersions: RESOURCES_API_VERSIONS,
      handler: async (ctx) => {
        const filter = parseListFilter(ctx.query('$filter'), ['tagname', 'tagvalue']);
        const page = await groups.list(sub(ctx), { filter, top: readTop(ctx), after: decodeSkipToken(ctx.query('$skiptoken')) });
        return { status: 200, body: toArmList(ctx, page, toResourceGroupWire) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: `${GROUP}/resources`,
      operationId: 'Resources_ListByResourceGroup',
      action: 'Microsoft.Resources/subscriptions/resourceGroups/resources/read',
      apiVersions: RESOURCES_API_VERSIONS,
      handler: async (ctx) => {
        const filter = parseListFilter(ctx.query('$filter'), ['tagname', 'tagvalue', 'resourcetype']);
        const expand = new Set((ctx.query('$expand') ?? '').split(',').map((s) => s.trim().toLowerCase()));
        const page = await groups.listResources(sub(ctx), groupName(ctx), { filter, top: readTop(ctx), after: decodeSkipToken(ctx.query('$skiptoken')) });
        return { status: 200, body: toArmList(ctx, page, (r) => toGenericResourceWire(r, expand, rulesOf)) };
      },
    }),
  ];
}
