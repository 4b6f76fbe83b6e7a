/**
 * Microsoft.ContainerService's hand-written routes: the credential actions (`listClusterUserCredential`,
 * `listClusterAdminCredential`, `listClusterMonitoringUserCredential`), `resetServicePrincipalProfile`,
 * an agent pool's `upgradeNodeImageVersion` (202, polled; its `Location` answers with the agent pool,
 * which az 2.45 reads as the command's result: `final-state-via: location`), and the location reads
 * `orchestrators` and `kubernetesVersions`. Wire: shared/reference/aks-wire.md §1.5, §3.4, §3.5.
 */
import { createHash } from 'node:crypto';
import { isoTime, type Clock } from '../../core/clock.js';
import { DomainError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { ResourceRecord } from '../../core/model.js';
import type { Store } from '../../core/ports.js';
import { resourceKey } from '../../core/resource-id.js';
import { createOperationService } from '../../core/resources/operation-service.js';
import type { ResourceTarget } from '../../core/resources/tracked/spec.js';
import type { TrackedResourceService } from '../../core/resources/tracked/tracked-resource-service.js';
import { asyncOperationUrl, retryAfter } from '../../http/arm/long-running.js';
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { upgradeNodeImage } from './agent-pools.js';
import { nodeImageVersion } from './cluster-properties/agent-pool-profile.js';
import { AGENT_POOL_TYPE } from './cluster-properties/names.js';
import { credentialResults, kubeconfig, kubernetesVersionsWire, orchestratorsWire, toAgentPoolWire } from './wire.js';

const NS = 'Microsoft.ContainerService';
const CLUSTER = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${NS}/managedClusters/{resourceName}`;

export interface ContainerServiceRouteDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  clusters: TrackedResourceService;
  pools: TrackedResourceService;
  apiVersions: readonly string[];
  onIdentitiesChanged?: () => void;
}

function clusterTarget(ctx: ArmContext<unknown>): ResourceTarget {
  return {
    subscriptionId: ctx.subscription!.id,
    tenantId: ctx.subscription!.tenantId,
    resourceGroup: ctx.params['resourceGroupName']!,
    name: ctx.params['resourceName']!,
  };
}

/** A stable placeholder token (Keyless runs no API server: it opens nothing). */
function placeholderToken(cluster: ResourceRecord, kind: string): string {
  return createHash('sha256')
    .update(`${String(cluster.properties['resourceUID'])}:${kind}`)
    .digest('hex');
}

/** `Location` of an AKS operation: `…/providers/Microsoft.ContainerService/locations/{l}/operationresults/{id}`. */
function aksOperationResultUrl(ctx: ArmContext<unknown>, location: string, operationId: string): string {
  return `${ctx.baseUrl}/subscriptions/${ctx.subscription!.id}/providers/${NS}/locations/${location}/operationresults/${operationId}?api-version=${encodeURIComponent(ctx.apiVersion)}`;
}

export function containerServiceRoutes(deps: ContainerServiceRouteDeps): ArmRoute<any>[] {
  const { apiVersions } = deps;
  const credential = (action: string, kind: 'clusterUser' | 'clusterAdmin' | 'clusterMonitoringUser', operationId: string): ArmRoute =>
    defineRoute({
      method: 'POST',
      path: `${CLUSTER}/${action}`,
      operationId,
      action: `${NS}/managedClusters/${action}/action`,
      apiVersions,
      handler: async (ctx) => {
        const cluster = await deps.clusters.get(clusterTarget(ctx));
        if (kind !== 'clusterUser' && cluster.properties['disableLocalAccounts'] === true) {
          throw new DomainError('BadRequest', 'Getting static credential is not allowed because this cluster is set to disable local accounts.');
        }
        const fileKind = kind === 'clusterAdmin' ? 'clusterAdmin' : 'clusterUser';
        return { status: 200, body: credentialResults(kind, kubeconfig(cluster, fileKind, placeholderToken(cluster, fileKind))) };
      },
    });

  return [
    credential('listClusterUserCredential', 'clusterUser', 'ManagedClusters_ListClusterUserCredentials'),
    credential('listClusterAdminCredential', 'clusterAdmin', 'ManagedClusters_ListClusterAdminCredentials'),
    credential('listClusterMonitoringUserCredential', 'clusterMonitoringUser', 'ManagedClusters_ListClusterMonitoringUserCredentials'),

    defineRoute<{ clientId?: string; secret?: string }>({
      method: 'POST',
      path: `${CLUSTER}/resetServicePrincipalProfile`,
      operationId: 'ManagedClusters_ResetServicePrincipalProfile',
      action: `${NS}/managedClusters/resetServicePrincipalProfile/action`,
      apiVersions,
      body: bodySchema<{ clientId?: string; secret?: string }>({ clientId: 'string?', secret: 'string?' }),
      handler: async (ctx) => {
        const target = clusterTarget(ctx);
        const cluster = await deps.clusters.get(target);
        if (cluster.identity) {
          throw new DomainError(
            'BadRequest',
            'ResetServicePrincipalProfile cannot be performed on a cluster that is not using a service principal: this cluster uses a managed identity.',
          );
        }
        if (!ctx.body?.clientId || !ctx.body.secret)
          throw new DomainError('InvalidParameter', "Both 'clientId' and 'secret' are required.", { target: 'clientId' });
        const { operation } = await deps.clusters.update(
          target,
          { properties: { servicePrincipalProfile: { clientId: ctx.body.clientId, secret: ctx.body.secret } } },
          { caller: ctx.caller },
        );
        return {
          status: 202,
          headers: {
            'azure-asyncoperation': asyncOperationUrl(ctx.baseUrl, operation, ctx.apiVersion),
            location: aksOperationResultUrl(ctx, cluster.location, operation.id),
            'retry-after': retryAfter(operation),
          },
        };
      },
    }),

    defineRoute({
      method: 'POST',
      path: `${CLUSTER}/agentPools/{agentPoolName}/upgradeNodeImageVersion`,
      operationId: 'AgentPools_UpgradeNodeImageVersion',
      action: `${NS}/managedClusters/agentPools/upgradeNodeImageVersion/action`,
      apiVersions,
      handler: async (ctx) => {
        const target: ResourceTarget = { ...clusterTarget(ctx), parents: [ctx.params['resourceName']!], name: ctx.params['agentPoolName']! };
        const cluster = await deps.clusters.get(clusterTarget(ctx));
        const pool = await deps.pools.get(target);
        const operation = await deps.store.transaction(async (tx) => {
          await upgradeNodeImage(tx, pool, nodeImageVersion(isoTime(deps.clock.now())), deps);
          const operations = createOperationService({ operations: tx.operations, clock: deps.clock, ids: deps.ids });
          return operations.complete(
            await operations.create({
              subscriptionId: target.subscriptionId,
              resourceId: pool.id,
              action: `${NS}/managedClusters/agentPools/upgradeNodeImageVersion/action`,
            }),
          );
        });
        deps.onIdentitiesChanged?.();
        return {
          status: 202,
          headers: {
            'azure-asyncoperation': asyncOperationUrl(ctx.baseUrl, operation, ctx.apiVersion),
            location: aksOperationResultUrl(ctx, cluster.location, operation.id),
            'retry-after': retryAfter(operation),
          },
        };
      },
    }),

    defineRoute({
      method: 'GET',
      path: `/subscriptions/{subscriptionId}/providers/${NS}/locations/{location}/operationresults/{operationId}`,
      operationId: 'OperationStatusResult_Get',
      action: `${NS}/locations/operationresults/read`,
      apiVersions: 'any',
      handler: async (ctx) => {
        const operation = await createOperationService({ operations: deps.store.operations, clock: deps.clock, ids: deps.ids }).get(
          ctx.subscription!.id,
          ctx.params['operationId']!,
        );
        if (operation.status === 'InProgress')
          return {
            status: 202,
            headers: { location: aksOperationResultUrl(ctx, ctx.params['location']!, operation.id), 'retry-after': retryAfter(operation) },
          };
        if (operation.status !== 'Succeeded')
          return { status: 400, body: { error: operation.error ?? { code: 'OperationFailed', message: 'The operation failed.' } } };
        const resource = await deps.store.resources.get(operation.resourceId);
        if (resource && resource.type.toLowerCase() === AGENT_POOL_TYPE.toLowerCase() && resourceKey(resource.id) === resourceKey(operation.resourceId)) {
          return { status: 200, body: toAgentPoolWire(resource, { apiVersion: ctx.apiVersion }) };
        }
        return { status: 204 };
      },
    }),

    defineRoute({
      method: 'GET',
      path: `/subscriptions/{subscriptionId}/providers/${NS}/locations/{location}/orchestrators`,
      operationId: 'ContainerServices_ListOrchestrators',
      action: `${NS}/locations/orchestrators/read`,
      apiVersions,
      handler: async (ctx) => ({ status: 200, body: orchestratorsWire(ctx.subscription!.id, ctx.params['location']!.replace(/\s+/g, '').toLowerCase()) }),
    }),
    defineRoute({
      method: 'GET',
      path: `/subscriptions/{subscriptionId}/providers/${NS}/locations/{location}/kubernetesVersions`,
      operationId: 'ManagedClusters_ListKubernetesVersions',
      action: `${NS}/locations/kubernetesVersions/read`,
      apiVersions,
      handler: async () => ({ status: 200, body: kubernetesVersionsWire() }),
    }),
  ];
}
