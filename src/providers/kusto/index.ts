/**
 * The Microsoft.Kusto provider (Azure Data Explorer): clusters with managed identities, databases,
 * cluster and database principal assignments (the engine's own roles), `start`/`stop`, and the three
 * `checkNameAvailability` actions. Writes answer as the Kusto RP does (201/200 with the body in
 * `Creating`/`Updating` and `Azure-AsyncOperation`; deletes 202), which `@azure/arm-kusto` 8.x
 * polls (kusto-wire.md §1.5). `uri`/`dataIngestionUri` name Keyless's Kusto data plane
 * (docs/adr/0015-kusto.md).
 */
import type { ResourceRecord } from '../../core/model.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { renderTrackedResource, type RenderContext } from '../../http/arm/tracked-routes.js';
import type { TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import { regional, type ProviderDeclaration } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';
import { KUSTO_API_VERSIONS } from './api-versions.js';
import { clusterNameProblem, KUSTO_CLUSTER_SPEC, KUSTO_CLUSTER_TYPE } from './clusters.js';
import { KUSTO_CLUSTER_PRINCIPAL_ASSIGNMENT_SPEC, KUSTO_DATABASE_PRINCIPAL_ASSIGNMENT_SPEC, KUSTO_DATABASE_SPEC } from './databases.js';

const NS = 'Microsoft.Kusto';
const CLUSTER = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${NS}/clusters/{clusterName}`;

/** The path below the server's origin where cluster `name`'s data plane answers (docs/adr/0015-kusto.md). */
export const KUSTO_PATH_PREFIX = '/kusto';

/** Kusto writes child names as `cluster/db/pa` and its types in Pascal case (spec examples). */
function childName(resource: ResourceRecord): string {
  const segments = resource.id.split('/');
  const at = segments.findIndex((s) => s.toLowerCase() === 'clusters');
  return segments
    .slice(at + 1)
    .filter((_, i) => i % 2 === 0)
    .join('/');
}

export function kustoProvider(deps: ProviderDeps): ProviderDeclaration {
  const origin = () => deps.dataPlanes?.addressing.pathStyleAccountUrl(KUSTO_PATH_PREFIX.slice(1));
  const renderWith =
    (spec: TrackedTypeSpec, extra?: (body: Record<string, any>, resource: ResourceRecord) => void) => (resource: ResourceRecord, ctx: RenderContext) => {
      const body = renderTrackedResource({ spec }, resource, ctx) as Record<string, any>;
      if (spec.parent) {
        body['name'] = childName(resource);
        if (spec === KUSTO_DATABASE_SPEC) body['location'] = resource.location;
      }
      extra?.(body, resource);
      return body;
    };
  const renderCluster = renderWith(KUSTO_CLUSTER_SPEC, (body, resource) => {
    const base = origin();
    if (base) {
      body['properties']['uri'] = `${base}/${resource.name}`;
      body['properties']['dataIngestionUri'] = `${base}/ingest-${resource.name}`;
    }
    if (body['identity'] && body['identity']['userAssignedIdentities'] === undefined && body['identity']['type'] !== 'None')
      body['identity']['userAssignedIdentities'] = {};
  });

  const declaration = trackedProvider(deps, {
    namespace: NS,
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [
      regional('clusters', KUSTO_API_VERSIONS),
      regional('clusters/databases', KUSTO_API_VERSIONS),
      regional('clusters/principalAssignments', KUSTO_API_VERSIONS),
      regional('clusters/databases/principalAssignments', KUSTO_API_VERSIONS),
    ],
    tracked: [
      {
        spec: KUSTO_CLUSTER_SPEC,
        apiVersions: KUSTO_API_VERSIONS,
        params: { name: 'clusterName' },
        operationIds: {
          createOrUpdate: 'Clusters_CreateOrUpdate',
          update: 'Clusters_Update',
          get: 'Clusters_Get',
          delete: 'Clusters_Delete',
          list: 'Clusters_ListByResourceGroup',
          listBySubscription: 'Clusters_List',
        },
        write: 'async-operation',
        delete: 'accepted',
        render: renderCluster,
      },
      {
        spec: KUSTO_DATABASE_SPEC,
        apiVersions: KUSTO_API_VERSIONS,
        params: { parents: ['clusterName'], name: 'databaseName' },
        operationIds: {
          createOrUpdate: 'Databases_CreateOrUpdate',
          update: 'Databases_Update',
          get: 'Databases_Get',
          delete: 'Databases_Delete',
          list: 'Databases_ListByCluster',
        },
        write: 'async-operation',
        delete: 'accepted',
        render: renderWith(KUSTO_DATABASE_SPEC),
      },
      {
        spec: KUSTO_CLUSTER_PRINCIPAL_ASSIGNMENT_SPEC,
        apiVersions: KUSTO_API_VERSIONS,
        params: { parents: ['clusterName'], name: 'principalAssignmentName' },
        operationIds: {
          createOrUpdate: 'ClusterPrincipalAssignments_CreateOrUpdate',
          get: 'ClusterPrincipalAssignments_Get',
          delete: 'ClusterPrincipalAssignments_Delete',
          list: 'ClusterPrincipalAssignments_List',
        },
        write: 'async-operation',
        delete: 'accepted',
        render: renderWith(KUSTO_CLUSTER_PRINCIPAL_ASSIGNMENT_SPEC),
      },
      {
        spec: KUSTO_DATABASE_PRINCIPAL_ASSIGNMENT_SPEC,
        apiVersions: KUSTO_API_VERSIONS,
        params: { parents: ['clusterName', 'databaseName'], name: 'principalAssignmentName' },
        operationIds: {
          createOrUpdate: 'DatabasePrincipalAssignments_CreateOrUpdate',
          get: 'DatabasePrincipalAssignments_Get',
          delete: 'DatabasePrincipalAssignments_Delete',
          list: 'DatabasePrincipalAssignments_List',
        },
        write: 'async-operation',
        delete: 'accepted',
        render: renderWith(KUSTO_DATABASE_PRINCIPAL_ASSIGNMENT_SPEC),
      },
    ],
    openActions: [`${NS}/locations/checkNameAvailability/action`],
    routes: [...stateRoutes(deps, () => declaration), ...nameRoutes(deps)],
    operationsApiVersions: KUSTO_API_VERSIONS,
  });
  return declaration;
}

/** `POST {cluster}/start` and `/stop`: the cluster's `state`; a stopped cluster's data plane refuses requests. */
function stateRoutes(
  deps: ProviderDeps,
  declaration: () => { services: ReadonlyMap<string, import('../../core/resources/tracked/tracked-resource-service.js').TrackedResourceService> },
): ArmRoute[] {
  const route = (verb: 'start' | 'stop', state: 'Running' | 'Stopped') =>
    defineRoute({
      method: 'POST',
      path: `${CLUSTER}/${verb}`,
      operationId: `Clusters_${verb === 'start' ? 'Start' : 'Stop'}`,
      action: `${NS}/clusters/${verb}/action`,
      apiVersions: KUSTO_API_VERSIONS,
      handler: async (ctx) => {
        const service = declaration().services.get(KUSTO_CLUSTER_TYPE.toLowerCase())!;
        const target = {
          subscriptionId: ctx.subscription!.id,
          tenantId: ctx.subscription!.tenantId,
          resourceGroup: ctx.params['resourceGroupName']!,
          name: ctx.params['clusterName']!,
        };
        await deps.store.transaction(async (tx) => {
          const cluster = await service.get(target);
          if (cluster.properties['state'] === state) return;
          const updated = {
            ...cluster,
            properties: { ...cluster.properties, state },
            etag: deps.ids.newGuid(),
            updatedAt: new Date(deps.clock.now()).toISOString(),
          };
          await tx.resources.update(updated, cluster.etag);
        });
        // 200 without polling headers: core-lro treats the operation as finished.
        return { status: 200 };
      },
    });
  return [route('start', 'Running'), route('stop', 'Stopped')];
}

type NameCheck = { name: string; type: string };
/** `name` is required (the schema's `!`): a check without it is a 400, not a 500 (found by test/fuzz/). */
const nameBody = bodySchema<NameCheck>({ name: 'string!', type: 'string' });

/** The three `checkNameAvailability` actions: cluster names (global), database and principal-assignment names (per parent). */
function nameRoutes(deps: ProviderDeps): ArmRoute<any>[] {
  const answer = (name: string, problem: { reason: 'Invalid' | 'AlreadyExists'; message: string } | undefined) => ({
    status: 200,
    body: problem ? { name, nameAvailable: false, reason: problem.reason, message: problem.message } : { name, nameAvailable: true },
  });
  const childTaken = async (ctx: ArmContext<NameCheck>, leaf: string, label: string) => {
    const parent = ctx.path.split('/').slice(0, -1).join('/');
    const existing = await deps.store.resources.get(`${parent}/${leaf}/${ctx.body.name}`);
    return existing
      ? { reason: 'AlreadyExists' as const, message: `${label} ${ctx.body.name} already exists in ${parent.split('/').pop()}. Please select a different name.` }
      : undefined;
  };
  return [
    defineRoute<NameCheck>({
      method: 'POST',
      path: `/subscriptions/{subscriptionId}/providers/${NS}/locations/{location}/checkNameAvailability`,
      operationId: 'Clusters_CheckNameAvailability',
      action: `${NS}/locations/checkNameAvailability/action`,
      apiVersions: KUSTO_API_VERSIONS,
      body: nameBody,
      handler: async (ctx) => {
        const problem = clusterNameProblem(ctx.body.name);
        if (problem) return answer(ctx.body.name, { reason: 'Invalid', message: problem });
        const taken = await deps.store.resources.findByTypeAndName(KUSTO_CLUSTER_TYPE, ctx.body.name);
        return answer(
          ctx.body.name,
          taken.length > 0
            ? { reason: 'AlreadyExists', message: `Name '${ctx.body.name}' with type ${KUSTO_CLUSTER_TYPE} is already taken. Please specify a different name.` }
            : undefined,
        );
      },
    }),
    defineRoute<NameCheck>({
      method: 'POST',
      path: `${CLUSTER}/checkNameAvailability`,
      operationId: 'Databases_CheckNameAvailability',
      action: `${NS}/clusters/databases/read`,
      apiVersions: KUSTO_API_VERSIONS,
      body: nameBody,
      handler: async (ctx) => answer(ctx.body.name, await childTaken(ctx, 'databases', 'Database')),
    }),
    defineRoute<NameCheck>({
      method: 'POST',
      path: `${CLUSTER}/checkPrincipalAssignmentNameAvailability`,
      operationId: 'ClusterPrincipalAssignments_CheckNameAvailability',
      action: `${NS}/clusters/principalAssignments/read`,
      apiVersions: KUSTO_API_VERSIONS,
      body: nameBody,
      handler: async (ctx) => answer(ctx.body.name, await childTaken(ctx, 'principalAssignments', 'PrincipalAssignment')),
    }),
    defineRoute<NameCheck>({
      method: 'POST',
      path: `${CLUSTER}/databases/{databaseName}/checkPrincipalAssignmentNameAvailability`,
      operationId: 'DatabasePrincipalAssignments_CheckNameAvailability',
      action: `${NS}/clusters/databases/principalAssignments/read`,
      apiVersions: KUSTO_API_VERSIONS,
      body: nameBody,
      handler: async (ctx) => answer(ctx.body.name, await childTaken(ctx, 'principalAssignments', 'PrincipalAssignment')),
    }),
  ];
}
