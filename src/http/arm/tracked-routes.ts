/**
 * The provider kit's HTTP half: from a tracked-resource service and a few wire facts, the six routes
 * of an ARM resource type (CreateOrUpdate, Update, Get, Delete, list by parent or group, list by
 * subscription), each naming its Azure operation id and RBAC action. Long-running answers follow the
 * provider's own style, as recorded from Azure:
 * - `sync`: 201/200 with the body (Microsoft.ManagedIdentity);
 * - `async-operation`: 201/200 with the body in `Creating`/`Updating` and `Azure-AsyncOperation`
 *   (Compute, HDInsight): no `Location`, or core-lro would fetch a PATCH's final result from it;
 * - `accepted`: 202 with `Location`, `Azure-AsyncOperation` and `Retry-After`, no body (Storage create).
 * Deletes answer `sync` (200, or 204 when absent) or `accepted` (202, or 204 when absent).
 */
import type { ManagedServiceIdentityWire, TrackedResourceWire } from '../../contract/arm.js';
import type { OperationRecord, ResourceRecord } from '../../core/model.js';
import { withoutPaths } from '../../core/resources/tracked/json-paths.js';
import { leafTypeOf, specChain, type ListScope, type ResourceTarget, type TrackedInput } from '../../core/resources/tracked/spec.js';
import type { TrackedResourceService } from '../../core/resources/tracked/tracked-resource-service.js';
import { bodySchema } from './body-schema.js';
import { acceptedOperation, asyncOperationUrl } from './long-running.js';
import { decodeSkipToken, readTop, toArmList } from './paging.js';
import { renderIdentity } from './identity-wire.js';
import { defineRoute, type ArmContext, type ArmRoute } from './route.js';

export type WriteStyle = 'sync' | 'async-operation' | 'accepted';
export type DeleteStyle = 'sync' | 'accepted';

/** What a renderer is told about the answer it builds. */
export interface RenderContext {
  apiVersion: string;
  /** The server's origin (for URLs in bodies). */
  baseUrl?: string;
  /** The request path, for single-resource answers (some providers echo its case in `id`); undefined in lists. */
  path?: string;
  /** The state to show instead of the stored one (`Creating`/`Updating` in the first answer to a write). */
  provisioningState?: string;
}

export interface TrackedRoutesOptions {
  service: TrackedResourceService;
  apiVersions: readonly string[];
  /** Azure's operation ids (the REST spec's), e.g. `VirtualMachines_CreateOrUpdate`. */
  operationIds: {
    createOrUpdate: string;
    update?: string;
    get: string;
    delete: string;
    /** List by resource group (or by parent, for child types). */
    list: string;
    /** List by subscription (top-level types only). */
    listBySubscription?: string;
  };
  /** Path parameter names: the parents' (outermost first) and the resource's own. */
  params: { parents?: readonly string[]; name: string };
  write: WriteStyle;
  /**
   * Status of the first answer to a create with `sync` / `async-operation` writes; default 201.
   * HDInsight answers its create PUT with 200 (hdinsight-wire §3.1, recorded from Azure).
   */
  createdStatus?: 200 | 201;
  delete: DeleteStyle;
  /** The wire body of a resource; default {@link renderTrackedResource}. */
  render?(resource: ResourceRecord, ctx: RenderContext): unknown;
}

const GROUP = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}';

/** The envelope every tracked type shares, `properties.provisioningState` included, secrets left out. */
export function renderTrackedResource(service: Pick<TrackedResourceService, 'spec'>, resource: ResourceRecord, ctx: RenderContext): TrackedResourceWire {
  const { spec } = service;
  const identity: ManagedServiceIdentityWire | undefined = spec.identity ? renderIdentity(spec.identity.rules, resource.identity) : undefined;
  return {
    id: resource.id,
    name: resource.name,
    type: resource.type,
    ...(spec.shape === 'tracked' ? { location: resource.location, tags: resource.tags } : {}),
    ...(resource.kind !== null ? { kind: resource.kind } : {}),
    ...(resource.sku !== null ? { sku: resource.sku } : {}),
    ...(identity ? { identity } : {}),
    properties: {
      ...withoutPaths(resource.properties, spec.properties?.writeOnly ?? []),
      provisioningState: ctx.provisioningState ?? resource.provisioningState,
    },
  };
}

/** The ARM path template of the type's collection below a group, with its parents' segments. */
export function collectionPath(options: Pick<TrackedRoutesOptions, 'service' | 'params'>): string {
  const chain = specChain(options.service.spec);
  const parents = (options.params.parents ?? []).map((p, i) => `${leafTypeOf(chain[i]!)}/{${p}}`);
  return [GROUP, 'providers', chain[0]!.namespace, ...parents, leafTypeOf(options.service.spec)].join('/');
}

const trackedBody = bodySchema<TrackedInput>({
  location: 'string?',
  tags: 'tags?',
  identity: 'object?',
  properties: 'object?',
  sku: 'object?',
  kind: 'string?',
});

export function trackedResourceRoutes(options: TrackedRoutesOptions): ArmRoute<any>[] {
  const { service, apiVersions, operationIds: ops, params } = options;
  const type = service.resourceType;
  const collection = collectionPath(options);
  const item = `${collection}/{${params.name}}`;
  const render = options.render ?? ((r: ResourceRecord, c: RenderContext) => renderTrackedResource(service, r, c));

  const scopeOf = (ctx: ArmContext<unknown>): ListScope => ({
    subscriptionId: ctx.subscription!.id,
    tenantId: ctx.subscription!.tenantId,
    resourceGroup: ctx.params['resourceGroupName'],
    parents: (params.parents ?? []).map((p) => ctx.params[p]!),
  });
  const targetOf = (ctx: ArmContext<unknown>): ResourceTarget => ({
    ...scopeOf(ctx),
    resourceGroup: ctx.params['resourceGroupName']!,
    name: ctx.params[params.name]!,
  });
  const listQuery = (ctx: ArmContext<unknown>) => ({ top: readTop(ctx), after: decodeSkipToken(ctx.query('$skiptoken')) });

  // The resource's entity tag travels as the `ETag` header (the body models have none), so that a
  // client can make its next write conditional with `If-Match`.
  const etagOf = (resource: ResourceRecord) => ({ etag: `"${resource.etag}"` });

  function writeAnswer(ctx: ArmContext<unknown>, resource: ResourceRecord, created: boolean, operation: OperationRecord) {
    if (options.write === 'accepted') {
      const accepted = acceptedOperation(ctx, operation);
      return { ...accepted, headers: { ...accepted.headers, ...etagOf(resource) } };
    }
    const status = created ? (options.createdStatus ?? 201) : 200;
    if (options.write === 'sync')
      return { status, body: render(resource, { apiVersion: ctx.apiVersion, baseUrl: ctx.baseUrl, path: ctx.path }), headers: etagOf(resource) };
    return {
      status,
      body: render(resource, { apiVersion: ctx.apiVersion, baseUrl: ctx.baseUrl, path: ctx.path, provisioningState: created ? 'Creating' : 'Updating' }),
      headers: { 'azure-asyncoperation': asyncOperationUrl(ctx.baseUrl, operation, ctx.apiVersion), ...etagOf(resource) },
    };
  }

  const routes: ArmRoute<any>[] = [
    defineRoute<TrackedInput>({
      method: 'PUT',
      path: item,
      operationId: ops.createOrUpdate,
      action: `${type}/write`,
      apiVersions,
      body: trackedBody,
      handler: async (ctx) => {
        const { resource, created, operation } = await service.createOrUpdate(targetOf(ctx), ctx.body, { caller: ctx.caller, conditions: ctx.conditions });
        return writeAnswer(ctx, resource, created, operation);
      },
    }),
    defineRoute({
      method: 'GET',
      path: item,
      operationId: ops.get,
      action: `${type}/read`,
      apiVersions,
      handler: async (ctx) => {
        const resource = await service.get(targetOf(ctx));
        return { status: 200, body: render(resource, { apiVersion: ctx.apiVersion, baseUrl: ctx.baseUrl, path: ctx.path }), headers: etagOf(resource) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: item,
      operationId: ops.delete,
      action: `${type}/delete`,
      apiVersions,
      handler: async (ctx) => {
        const operation = await service.delete(targetOf(ctx), { caller: ctx.caller, conditions: ctx.conditions });
        if (!operation) return { status: 204 };
        return options.delete === 'accepted' ? acceptedOperation(ctx, operation) : { status: 200 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: collection,
      operationId: ops.list,
      action: `${type}/read`,
      apiVersions,
      handler: async (ctx) => ({
        status: 200,
        body: toArmList(ctx, await service.list(scopeOf(ctx), listQuery(ctx)), (r) => render(r, { apiVersion: ctx.apiVersion, baseUrl: ctx.baseUrl })),
      }),
    }),
  ];
  if (ops.update) {
    routes.splice(
      1,
      0,
      defineRoute<TrackedInput>({
        method: 'PATCH',
        path: item,
        operationId: ops.update,
        action: `${type}/write`,
        apiVersions,
        body: trackedBody,
        handler: async (ctx) => {
          const { resource, operation } = await service.update(targetOf(ctx), ctx.body, { caller: ctx.caller, conditions: ctx.conditions });
          return options.write === 'sync'
            ? { status: 200, body: render(resource, { apiVersion: ctx.apiVersion, baseUrl: ctx.baseUrl, path: ctx.path }), headers: etagOf(resource) }
            : writeAnswer(ctx, resource, false, operation);
        },
      }),
    );
  }
  if (ops.listBySubscription) {
    const bySubscription = `/subscriptions/{subscriptionId}/providers/${service.spec.namespace}/${leafTypeOf(service.spec)}`;
    routes.push(
      defineRoute({
        method: 'GET',
        path: bySubscription,
        operationId: ops.listBySubscription,
        action: `${type}/read`,
        apiVersions,
        handler: async (ctx) => ({
          status: 200,
          body: toArmList(ctx, await service.list(scopeOf(ctx), listQuery(ctx)), (r) => render(r, { apiVersion: ctx.apiVersion, baseUrl: ctx.baseUrl })),
        }),
      }),
    );
  }
  return routes;
}
