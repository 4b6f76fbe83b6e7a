/**
 * Microsoft.ContainerService wire shapes: the ManagedCluster and AgentPool bodies as the AKS RP
 * answers them (type spelled `Microsoft.ContainerService/ManagedClusters`, the identity block without
 * principalId/tenantId for a user-assigned control plane, `servicePrincipalProfile` without its
 * secret), credential results (`kubeconfigs[].value` is a base64 kubeconfig), and the version reads.
 * Shapes: shared/reference/aks-wire.md §1.2–1.5.
 */
import type { ResourceRecord } from '../../core/model.js';
import type { JsonObject } from '../../core/resources/tracked/json-paths.js';
import { renderIdentity } from '../../http/arm/identity-wire.js';
import type { RenderContext } from '../../http/arm/tracked-routes.js';
import { KUBERNETES_VERSIONS } from './api-versions.js';
import { MANAGED_CLUSTER_IDENTITY_RULES } from './managed-clusters.js';

function withState(properties: JsonObject, state: string): JsonObject {
  return { provisioningState: state, powerState: { code: 'Running' }, ...properties };
}

export function toManagedClusterWire(resource: ResourceRecord, ctx: RenderContext): JsonObject {
  const state = ctx.provisioningState ?? resource.provisioningState;
  const { servicePrincipalProfile, agentPoolProfiles, ...rest } = resource.properties as JsonObject & { agentPoolProfiles?: JsonObject[] };
  const sp = servicePrincipalProfile as JsonObject | undefined;
  return {
    id: resource.id,
    location: resource.location,
    name: resource.name,
    type: 'Microsoft.ContainerService/ManagedClusters',
    tags: resource.tags,
    ...(resource.kind !== null ? { kind: resource.kind } : {}),
    sku: resource.sku ?? { name: 'Base', tier: 'Free' },
    ...(renderIdentity(MANAGED_CLUSTER_IDENTITY_RULES, resource.identity)
      ? { identity: renderIdentity(MANAGED_CLUSTER_IDENTITY_RULES, resource.identity) }
      : {}),
    properties: {
      ...withState(rest, state),
      agentPoolProfiles: (agentPoolProfiles ?? []).map((p) => withState(p, state)),
      ...(sp ? { servicePrincipalProfile: { clientId: sp['clientId'] } } : {}),
    },
  };
}

export function toAgentPoolWire(resource: ResourceRecord, ctx: RenderContext): JsonObject {
  return {
    id: resource.id,
    name: resource.name,
    type: 'Microsoft.ContainerService/managedClusters/agentPools',
    properties: withState(resource.properties, ctx.provisioningState ?? resource.provisioningState),
  };
}

/**
 * The kubeconfig `listCluster{User,Admin}Credential` returns, in AKS's shape for a cluster with local
 * accounts. Keyless runs no Kubernetes API server: the server URL names the cluster's fqdn and the
 * token opens nothing; it is derived from the cluster's resourceUID so that repeated calls return the
 * same file (az then merges it without asking, as with AKS).
 */
export function kubeconfig(cluster: ResourceRecord, kind: 'clusterUser' | 'clusterAdmin', token: string): string {
  const fqdn = String(cluster.properties['fqdn']);
  const user = `${kind}_${cluster.resourceGroup}_${cluster.name}`;
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    server: https://${fqdn}:443`,
    `  name: ${cluster.name}`,
    'contexts:',
    '- context:',
    `    cluster: ${cluster.name}`,
    `    user: ${user}`,
    `  name: ${cluster.name}`,
    `current-context: ${cluster.name}`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    '',
  ].join('\n');
}

export function credentialResults(name: 'clusterUser' | 'clusterAdmin' | 'clusterMonitoringUser', yaml: string) {
  return { kubeconfigs: [{ name, value: Buffer.from(yaml, 'utf8').toString('base64') }] };
}

/** `GET …/locations/{l}/orchestrators?resource-type=managedClusters` (OrchestratorVersionProfileListResult). */
export function orchestratorsWire(subscriptionId: string, location: string): JsonObject {
  const sorted = [...KUBERNETES_VERSIONS].sort((a, b) => a.patch.localeCompare(b.patch, undefined, { numeric: true }));
  return {
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.ContainerService/locations/${location}/orchestrators`,
    name: 'default',
    type: 'Microsoft.ContainerService/locations/orchestrators',
    properties: {
      orchestrators: sorted.map((v, i) => ({
        orchestratorType: 'Kubernetes',
        orchestratorVersion: v.patch,
        isPreview: false,
        ...(v.patch === KUBERNETES_VERSIONS[0]!.patch ? { default: true } : {}),
        upgrades: sorted.slice(i + 1).map((u) => ({ orchestratorType: 'Kubernetes', orchestratorVersion: u.patch, isPreview: false })),
      })),
    },
  };
}

/** `GET …/locations/{l}/kubernetesVersions` (KubernetesVersionListResult). */
export function kubernetesVersionsWire(): JsonObject {
  return {
    values: KUBERNETES_VERSIONS.map((v, i) => ({
      version: v.minor,
      isPreview: false,
      ...(i === 0 ? { isDefault: true } : {}),
      capabilities: { supportPlan: ['KubernetesOfficial'] },
      patchVersions: { [v.patch]: { upgrades: KUBERNETES_VERSIONS.filter((u) => u.minor > v.minor).map((u) => u.patch) } },
    })),
  };
}
