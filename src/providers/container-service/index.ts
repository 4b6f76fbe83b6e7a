/**
 * The Microsoft.ContainerService provider (AKS): managed clusters with their control-plane, kubelet
 * and add-on identities, agent pools (the hosts `keyless agent` joins as nodes), credentials and
 * version reads. Keyless runs no Kubernetes: it implements AKS's Azure side and emulates the nodes
 * with its agent. docs/adr/0012-aks.md.
 */
import { createTrackedResourceService } from '../../core/resources/tracked/tracked-resource-service.js';
import { regional, type ProviderDeclaration } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';
import { AGENT_POOL_HOST, agentPoolSpec } from './agent-pools.js';
import { AKS_API_VERSIONS } from './api-versions.js';
import { managedClusterSpec } from './managed-clusters.js';
import { containerServiceRoutes } from './routes.js';
import { rotateSigningKeysRoute } from './oidc-issuer.js';
import { toAgentPoolWire, toManagedClusterWire } from './wire.js';

export function containerServiceProvider(deps: ProviderDeps): ProviderDeclaration {
  const clusterSpec = managedClusterSpec(deps);
  const poolSpec = agentPoolSpec(clusterSpec);
  const clusters = createTrackedResourceService(clusterSpec, deps);
  const pools = createTrackedResourceService(poolSpec, deps);
  return trackedProvider(deps, {
    namespace: 'Microsoft.ContainerService',
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [
      regional('managedClusters', AKS_API_VERSIONS),
      regional('managedClusters/agentPools', AKS_API_VERSIONS),
      regional('locations/orchestrators', AKS_API_VERSIONS),
      regional('locations/kubernetesVersions', AKS_API_VERSIONS),
    ],
    tracked: [
      {
        spec: clusterSpec,
        apiVersions: AKS_API_VERSIONS,
        params: { name: 'resourceName' },
        operationIds: {
          createOrUpdate: 'ManagedClusters_CreateOrUpdate',
          update: 'ManagedClusters_UpdateTags',
          get: 'ManagedClusters_Get',
          delete: 'ManagedClusters_Delete',
          list: 'ManagedClusters_ListByResourceGroup',
          listBySubscription: 'ManagedClusters_List',
        },
        // Recorded from AKS: PUT 201/200 with the body in Creating/Updating and Azure-AsyncOperation; DELETE 202 (az 2.45 refuses a 200).
        write: 'async-operation',
        delete: 'accepted',
        render: toManagedClusterWire,
      },
      {
        spec: poolSpec,
        apiVersions: AKS_API_VERSIONS,
        params: { parents: ['resourceName'], name: 'agentPoolName' },
        operationIds: { createOrUpdate: 'AgentPools_CreateOrUpdate', get: 'AgentPools_Get', delete: 'AgentPools_Delete', list: 'AgentPools_List' },
        write: 'async-operation',
        delete: 'accepted',
        render: toAgentPoolWire,
      },
    ],
    routes: [
      ...containerServiceRoutes({
        store: deps.store,
        clock: deps.clock,
        ids: deps.ids,
        clusters,
        pools,
        apiVersions: AKS_API_VERSIONS,
        ...(deps.onIdentitiesChanged ? { onIdentitiesChanged: deps.onIdentitiesChanged } : {}),
      }),
      // Issue 14: the OIDC issuer's key rotation (oidc-issuer.ts).
      ...(deps.oidcIssuers
        ? [rotateSigningKeysRoute({ store: deps.store, clock: deps.clock, ids: deps.ids, clusters, issuers: deps.oidcIssuers, apiVersions: AKS_API_VERSIONS })]
        : []),
    ],
    hostTypes: [{ ...AGENT_POOL_HOST, apiVersions: AKS_API_VERSIONS, label: 'agent pool' }],
    features: ['MSIPreview', 'EnableWorkloadIdentityPreview', 'EnableOIDCIssuerPreview'],
  });
}
