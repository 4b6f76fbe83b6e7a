/**
 * The cluster actions and location reads HDInsight serves besides the kit's CRUD routes
 * (hdinsight-wire §2): getGatewaySettings / updateGatewaySettings, rotateDiskEncryptionKey (the
 * service unwraps the data key with the current key and wraps it with the new one, both as the
 * cluster's identity), executeScriptActions (refused: Keyless runs no nodes), the Keyless agent's
 * join action (refused: HDInsight's identities are usable only by the service), and the location
 * reads az makes (billingSpecs, capabilities).
 */
import type { Clock } from '../../core/clock.js';
import { isoTime } from '../../core/clock.js';
import type { ValueSealing } from '../../core/dataplanes/storage-keys.js';
import type { IdGenerator } from '../../core/ids.js';
import type { ResourceRecord } from '../../core/model.js';
import type { Store } from '../../core/ports.js';
import { createOperationService } from '../../core/resources/operation-service.js';
import { isJsonObject, type JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { ResourceTarget } from '../../core/resources/tracked/spec.js';
import type { TrackedResourceService } from '../../core/resources/tracked/tracked-resource-service.js';
import type { ServiceCalls } from '../../core/tokens/service-identity.js';
import { AGENT_JOIN_API_VERSION } from '../../contract/agent-api.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { acceptedOperation } from '../../http/arm/long-running.js';
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { SERVICE_STATE } from './clusters.js';
import { badRequest, HdInsightError } from './errors.js';
import { checkPassword, openGateway, readServiceState, sealGateway, type ServiceState } from './hooks.js';
import { createClusterService, VAULT_AUDIENCE } from './service.js';
import { billingSpecs, capabilities } from './wire.js';

export interface ClusterRouteDeps {
  service: TrackedResourceService;
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  sealing?: ValueSealing;
  services?: ServiceCalls;
  apiVersions: readonly string[];
}

const CLUSTER = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.HDInsight/clusters/{clusterName}';
const LOCATION = '/subscriptions/{subscriptionId}/providers/Microsoft.HDInsight/locations/{location}';
const TYPE = 'Microsoft.HDInsight/clusters';

const targetOf = (ctx: ArmContext<unknown>): ResourceTarget => ({
  subscriptionId: ctx.subscription!.id,
  tenantId: ctx.subscription!.tenantId,
  resourceGroup: ctx.params['resourceGroupName']!,
  name: ctx.params['clusterName']!,
});

interface RotateBody {
  vaultUri?: string;
  keyName?: string;
  keyVersion?: string;
}
type GatewayBody = Record<string, unknown>;

export function clusterRoutes(deps: ClusterRouteDeps): ArmRoute<any>[] {
  const { service, store, clock, ids, apiVersions } = deps;

  /** Reads the cluster, lets `change` derive its new state inside one transaction, and records the finished operation. */
  async function changeCluster(ctx: ArmContext<unknown>, action: string, change: (cluster: ResourceRecord) => Promise<JsonObject>) {
    const operation = await store.transaction(async (tx) => {
      const cluster = await service.get(targetOf(ctx));
      const properties = await change(cluster);
      const updated: ResourceRecord = { ...cluster, properties, etag: ids.newGuid(), updatedAt: isoTime(clock.now()) };
      if (!(await tx.resources.update(updated, cluster.etag)))
        throw new HdInsightError('Conflict', `The cluster '${cluster.name}' was changed by another request; retry.`, 409);
      const operations = createOperationService({ operations: tx.operations, clock, ids });
      return operations.complete(await operations.create({ subscriptionId: cluster.subscriptionId, resourceId: cluster.id, action }));
    });
    return acceptedOperation(ctx, operation);
  }

  return [
    defineRoute({
      method: 'POST',
      path: `${CLUSTER}/getGatewaySettings`,
      operationId: 'Clusters_GetGatewaySettings',
      action: `${TYPE}/getGatewaySettings/action`,
      apiVersions,
      handler: async (ctx) => {
        const cluster = await service.get(targetOf(ctx));
        const gateway = readServiceState(cluster).gateway;
        const password = openGateway(deps.sealing, cluster.id, gateway?.sealedPassword);
        return {
          status: 200,
          headers: { 'cache-control': 'no-store' },
          body: {
            'restAuthCredential.isEnabled': 'true',
            'restAuthCredential.username': gateway?.username ?? 'admin',
            ...(password === undefined ? {} : { 'restAuthCredential.password': password }),
          },
        };
      },
    }),
    defineRoute<GatewayBody>({
      method: 'POST',
      path: `${CLUSTER}/updateGatewaySettings`,
      operationId: 'Clusters_UpdateGatewaySettings',
      action: `${TYPE}/updateGatewaySettings/action`,
      apiVersions,
      body: bodySchema<GatewayBody>({ 'restAuthCredential.username': 'string?', 'restAuthCredential.password': 'string?' }),
      handler: async (ctx) => {
        const username = ctx.body['restAuthCredential.username'];
        const password = ctx.body['restAuthCredential.password'];
        if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
          throw badRequest("Updating the gateway settings needs 'restAuthCredential.username' and 'restAuthCredential.password'.");
        }
        if (String(ctx.body['restAuthCredential.isEnabled'] ?? 'true').toLowerCase() === 'false')
          throw badRequest('The gateway credentials cannot be disabled on Linux clusters.');
        checkPassword(password, 'gateway');
        return changeCluster(ctx, `${TYPE}/updateGatewaySettings/action`, async (cluster) => {
          const state: ServiceState = {
            ...readServiceState(cluster),
            gateway: { username, ...(deps.sealing ? { sealedPassword: sealGateway(deps.sealing, cluster.id, password)! } : {}) },
          };
          return { ...cluster.properties, [SERVICE_STATE]: state as unknown as JsonObject };
        });
      },
    }),
    defineRoute<RotateBody>({
      method: 'POST',
      path: `${CLUSTER}/rotatediskencryptionkey`,
      operationId: 'Clusters_RotateDiskEncryptionKey',
      action: `${TYPE}/rotatediskencryptionkey/action`,
      apiVersions,
      body: bodySchema<RotateBody>({ vaultUri: 'string?', keyName: 'string?', keyVersion: 'string?' }),
      handler: async (ctx) => {
        const next = ctx.body;
        if (!next.vaultUri || !next.keyName) throw badRequest("Rotating the disk encryption key needs 'vaultUri', 'keyName' and 'keyVersion'.");
        return changeCluster(ctx, `${TYPE}/rotatediskencryptionkey/action`, async (cluster) => {
          const de = cluster.properties['diskEncryptionProperties'];
          const state = readServiceState(cluster);
          if (!isJsonObject(de) || typeof de['vaultUri'] !== 'string' || !state.diskEncryption) {
            throw badRequest(`The cluster '${cluster.name}' does not use a customer-managed key; customer-managed keys can't be added to existing clusters.`);
          }
          if (!deps.services) throw badRequest("Key rotation needs Keyless's data planes, which this server does not run.");
          // "The cluster must have access to both the current key and the intended new key."
          const token = await deps.services.identityToken({ resource: cluster, identityId: String(de['msiResourceId']), audience: VAULT_AUDIENCE });
          const current = {
            vaultUri: de['vaultUri'],
            keyName: String(de['keyName']),
            ...(typeof de['keyVersion'] === 'string' ? { keyVersion: de['keyVersion'] } : {}),
          };
          const key = { vaultUri: next.vaultUri!, keyName: next.keyName!, ...(next.keyVersion ? { keyVersion: next.keyVersion } : {}) };
          const wrapped = await createClusterService(deps.services).rewrap(
            token,
            { key: current, wrapped: state.diskEncryption },
            key,
            String(de['encryptionAlgorithm'] ?? 'RSA-OAEP'),
          );
          return {
            ...cluster.properties,
            diskEncryptionProperties: { ...de, vaultUri: next.vaultUri, keyName: next.keyName, keyVersion: next.keyVersion ?? null },
            [SERVICE_STATE]: { ...state, diskEncryption: wrapped } as unknown as JsonObject,
          };
        });
      },
    }),
    // The cluster's nodes, one per role instance, where Azure shows them (VirtualMachines_ListHosts):
    // `hn0-<first six characters of the cluster name>`, …; with a customer-managed key, the key each
    // node's disks are encrypted with.
    defineRoute({
      method: 'POST',
      path: `${CLUSTER}/listHosts`,
      operationId: 'VirtualMachines_ListHosts',
      action: `${TYPE}/listHosts/action`,
      apiVersions,
      handler: async (ctx) => ({ status: 200, body: listHosts(await service.get(targetOf(ctx))) }),
    }),
    defineRoute({
      method: 'POST',
      path: `${CLUSTER}/executeScriptActions`,
      operationId: 'Clusters_ExecuteScriptActions',
      action: `${TYPE}/executeScriptActions/action`,
      apiVersions,
      handler: async (ctx) => {
        await service.get(targetOf(ctx));
        throw badRequest(
          'Script actions are not supported by Keyless: it keeps HDInsight clusters and their managed identities but runs no cluster nodes, so there is nothing to run a script on.',
        );
      },
    }),
    // Not a host type: the seed's rule is that a cluster's identities are usable only by the HDInsight
    // service ("no supported method for you to generate access tokens using the managed identities
    // installed on HDInsight cluster nodes"), so no agent may join a cluster to get tokens for them.
    defineRoute({
      method: 'POST',
      path: `${CLUSTER}/keylessAgentJoin`,
      operationId: 'Clusters_KeylessAgentJoin',
      action: `${TYPE}/keylessAgentJoin/action`,
      apiVersions: [...new Set([...apiVersions, AGENT_JOIN_API_VERSION])],
      handler: async (ctx) => {
        await service.get(targetOf(ctx));
        throw badRequest(
          'An HDInsight cluster cannot be joined by keyless agent: its managed identities are usable only by the HDInsight service, and no endpoint on its nodes hands out their tokens. Attach the identity to a virtual machine to use it from your own code.',
        );
      },
    }),
    defineRoute({
      method: 'GET',
      path: `${LOCATION}/billingSpecs`,
      operationId: 'Locations_ListBillingSpecs',
      action: 'Microsoft.HDInsight/locations/billingSpecs/read',
      apiVersions,
      handler: async (ctx) => ({ status: 200, body: billingSpecs(ctx.params['location']!) }),
    }),
    defineRoute({
      method: 'GET',
      path: `${LOCATION}/capabilities`,
      operationId: 'Locations_GetCapabilities',
      action: 'Microsoft.HDInsight/locations/capabilities/read',
      apiVersions,
      handler: async (ctx) => ({ status: 200, body: capabilities(ctx.params['location']!) }),
    }),
  ];
}

const HOST_PREFIX: Record<string, string> = {
  headnode: 'hn',
  workernode: 'wn',
  zookeepernode: 'zk',
  edgenode: 'ed',
  idbrokernode: 'ib',
  kafkamanagementnode: 'km',
};

/** HostInfo entries of a cluster: one per instance of each role. */
export function listHosts(cluster: ResourceRecord): { name: string; fqdn: string; effectiveDiskEncryptionKeyUrl?: string }[] {
  const roles = (cluster.properties['computeProfile'] as { roles?: JsonObject[] } | undefined)?.roles ?? [];
  const short = cluster.name.toLowerCase().slice(0, 6);
  const domain = `${String(cluster.properties['clusterId'] ?? '').slice(0, 12)}.bx.internal.cloudapp.net`;
  const key = readServiceState(cluster).diskEncryption?.kid;
  return roles.flatMap((role) => {
    const prefix = HOST_PREFIX[String(role['name']).toLowerCase()] ?? String(role['name']).slice(0, 2).toLowerCase();
    const count = typeof role['targetInstanceCount'] === 'number' ? role['targetInstanceCount'] : 1;
    return Array.from({ length: count }, (_, i) => ({
      name: `${prefix}${i}-${short}`,
      fqdn: `${prefix}${i}-${short}.${domain}`,
      ...(key ? { effectiveDiskEncryptionKeyUrl: key } : {}),
    }));
  });
}
