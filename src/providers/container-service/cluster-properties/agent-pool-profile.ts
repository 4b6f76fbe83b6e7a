/**
 * Agent pool profiles as the AKS RP completes them: defaults it fills in (count 1, Standard_DS2_v2,
 * Ubuntu, 128 GB OS disk, 110 pods, the node image of the day), read-only values it keeps, and the
 * rules of a cluster PUT's `agentPoolProfiles` (names, one System pool, no new pool on an existing cluster).
 */
import { DomainError } from '../../../core/errors.js';
import { isJsonObject, type JsonObject } from '../../../core/resources/tracked/json-paths.js';
import { resolveKubernetesVersion } from './kubernetes-version.js';
import { assertPoolName } from './names.js';
import { invalidParameter, withoutNulls } from './property-helpers.js';

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
  const p: JsonObject = { ...(previous ?? {}), ...withoutNulls(sent, POOL_READ_ONLY) };
  const { count, mode } = checkPool(p, defaults.first);
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

/** The pool's count (default 1) and mode (the first pool System, others User), and a string vnetSubnetID. */
function checkPool(p: JsonObject, first: boolean): { count: number; mode: string } {
  const count = p['count'] ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 1000) {
    throw invalidParameter(
      `The value of parameter agentPoolProfile.count is invalid: '${String(count)}'. It must be an integer from 0 to 1000.`,
      'agentPoolProfile.count',
    );
  }
  const mode = p['mode'] ?? (first ? 'System' : 'User');
  if (mode !== 'System' && mode !== 'User') {
    throw invalidParameter(
      `The value of parameter agentPoolProfile.mode is invalid: '${String(mode)}'. Allowed values: 'System', 'User'.`,
      'agentPoolProfile.mode',
    );
  }
  if (p['vnetSubnetID'] !== undefined && typeof p['vnetSubnetID'] !== 'string') {
    throw invalidParameter('The value of parameter agentPoolProfile.vnetSubnetID must be a subnet resource id.', 'agentPoolProfile.vnetSubnetID');
  }
  return { count, mode };
}

/** The agent pool profiles of a cluster PUT: names checked, one System pool at least, no new pool on an existing cluster. */
export function completePools(sent: unknown, previous: JsonObject[] | undefined, clusterVersion: string, now: string): JsonObject[] {
  if (sent === undefined || sent === null) {
    if (previous) return previous;
    throw invalidParameter(
      "The value of parameter agentPoolProfiles is invalid: a managed cluster needs at least one agent pool in 'properties.agentPoolProfiles'.",
      'properties.agentPoolProfiles',
    );
  }
  if (!Array.isArray(sent) || sent.length === 0 || !sent.every(isJsonObject)) {
    throw invalidParameter(
      'The value of parameter agentPoolProfiles is invalid: it must be a non-empty array of agent pool profiles.',
      'properties.agentPoolProfiles',
    );
  }
  const seen = new Set<string>();
  const pools: JsonObject[] = sent.map((profile: JsonObject, i): JsonObject => {
    const name = checkProfileName(profile, seen);
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

/** A profile's name: present, valid and not used twice in the PUT (recorded in `seen`, lower case). */
function checkProfileName(profile: JsonObject, seen: Set<string>): string {
  const name = profile['name'];
  if (typeof name !== 'string') throw invalidParameter('Each agent pool profile needs a name.', 'agentPoolProfile.name');
  assertPoolName(name);
  if (seen.has(name.toLowerCase()))
    throw new DomainError('BadRequest', `The agent pool name '${name}' is used more than once.`, { target: 'properties.agentPoolProfiles' });
  seen.add(name.toLowerCase());
  return name;
}
