/**
 * The `properties` of a managed cluster (Microsoft.ContainerService/managedClusters) as the AKS
 * resource provider completes and checks them, without I/O: defaults the RP fills in, names it
 * derives (`MC_…` node resource group, fqdn), fields that cannot change, and the rule `az aks update`
 * relies on: a PUT that leaves out (or nulls) a sub-profile keeps its current value, because az 2.45
 * round-trips the cluster through its 2022-11-01 model and drops what that model does not know
 * (shared/reference/aks-wire.md ten-facts #7). Each profile's rules are in the module of its name.
 */
import { DomainError } from '../../../core/errors.js';
import { isJsonObject, type JsonObject } from '../../../core/resources/tracked/json-paths.js';
import type { PropertyWriteContext } from '../../../core/resources/tracked/spec.js';
import { completeAddons } from './addon-profiles.js';
import { completePools } from './agent-pool-profile.js';
import { completeFeatureProfiles } from './feature-profiles.js';
import { checkIdentityProfile } from './identity-profile.js';
import { resolveKubernetesVersion } from './kubernetes-version.js';
import { checkedDnsPrefix, defaultNodeResourceGroup } from './names.js';
import { completeNetwork } from './network-profile.js';
import { invalidParameter, withoutNulls } from './property-helpers.js';

/** Keys of a sub-profile merged key by key (a sent `{}` keeps what is there: az drops fields its model lacks). */
const MERGED_PROFILES = new Set(['securityProfile', 'oidcIssuerProfile', 'storageProfile', 'workloadAutoScalerProfile']);

/** The properties of the stored cluster overlaid with what the client sent; absent or null keeps. */
function overlay(previous: JsonObject, sent: JsonObject): JsonObject {
  const result: JsonObject = { ...previous };
  for (const [key, value] of Object.entries(sent)) {
    if (value === undefined || value === null || key === '__proto__') continue;
    result[key] =
      MERGED_PROFILES.has(key) && isJsonObject(value) && isJsonObject(previous[key]) ? { ...(previous[key] as JsonObject), ...withoutNulls(value) } : value;
  }
  return result;
}

const changeNotAllowed = (property: string, from: unknown, to: unknown) =>
  new DomainError(
    'PropertyChangeNotAllowed',
    `Changing property '${property}' is not allowed. The value '${String(from)}' cannot be changed to '${String(to)}' once the managed cluster has been created.`,
    { target: `properties.${property}` },
  );

/**
 * The properties writer of the managed-cluster spec: completes a create, applies an update onto the
 * stored cluster (absent or null sub-profiles keep), refuses changes AKS refuses. Identity-dependent
 * rules (kubelet identity, add-on identities, node resource group) are the hooks' (cluster-hooks.ts).
 */
export function writeClusterProperties(sent: JsonObject, ctx: PropertyWriteContext): JsonObject {
  const previous = ctx.existing?.properties;
  const p = previous ? overlay(previous, sent) : withoutNulls(sent);

  const version = resolveKubernetesVersion(
    previous && (sent['kubernetesVersion'] === '' || sent['kubernetesVersion'] === undefined) ? undefined : sent['kubernetesVersion'],
    previous?.['kubernetesVersion'] as string | undefined,
  );
  p['kubernetesVersion'] = version.version;
  p['currentKubernetesVersion'] = version.patch;

  const dnsPrefix = checkedDnsPrefix(p['dnsPrefix'], ctx.target);
  if (previous && previous['dnsPrefix'] !== dnsPrefix) throw changeNotAllowed('dnsPrefix', previous['dnsPrefix'], dnsPrefix);
  p['dnsPrefix'] = dnsPrefix;
  const nodeResourceGroup = checkedNodeResourceGroup(p['nodeResourceGroup'], previous, ctx);
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
  completeFeatureProfiles(p, previous);
  checkIdentityProfile(p['identityProfile']);
  return p;
}

/** The node resource group (named, or `MC_…`): a name of at most 80 characters that never changes. */
function checkedNodeResourceGroup(named: unknown, previous: JsonObject | undefined, ctx: PropertyWriteContext): string {
  const nodeResourceGroup = named ?? defaultNodeResourceGroup(ctx.target.resourceGroup, ctx.target.name, ctx.location);
  if (typeof nodeResourceGroup !== 'string' || nodeResourceGroup === '') {
    throw invalidParameter('The value of parameter nodeResourceGroup must be a resource group name.', 'properties.nodeResourceGroup');
  }
  if (previous && String(previous['nodeResourceGroup']).toLowerCase() !== nodeResourceGroup.toLowerCase())
    throw changeNotAllowed('nodeResourceGroup', previous['nodeResourceGroup'], nodeResourceGroup);
  if (nodeResourceGroup.length > 80) {
    throw invalidParameter(
      `The length of the node resource group name is too long. The maximum length is 80 and the length of the value provided is ${nodeResourceGroup.length}. Please see https://aka.ms/aks-naming-rules for more details.`,
      'name',
    );
  }
  return nodeResourceGroup;
}
