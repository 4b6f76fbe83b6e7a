/**
 * The `properties` of a managed cluster (Microsoft.ContainerService/managedClusters) and of its
 * agent pools as the AKS resource provider completes and checks them, without I/O: defaults the RP
 * fills in, names it derives (`MC_…` node resource group, fqdn), fields that cannot change, and the
 * rule `az aks update` relies on: a PUT that leaves out (or nulls) a sub-profile keeps its current
 * value, because az 2.45 round-trips the cluster through its 2022-11-01 model and drops what that
 * model does not know (shared/reference/aks-wire.md ten-facts #7).
 */
import { DomainError } from '../../core/errors.js';
import type { ResourceRecord } from '../../core/model.js';
import { isJsonObject, type JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { PropertyWriteContext } from '../../core/resources/tracked/spec.js';
import { KUBERNETES_VERSIONS } from './api-versions.js';

export const MANAGED_CLUSTER_TYPE = 'Microsoft.ContainerService/managedClusters';
export const AGENT_POOL_TYPE = 'Microsoft.ContainerService/managedClusters/agentPools';

/** The cluster name rule of the AKS spec. */
const CLUSTER_NAME = /^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$/;
/** The agent pool name rule of the AKS spec (Linux pools). */
const POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;
/** dnsPrefix: letters, digits and hyphens, starting and ending with a letter or digit, 1 to 54 characters. */
const DNS_PREFIX = /^[a-zA-Z0-9]$|^[a-zA-Z0-9][a-zA-Z0-9-]{0,52}[a-zA-Z0-9]$/;

export function assertClusterName(name: string): void {
  if (!CLUSTER_NAME.test(name)) {
    throw new DomainError(
      'InvalidParameter',
      `The value of parameter resourceName is invalid: '${name}'. A managed cluster name must be 1 to 63 characters, letters, digits, hyphens and underscores, starting and ending with a letter or digit. Please see https://aka.ms/aks-naming-rules for more details.`,
      { target: 'resourceName' },
    );
  }
}

export function assertPoolName(name: string): void {
  if (!POOL_NAME.test(name)) {
    throw new DomainError(
      'InvalidParameter',
      `The value of parameter agentPoolProfile.name is invalid: '${name}'. An agent pool name must start with a lowercase letter and contain only lowercase letters and digits, at most 12 characters. Please see https://aka.ms/aks-naming-rules for more details.`,
      { target: 'agentPoolProfile.name' },
    );
  }
}

const changeNotAllowed = (property: string, from: unknown, to: unknown) =>
  new DomainError(
    'PropertyChangeNotAllowed',
    `Changing property '${property}' is not allowed. The value '${String(from)}' cannot be changed to '${String(to)}' once the managed cluster has been created.`,
    { target: `properties.${property}` },
  );

/** The node resource group AKS creates: `MC_{group}_{cluster}_{location}` unless named; at most 80 characters. */
export function defaultNodeResourceGroup(resourceGroup: string, cluster: string, location: string): string {
  return `MC_${resourceGroup}_${cluster}_${location}`;
}

/** A version as the RP resolves it: `1.32` → `1.32.7`; "" → the default; anything else refused. */
export function resolveKubernetesVersion(requested: unknown, current: string | undefined): { version: string; patch: string } {
  if (requested === undefined || requested === null || requested === '') {
    if (current) return { version: current, patch: patchOf(current) ?? current };
    return { version: KUBERNETES_VERSIONS[0]!.patch, patch: KUBERNETES_VERSIONS[0]!.patch };
  }
  const patch = typeof requested === 'string' ? patchOf(requested) : undefined;
  if (!patch) {
    throw new DomainError(
      'BadRequest',
      `Version ${String(requested)} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region. Supported: ${KUBERNETES_VERSIONS.map((v) => v.patch).join(', ')}.`,
      { target: 'properties.kubernetesVersion' },
    );
  }
  return { version: requested as string, patch };
}

function patchOf(version: string): string | undefined {
  const known = KUBERNETES_VERSIONS.find((v) => v.minor === version || v.patch === version);
  return known?.patch;
}

/** Keys of a sub-profile merged key by key (a sent `{}` keeps what is there: az drops fields its model lacks). */
const MERGED_PROFILES = new Set(['securityProfile', 'oidcIssuerProfile', 'storageProfile', 'workloadAutoScalerProfile']);

/** The properties of the stored cluster overlaid with what the client sent; absent or null keeps. */
function overlay(previous: JsonObject, sent: JsonObject): JsonObject {
  const result: JsonObject = { ...previous };
  for (const [key, value] of Object.entries(sent)) {
    if (value === undefined || value === null || key === '__proto__') continue;
    result[key] =
      MERGED_PROFILES.has(key) && isJsonObject(value) && isJsonObject(previous[key])
        ? { ...(previous[key] as JsonObject), ...Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) }
        : value;
  }
  return result;
}

/** Fields of an agent pool profile the RP sets. */
export const POOL_READ_ONLY = ['provisioningState', 'powerState', 'currentOrchestratorVersion', 'nodeImageVersion', 'eTag'] as const;

/** The node image a pool runs; `upgradeNodeImageVersion` moves it to today's. */
export function nodeImageVersion(now: string): string {
  const [y, m, d] = now.slice(0, 10).split('-');
  return `AKSUbuntu-2204gen2containerd-${y}${m}.${d}.0`;
}

/**
 * One agent pool's properties, completed: defaults as the RP fills them, read-only values kept from
 * `previous` (or set), `orchestratorVersion` from the cluster when not given.
 */
export function completePool(
  sent: JsonObject,
  previous: JsonObject | undefined,
  defaults: { clusterVersion: string; now: string; first: boolean },
): JsonObject {
  const p: JsonObject = {
    ...(previous ?? {}),
    ...Object.fromEntries(Object.entries(sent).filter(([k, v]) => v !== null && v !== undefined && !(POOL_READ_ONLY as readonly string[]).includes(k))),
  };
  const count = p['count'] ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 1000) {
    throw new DomainError(
      'InvalidParameter',
      `The value of parameter agentPoolProfile.count is invalid: '${String(count)}'. It must be an integer from 0 to 1000.`,
      { target: 'agentPoolProfile.count' },
    );
  }
  const mode = p['mode'] ?? (defaults.first ? 'System' : 'User');
  if (mode !== 'System' && mode !== 'User') {
    throw new DomainError('InvalidParameter', `The value of parameter agentPoolProfile.mode is invalid: '${String(mode)}'. Allowed values: 'System', 'User'.`, {
      target: 'agentPoolProfile.mode',
    });
  }
  if (p['vnetSubnetID'] !== undefined && typeof p['vnetSubnetID'] !== 'string') {
    throw new DomainError('InvalidParameter', 'The value of parameter agentPoolProfile.vnetSubnetID must be a subnet resource id.', {
      target: 'agentPoolProfile.vnetSubnetID',
    });
  }
  if (p['vnetSubnetID'] === '') delete p['vnetSubnetID'];
  const orchestratorVersion =
    typeof p['orchestratorVersion'] === 'string' && p['orchestratorVersion'] !== '' ? p['orchestratorVersion'] : defaults.clusterVersion;
  const resolved = resolveKubernetesVersion(orchestratorVersion, undefined);
  const osDiskSizeGB = typeof p['osDiskSizeGB'] === 'number' && p['osDiskSizeGB'] > 0 ? p['osDiskSizeGB'] : 128;
  return {
    ...p,
    count,
    mode,
    osDiskSizeGB,
    vmSize: p['vmSize'] ?? 'Standard_DS2_v2',
    osType: p['osType'] ?? 'Linux',
    osSKU: p['osSKU'] ?? 'Ubuntu',
    type: p['type'] ?? 'VirtualMachineScaleSets',
    maxPods: p['maxPods'] ?? 110,
    orchestratorVersion: resolved.version,
    currentOrchestratorVersion: resolved.patch,
    nodeImageVersion: previous?.['nodeImageVersion'] ?? nodeImageVersion(defaults.now),
  };
}

/** The agent pool profiles of a cluster PUT: names checked, one System pool at least, no new pool on an existing cluster. */
function completePools(sent: unknown, previous: JsonObject[] | undefined, clusterVersion: string, now: string): JsonObject[] {
  if (sent === undefined || sent === null) {
    if (previous) return previous;
    throw new DomainError(
      'InvalidParameter',
      "The value of parameter agentPoolProfiles is invalid: a managed cluster needs at least one agent pool in 'properties.agentPoolProfiles'.",
      { target: 'properties.agentPoolProfiles' },
    );
  }
  if (!Array.isArray(sent) || sent.length === 0 || !sent.every(isJsonObject)) {
    throw new DomainError('InvalidParameter', 'The value of parameter agentPoolProfiles is invalid: it must be a non-empty array of agent pool profiles.', {
      target: 'properties.agentPoolProfiles',
    });
  }
  const seen = new Set<string>();
  const pools: JsonObject[] = sent.map((profile: JsonObject, i): JsonObject => {
    const name = profile['name'];
    if (typeof name !== 'string') throw new DomainError('InvalidParameter', 'Each agent pool profile needs a name.', { target: 'agentPoolProfile.name' });
    assertPoolName(name);
    if (seen.has(name.toLowerCase()))
      throw new DomainError('BadRequest', `The agent pool name '${name}' is used more than once.`, { target: 'properties.agentPoolProfiles' });
    seen.add(name.toLowerCase());
    const before = previous?.find((p) => String(p['name']).toLowerCase() === name.toLowerCase());
    if (previous && !before) {
      throw new DomainError(
        'BadRequest',
        'A new agent pool was introduced. Adding agent pools to an existing cluster is not allowed through managed cluster operations. For agent pool specific change, please use per agent pool operations: https://aka.ms/agent-pool-rest-api',
        { target: 'properties.agentPoolProfiles' },
      );
    }
    const { name: _n, ...rest } = profile;
    const { name: _b, ...beforeRest } = before ?? {};
    return { name: before ? before['name'] : name, ...completePool(rest, before ? beforeRest : undefined, { clusterVersion, now, first: i === 0 }) };
  });
  // Pools the PUT did not mention stay (they are managed through agentPools).
  for (const p of previous ?? []) if (!seen.has(String(p['name']).toLowerCase())) pools.push(p);
  if (!pools.some((p) => p['mode'] === 'System')) {
    throw new DomainError('BadRequest', 'Must define at least one system pool.', { target: 'properties.agentPoolProfiles' });
  }
  return pools;
}

const DEFAULT_KUBENET = {
  networkPlugin: 'kubenet',
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.0.0.0/16',
  dnsServiceIP: '10.0.0.10',
  outboundType: 'loadBalancer',
  loadBalancerSku: 'standard',
};

function completeNetwork(sent: unknown): JsonObject {
  const n: JsonObject = isJsonObject(sent) ? { ...sent } : {};
  const plugin = (n['networkPlugin'] as string | undefined) ?? 'kubenet';
  if (!['kubenet', 'azure', 'none'].includes(plugin)) {
    throw new DomainError(
      'InvalidParameter',
      `The value of parameter networkProfile.networkPlugin is invalid: '${plugin}'. Allowed values: 'azure', 'kubenet', 'none'.`,
      { target: 'properties.networkProfile.networkPlugin' },
    );
  }
  const base = plugin === 'kubenet' ? DEFAULT_KUBENET : { ...DEFAULT_KUBENET, podCidr: undefined };
  const result: JsonObject = { ...Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)), ...n, networkPlugin: plugin };
  if (result['serviceCidr'] && result['dnsServiceIP'] && !inCidr(String(result['dnsServiceIP']), String(result['serviceCidr']))) {
    throw new DomainError(
      'InvalidParameter',
      `The value of parameter networkProfile.dnsServiceIP is invalid: '${String(result['dnsServiceIP'])}' is not within the service address range '${String(result['serviceCidr'])}'.`,
      { target: 'properties.networkProfile.dnsServiceIP' },
    );
  }
  result['serviceCidrs'] = [result['serviceCidr']];
  if (result['podCidr']) result['podCidrs'] = [result['podCidr']];
  result['ipFamilies'] = ['IPv4'];
  return result;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function inCidr(address: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const a = ipv4(address);
  const n = ipv4(net ?? '');
  const b = Number(bits);
  if (a === undefined || n === undefined || !Number.isInteger(b) || b < 0 || b > 32) return false;
  const size = 2 ** (32 - b);
  return Math.floor(a / size) === Math.floor(n / size);
}

/** Add-on profile names as `az` and the RP spell them (keys are compared case-insensitively). */
function completeAddons(sent: unknown, previous: JsonObject | undefined): JsonObject {
  if (sent === undefined || sent === null) return previous ?? {};
  if (!isJsonObject(sent))
    throw new DomainError('InvalidParameter', "'properties.addonProfiles' must be an object of add-on profiles.", { target: 'properties.addonProfiles' });
  const result: JsonObject = {};
  for (const [name, profile] of Object.entries(sent)) {
    if (!isJsonObject(profile) || typeof profile['enabled'] !== 'boolean') {
      throw new DomainError('InvalidParameter', `The add-on profile '${name}' needs 'enabled': true or false.`, { target: `properties.addonProfiles.${name}` });
    }
    // `identity` is the RP's (read-only): what a client echoes is ignored; the hook sets it.
    const { identity: _ignored, ...rest } = profile;
    const before = previous && Object.entries(previous).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    result[name] = {
      config: null,
      ...rest,
      ...(isJsonObject(before) && isJsonObject(before['identity']) && rest['enabled'] ? { identity: before['identity'] } : {}),
    };
  }
  return result;
}

/**
 * The properties writer of the managed-cluster spec: completes a create, applies an update onto the
 * stored cluster (absent or null sub-profiles keep), refuses changes AKS refuses. Identity-dependent
 * rules (kubelet identity, add-on identities, node resource group) are the hooks' (cluster-hooks.ts).
 */
export function writeClusterProperties(sent: JsonObject, ctx: PropertyWriteContext): JsonObject {
  const previous = ctx.existing?.properties;
  const p = previous ? overlay(previous, sent) : Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== null && v !== undefined));

  const version = resolveKubernetesVersion(
    previous && (sent['kubernetesVersion'] === '' || sent['kubernetesVersion'] === undefined) ? undefined : sent['kubernetesVersion'],
    previous?.['kubernetesVersion'] as string | undefined,
  );
  p['kubernetesVersion'] = version.version;
  p['currentKubernetesVersion'] = version.patch;

  const dnsPrefix = p['dnsPrefix'] ?? derivedDnsPrefix(ctx.target.name, ctx.target.resourceGroup, ctx.target.subscriptionId);
  if (typeof dnsPrefix !== 'string' || !DNS_PREFIX.test(dnsPrefix)) {
    throw new DomainError(
      'InvalidParameter',
      `The value of parameter dnsPrefix is invalid: '${String(dnsPrefix)}'. It must contain between 1 and 54 characters, letters, digits and hyphens, and start and end with a letter or digit.`,
      { target: 'properties.dnsPrefix' },
    );
  }
  if (previous && previous['dnsPrefix'] !== dnsPrefix) throw changeNotAllowed('dnsPrefix', previous['dnsPrefix'], dnsPrefix);
  p['dnsPrefix'] = dnsPrefix;

  const nodeResourceGroup = p['nodeResourceGroup'] ?? defaultNodeResourceGroup(ctx.target.resourceGroup, ctx.target.name, ctx.location);
  if (typeof nodeResourceGroup !== 'string' || nodeResourceGroup === '') {
    throw new DomainError('InvalidParameter', 'The value of parameter nodeResourceGroup must be a resource group name.', {
      target: 'properties.nodeResourceGroup',
    });
  }
  if (previous && String(previous['nodeResourceGroup']).toLowerCase() !== nodeResourceGroup.toLowerCase())
    throw changeNotAllowed('nodeResourceGroup', previous['nodeResourceGroup'], nodeResourceGroup);
  if (nodeResourceGroup.length > 80) {
    throw new DomainError(
      'InvalidParameter',
      `The length of the node resource group name is too long. The maximum length is 80 and the length of the value provided is ${nodeResourceGroup.length}. Please see https://aka.ms/aks-naming-rules for more details.`,
      { target: 'name' },
    );
  }
  p['nodeResourceGroup'] = previous?.['nodeResourceGroup'] ?? nodeResourceGroup;

  const suffix = ctx.ids.newGuid().replace(/-/g, '').slice(0, 8);
  p['fqdn'] = previous?.['fqdn'] ?? `${dnsPrefix.toLowerCase()}-${suffix}.hcp.${ctx.location}.azmk8s.io`;
  p['azurePortalFQDN'] = previous?.['azurePortalFQDN'] ?? `${dnsPrefix.toLowerCase()}-${suffix}.portal.hcp.${ctx.location}.azmk8s.io`;
  p['resourceUID'] = previous?.['resourceUID'] ?? ctx.ids.newGuid().replace(/-/g, '').slice(0, 24);
  p['maxAgentPools'] = 100;
  p['agentPoolProfiles'] = completePools(sent['agentPoolProfiles'], previous?.['agentPoolProfiles'] as JsonObject[] | undefined, version.version, ctx.now);
  p['networkProfile'] =
    previous && (sent['networkProfile'] === undefined || sent['networkProfile'] === null) ? previous['networkProfile'] : completeNetwork(p['networkProfile']);
  p['addonProfiles'] = completeAddons(sent['addonProfiles'], previous?.['addonProfiles'] as JsonObject | undefined);
  p['enableRBAC'] = p['enableRBAC'] ?? true;
  p['disableLocalAccounts'] = p['disableLocalAccounts'] ?? false;
  p['securityProfile'] = isJsonObject(p['securityProfile']) ? p['securityProfile'] : {};
  p['storageProfile'] = {
    diskCSIDriver: { enabled: true },
    fileCSIDriver: { enabled: true },
    snapshotController: { enabled: true },
    ...(isJsonObject(p['storageProfile']) ? p['storageProfile'] : {}),
  };

  const oidc = isJsonObject(p['oidcIssuerProfile']) ? p['oidcIssuerProfile'] : {};
  const wasEnabled = isJsonObject(previous?.['oidcIssuerProfile']) && (previous!['oidcIssuerProfile'] as JsonObject)['enabled'] === true;
  if (wasEnabled && oidc['enabled'] === false) {
    throw new DomainError('OIDCIssuerCannotBeDisabled', 'OIDC issuer cannot be disabled once it has been enabled on a managed cluster.', {
      target: 'properties.oidcIssuerProfile.enabled',
    });
  }
  p['oidcIssuerProfile'] = { ...oidc, enabled: oidc['enabled'] === true };

  const identityProfile = p['identityProfile'];
  if (identityProfile !== undefined) {
    if (!isJsonObject(identityProfile) || Object.keys(identityProfile).some((k) => k !== 'kubeletidentity')) {
      throw new DomainError('InvalidParameter', "The value of parameter identityProfile is invalid: the only accepted key is 'kubeletidentity'.", {
        target: 'properties.identityProfile',
      });
    }
    const kubelet = identityProfile['kubeletidentity'];
    if (!isJsonObject(kubelet) || typeof kubelet['resourceId'] !== 'string' || kubelet['resourceId'] === '') {
      throw new DomainError(
        'CustomKubeletIdentityOnlySupportedOnUserAssignedMSICluster',
        "The value of parameter identityProfile.kubeletidentity is invalid: it must name a user assigned identity by 'resourceId'.",
        { target: 'properties.identityProfile.kubeletidentity.resourceId' },
      );
    }
  }
  return p;
}

/** az's derivation, used when a client sends no dnsPrefix: `{name[:10]}-{group[:16]}-{subscription[:6]}`. */
function derivedDnsPrefix(name: string, group: string, subscriptionId: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9-]/g, '');
  let namePart = clean(name).slice(0, 10);
  if (!/^[A-Za-z]/.test(namePart)) namePart = `a${namePart}`.slice(0, 10);
  return `${namePart}-${clean(group).slice(0, 16)}-${subscriptionId.slice(0, 6)}`;
}

/** The id of the cluster an agent pool id belongs to. */
export function clusterIdOfPool(poolId: string): string {
  return poolId.replace(/\/agentPools\/[^/]+$/i, '');
}

/** The kubelet and add-on identities of a cluster (ARM ids): what workloads on its nodes may use. */
export function nodeIdentityIds(cluster: Pick<ResourceRecord, 'properties'> | undefined): string[] {
  if (!cluster) return [];
  const ids: string[] = [];
  const kubelet = (cluster.properties['identityProfile'] as JsonObject | undefined)?.['kubeletidentity'];
  if (isJsonObject(kubelet) && typeof kubelet['resourceId'] === 'string') ids.push(kubelet['resourceId']);
  for (const addon of Object.values((cluster.properties['addonProfiles'] as JsonObject | undefined) ?? {})) {
    if (isJsonObject(addon) && addon['enabled'] === true && isJsonObject(addon['identity']) && typeof addon['identity']['resourceId'] === 'string')
      ids.push(addon['identity']['resourceId']);
  }
  return ids;
}
