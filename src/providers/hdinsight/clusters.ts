/**
 * Microsoft.HDInsight/clusters (HDInsight `cluster.json`, 2021-06-01) on the provider kit. Keyless
 * runs no Hadoop: it keeps the cluster, checks its managed identities exactly where HDInsight does,
 * and does what the HDInsight service does with them (hooks.ts). Wire facts:
 * shared/reference/hdinsight-wire.md.
 *
 * - Identities: user-assigned only (seed 000: "Azure HDInsight uses user-assigned managed identities");
 *   every `msiResourceId` (Data Lake storage, ESP, disk encryption) must also be attached in
 *   `identity.userAssignedIdentities` (hdinsight-wire §0.2) — the kit resolves them, checks the
 *   caller's `assign/action` (LinkedAuthorizationFailed) and the attachment.
 * - Secrets are write-only and never stored in clear: gateway credentials
 *   (`clusterDefinition.configurations`), node passwords and SSH keys, the ESP domain password,
 *   storage keys. The gateway password is kept sealed for `getGatewaySettings` (hooks.ts).
 * - Read-only state (`provisioningState`, `clusterState`, `clusterId`, `connectivityEndpoints`,
 *   `quotaInfo`, …) is the service's; what a client echoes back is ignored.
 */
import type { IdentityRules } from '../../core/identities/identity-plan.js';
import { isJsonObject, type JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { PropertyWriteContext, TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import { badRequest, HdInsightError } from './errors.js';

/** Cores of a VM size from its name (`Standard_E8_V3` → 8). */
export function coresOf(vmSize: string): number {
  const m = /_[a-z]+(\d+)/i.exec(vmSize);
  return m ? Number(m[1]) : 4;
}

export const CLUSTER_TYPE = 'Microsoft.HDInsight/clusters';

/** User-assigned only; HDInsight spells the types without a space ('SystemAssigned, UserAssigned' is refused anyway). */
export const CLUSTER_IDENTITY_RULES: IdentityRules = { allowSystemAssigned: false, allowUserAssigned: true, typeSpelling: 'spaced' };

/** Cluster kinds `az hdinsight create -t` offers (hdinsight-wire §9.1). */
export const CLUSTER_KINDS = ['hadoop', 'spark', 'kafka', 'hbase', 'interactivehive', 'storm', 'rserver', 'mlservices'] as const;

/** Where the service keeps what it derived (sealed gateway password, wrapped data key): never rendered. */
export const SERVICE_STATE = 'keylessService';

export const CLUSTER_READ_ONLY = [
  'provisioningState',
  'clusterState',
  'clusterId',
  'clusterHdpVersion',
  'createdDate',
  'quotaInfo',
  'errors',
  'connectivityEndpoints',
  'excludedServicesConfig',
  'privateEndpointConnections',
  SERVICE_STATE,
] as const;

export const CLUSTER_WRITE_ONLY = [
  'clusterDefinition.configurations',
  'computeProfile.roles[].osProfile.linuxOperatingSystemProfile.password',
  'computeProfile.roles[].osProfile.linuxOperatingSystemProfile.sshProfile',
  'securityProfile.domainUserPassword',
  'storageProfile.storageaccounts[].key',
  'storageProfile.storageaccounts[].saskey',
] as const;

/**
 * Cluster names: 3–59 characters, letters, digits and hyphens, starting and ending with a letter or
 * digit; `apps` is reserved (hdinsight-wire §7.4 V1, from "Azure resource name rules").
 */
const CLUSTER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{1,57})[A-Za-z0-9]$/;

export function assertClusterName(name: string): void {
  if (!CLUSTER_NAME.test(name) || name.toLowerCase() === 'apps') {
    throw badRequest(
      `The cluster name '${name.slice(0, 80)}' is invalid. Cluster names are 3 to 59 characters of letters, numbers and hyphens, start and end with a letter or number, and 'apps' is reserved.`,
    );
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Default roles the RP adds (hdinsight-wire §4.3: a zookeeper role appears in the GET even when not sent). */
function completeRoles(roles: unknown[]): JsonObject[] {
  const out = roles.map((r) => (isJsonObject(r) ? { ...r } : {})) as JsonObject[];
  for (const role of out) {
    if (typeof role['name'] !== 'string' || role['name'] === '')
      throw badRequest("Each role in 'computeProfile.roles' needs a 'name' (headnode, workernode, zookeepernode, …).");
    const count = role['targetInstanceCount'];
    if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 500)) {
      throw badRequest(`The targetInstanceCount of role '${role['name']}' must be a whole number from 1 to 500.`);
    }
    const hw = role['hardwareProfile'];
    if (isJsonObject(hw) && typeof hw['vmSize'] === 'string') role['hardwareProfile'] = { ...hw, vmSize: hw['vmSize'].toLowerCase() };
  }
  const names = out.map((r) => String(r['name']).toLowerCase());
  if (!names.includes('headnode') || !names.includes('workernode')) {
    throw badRequest("'computeProfile.roles' must contain a 'headnode' and a 'workernode' role.");
  }
  if (!names.includes('zookeepernode')) out.push({ name: 'zookeepernode', targetInstanceCount: 3, hardwareProfile: { vmSize: 'standard_a2_v2' } });
  return out;
}

/** Validates the create body (after the kit removed secrets and read-only fields) and completes it. */
function writeClusterProperties(properties: JsonObject, ctx: PropertyWriteContext): JsonObject {
  const definition = properties['clusterDefinition'];
  if (!isJsonObject(definition)) throw badRequest("The request is missing 'properties.clusterDefinition' (with its 'kind', e.g. 'spark' or 'kafka').");
  const kind = str(definition['kind']);
  if (!kind || !(CLUSTER_KINDS as readonly string[]).includes(kind.toLowerCase())) {
    throw badRequest(`The cluster kind '${kind ?? ''}' is not supported. Supported kinds: ${CLUSTER_KINDS.join(', ')}.`);
  }
  const compute = properties['computeProfile'];
  if (!isJsonObject(compute) || !Array.isArray(compute['roles'])) throw badRequest("The request is missing 'properties.computeProfile.roles'.");
  const os = str(properties['osType']) ?? 'Linux';
  if (os.toLowerCase() !== 'linux') throw badRequest(`The osType '${os}' is not supported; HDInsight clusters run Linux.`);
  const tier = (str(properties['tier']) ?? 'Standard').toLowerCase();
  if (tier !== 'standard' && tier !== 'premium')
    throw badRequest(`The tier '${String(properties['tier'])}' is not valid. Allowed values: 'Standard', 'Premium'.`);
  if (properties['securityProfile'] !== undefined && properties['securityProfile'] !== null && tier !== 'premium') {
    throw badRequest("An Enterprise Security Package cluster ('securityProfile') must use the 'Premium' tier.");
  }
  const storage = properties['storageProfile'];
  const accounts = isJsonObject(storage) ? arr(storage['storageaccounts']) : [];
  if (accounts.length === 0) throw badRequest("The request is missing 'properties.storageProfile.storageaccounts': a cluster needs a default storage account.");
  if (accounts.filter((a) => isJsonObject(a) && a['isDefault'] === true).length !== 1) {
    throw badRequest("Exactly one entry of 'properties.storageProfile.storageaccounts' must have 'isDefault': true.");
  }
  for (const a of accounts) {
    if (!isJsonObject(a) || !str(a['name'])) throw badRequest("Each storage account entry needs a 'name' (its blob or dfs host name).");
    if (a['msiResourceId'] !== undefined && a['msiResourceId'] !== null) {
      if (!str(a['fileSystem'])) throw badRequest(`The Data Lake Storage Gen2 account '${String(a['name'])}' needs a 'fileSystem'.`);
      if (!str(a['resourceId']))
        throw badRequest(`The Data Lake Storage Gen2 account '${String(a['name'])}' needs its 'resourceId' (the storage account's ARM id).`);
    } else if (!str(a['container']) && !str(a['fileSystem'])) {
      throw badRequest(
        `The storage account '${String(a['name'])}' needs a 'container' (Blob storage with a key) or a 'fileSystem' with an 'msiResourceId' (Data Lake Storage Gen2).`,
      );
    }
  }
  const encryption = properties['diskEncryptionProperties'];
  if (isJsonObject(encryption) && (encryption['vaultUri'] !== undefined || encryption['keyName'] !== undefined)) {
    for (const f of ['vaultUri', 'keyName', 'msiResourceId'] as const) {
      if (!str(encryption[f])) throw badRequest(`Disk encryption with a customer-managed key needs 'diskEncryptionProperties.${f}'.`);
    }
    const alg = str(encryption['encryptionAlgorithm']) ?? 'RSA-OAEP';
    if (!['RSA-OAEP', 'RSA-OAEP-256', 'RSA1_5'].includes(alg))
      throw badRequest(`The encryptionAlgorithm '${alg}' is not valid. Allowed values: 'RSA-OAEP', 'RSA-OAEP-256', 'RSA1_5'.`);
  }
  const existing = ctx.existing?.properties;
  const out: JsonObject = {
    ...properties,
    osType: 'Linux',
    tier,
    clusterDefinition: {
      ...definition,
      kind: kind.toLowerCase(),
      blueprint: `https://blueprints.azurehdinsight.net/${kind.toLowerCase()}-${String(properties['clusterVersion'] ?? '5.1')}.json`,
    },
    computeProfile: { ...compute, roles: completeRoles(compute['roles'] as unknown[]) },
    encryptionInTransitProperties: isJsonObject(properties['encryptionInTransitProperties'])
      ? properties['encryptionInTransitProperties']
      : { isEncryptionInTransitEnabled: false },
    minSupportedTlsVersion: str(properties['minSupportedTlsVersion']) ?? '1.2',
  };
  const version = str(properties['clusterVersion']);
  if (!version || version === 'default') out['clusterVersion'] = '5.1.3000.0';
  else if (/^\d+\.\d+$/.test(version)) out['clusterVersion'] = `${version}.3000.0`;
  if (existing) {
    for (const f of CLUSTER_READ_ONLY) if (existing[f] !== undefined) out[f] = existing[f];
    return out;
  }
  const name = ctx.target.name.toLowerCase();
  const roles = (out['computeProfile'] as { roles: JsonObject[] }).roles;
  out['clusterId'] = ctx.ids.newGuid().replace(/-/g, '');
  out['createdDate'] = ctx.now.replace(/\.\d+Z$|Z$/, '');
  out['clusterHdpVersion'] = `${String(out['clusterVersion'] ?? '5.1')
    .split('.')
    .slice(0, 2)
    .join('.')}-0`;
  out['quotaInfo'] = {
    coresUsed: roles.reduce(
      (n, r) => n + Number(r['targetInstanceCount'] ?? 1) * coresOf(String((r['hardwareProfile'] as JsonObject | undefined)?.['vmSize'] ?? '')),
      0,
    ),
  };
  out['connectivityEndpoints'] = [
    { name: 'SSH', protocol: 'TCP', location: `${name}-ssh.azurehdinsight.net`, port: 22 },
    { name: 'HTTPS', protocol: 'TCP', location: `${name}.azurehdinsight.net`, port: 443 },
  ];
  out['excludedServicesConfig'] = { excludedServicesConfigId: 'default', excludedServicesList: '' };
  return out;
}

export const CLUSTER_SPEC: Omit<TrackedTypeSpec, 'hooks'> = {
  namespace: 'Microsoft.HDInsight',
  type: 'clusters',
  label: 'HDInsight cluster',
  shape: 'tracked',
  assertName: assertClusterName,
  identity: {
    rules: CLUSTER_IDENTITY_RULES,
    references: [
      { path: 'storageProfile.storageaccounts[].msiResourceId', mustBeAttached: true },
      { path: 'securityProfile.msiResourceId', mustBeAttached: true },
      { path: 'diskEncryptionProperties.msiResourceId', mustBeAttached: true },
    ],
  },
  properties: {
    readOnly: CLUSTER_READ_ONLY,
    writeOnly: CLUSTER_WRITE_ONLY,
    write: (properties, ctx) => writeClusterProperties(properties, ctx),
  },
};

/**
 * What HDInsight checks in the body before the kit's generic identity handling, in its own error
 * shape: a system-assigned identity (the 2021-06-01 schema lists it, the service refuses it: "Azure
 * HDInsight supports only user-assigned managed identities"), and an `msiResourceId` that is not
 * attached (Terraform's azurerm#29140 shows such a create failing).
 */
export function precheckClusterBody(body: unknown): void {
  if (!isJsonObject(body)) return;
  const identity = body['identity'];
  if (isJsonObject(identity) && typeof identity['type'] === 'string' && /systemassigned/i.test(identity['type'].replace(/\s/g, ''))) {
    throw badRequest(
      `Azure HDInsight supports only user-assigned managed identities; the identity type '${identity['type']}' is not supported. Use 'UserAssigned' and list the identities in 'identity.userAssignedIdentities'.`,
    );
  }
  const properties = body['properties'];
  if (!isJsonObject(properties)) return;
  const attached =
    isJsonObject(identity) && isJsonObject(identity['userAssignedIdentities'])
      ? new Set(Object.keys(identity['userAssignedIdentities']).map((k) => k.toLowerCase()))
      : new Set<string>();
  const named: [string, unknown][] = [];
  const storage = properties['storageProfile'];
  if (isJsonObject(storage))
    arr(storage['storageaccounts']).forEach(
      (a, i) => isJsonObject(a) && named.push([`storageProfile.storageaccounts[${i}].msiResourceId`, a['msiResourceId']]),
    );
  if (isJsonObject(properties['securityProfile'])) named.push(['securityProfile.msiResourceId', properties['securityProfile']['msiResourceId']]);
  if (isJsonObject(properties['diskEncryptionProperties']))
    named.push(['diskEncryptionProperties.msiResourceId', properties['diskEncryptionProperties']['msiResourceId']]);
  for (const [path, value] of named) {
    if (typeof value === 'string' && value !== '' && !attached.has(value.toLowerCase())) {
      throw badRequest(
        `The managed identity '${value}' given in '${path}' is not one of the cluster's identities. Add it to 'identity.userAssignedIdentities' (type 'UserAssigned').`,
      );
    }
  }
}

export { HdInsightError };
