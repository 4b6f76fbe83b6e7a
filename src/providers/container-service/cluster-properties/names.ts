/**
 * Managed cluster and agent pool names and the names AKS derives from them: the spec's name rules,
 * the `dnsPrefix` az derives, the `MC_…` node resource group, a pool's cluster id.
 */
import { invalidParameter } from './property-helpers.js';

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
    throw invalidParameter(
      `The value of parameter resourceName is invalid: '${name}'. A managed cluster name must be 1 to 63 characters, letters, digits, hyphens and underscores, starting and ending with a letter or digit. Please see https://aka.ms/aks-naming-rules for more details.`,
      'resourceName',
    );
  }
}

export function assertPoolName(name: string): void {
  if (!POOL_NAME.test(name)) {
    throw invalidParameter(
      `The value of parameter agentPoolProfile.name is invalid: '${name}'. An agent pool name must start with a lowercase letter and contain only lowercase letters and digits, at most 12 characters. Please see https://aka.ms/aks-naming-rules for more details.`,
      'agentPoolProfile.name',
    );
  }
}

/** The dnsPrefix sent, or az's derivation when none was; refused unless it follows the rule. */
export function checkedDnsPrefix(sent: unknown, cluster: { name: string; resourceGroup: string; subscriptionId: string }): string {
  const dnsPrefix = sent ?? derivedDnsPrefix(cluster.name, cluster.resourceGroup, cluster.subscriptionId);
  if (typeof dnsPrefix !== 'string' || !DNS_PREFIX.test(dnsPrefix)) {
    throw invalidParameter(
      `The value of parameter dnsPrefix is invalid: '${String(dnsPrefix)}'. It must contain between 1 and 54 characters, letters, digits and hyphens, and start and end with a letter or digit.`,
      'properties.dnsPrefix',
    );
  }
  return dnsPrefix;
}

/** az's derivation, used when a client sends no dnsPrefix: `{name[:10]}-{group[:16]}-{subscription[:6]}`. */
function derivedDnsPrefix(name: string, group: string, subscriptionId: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9-]/g, '');
  let namePart = clean(name).slice(0, 10);
  if (!/^[A-Za-z]/.test(namePart)) namePart = `a${namePart}`.slice(0, 10);
  return `${namePart}-${clean(group).slice(0, 16)}-${subscriptionId.slice(0, 6)}`;
}

/** The node resource group AKS creates: `MC_{group}_{cluster}_{location}` unless named; at most 80 characters. */
export function defaultNodeResourceGroup(resourceGroup: string, cluster: string, location: string): string {
  return `MC_${resourceGroup}_${cluster}_${location}`;
}

/** The id of the cluster an agent pool id belongs to. */
export function clusterIdOfPool(poolId: string): string {
  return poolId.replace(/\/agentPools\/[^/]+$/i, '');
}
