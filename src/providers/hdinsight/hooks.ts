/**
 * The cluster's create/update hooks: HDInsight's identity checks, then the service's own work as
 * the identities (service.ts), all inside the write's transaction — a refusal anywhere rolls back
 * everything (the cluster, its operation and the file system the identity created), so nothing is
 * left half-created. Checks are synchronous 400s in HDInsight's flat shape (README "HDInsight").
 *
 * - Data Lake Storage Gen2 entry: the account exists, has a hierarchical namespace, `name` is its dfs
 *   host; the identity holds Storage Blob Data Owner on it (else `StoragePermissionsBlockedForMsi`
 *   with Azure's text); then the identity creates the file system and default directories.
 * - ESP: the Microsoft.AAD/domainServices resource exists and names the domain; the identity holds
 *   HDInsight Domain Services Contributor on it; the domain password was given.
 * - Customer-managed key: the identity reads the key (RSA), wraps and unwraps a data-encryption key.
 * "Holds role X" is asked of RBAC (the same index ARM uses); what the service does is done through
 * the data planes with the identity's token.
 */
import { readStoredIdentity } from '../../core/identities/stored-identity.js';
import type { ResourceRecord } from '../../core/model.js';
import type { AccessService } from '../../core/rbac/access-service.js';
import { isJsonObject, readPath, type JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { TrackedHookContext, TrackedHooks } from '../../core/resources/tracked/spec.js';
import type { ValueSealing } from '../../core/dataplanes/storage-keys.js';
import type { ServiceCalls } from '../../core/tokens/service-identity.js';
import { SERVICE_STATE } from './clusters.js';
import { badRequest, HdInsightError } from './errors.js';
import { createClusterService, STORAGE_AUDIENCE, VAULT_AUDIENCE, type WrappedDataKey } from './service.js';

export const STORAGE_ACCOUNT_TYPE = 'Microsoft.Storage/storageAccounts';
export const DOMAIN_SERVICES_TYPE = 'Microsoft.AAD/domainServices';
/** Held by Storage Blob Data Owner only (`blobs/*`), not by Contributor or Storage Blob Data Contributor: POSIX ACLs. */
export const BLOB_OWNER_PROBE = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/modifyPermissions/action';
/** Held by HDInsight Domain Services Contributor (`Microsoft.AAD/domainServices/oucontainer/*`). */
export const DOMAIN_SERVICES_PROBE = 'Microsoft.AAD/domainServices/oucontainer/write';

export interface ClusterHookDeps {
  access?: Pick<AccessService, 'can'>;
  services?: ServiceCalls;
  sealing?: ValueSealing;
}

/** What the service keeps about a cluster (in `properties.keylessService`, never rendered). */
export interface ServiceState {
  /** The gateway credentials, sealed with the server's key encryption key and bound to the cluster. */
  gateway?: { username: string; sealedPassword?: string };
  diskEncryption?: WrappedDataKey;
}

export const readServiceState = (r: Pick<ResourceRecord, 'properties'>): ServiceState =>
  isJsonObject(r.properties[SERVICE_STATE]) ? (r.properties[SERVICE_STATE] as ServiceState) : {};

/** The password sealed together with the cluster id: a sealed value copied to another cluster does not open. */
export function sealGateway(sealing: ValueSealing | undefined, clusterId: string, password: string): string | undefined {
  return sealing?.seal(JSON.stringify({ c: clusterId.toLowerCase(), p: password }));
}

export function openGateway(sealing: ValueSealing | undefined, clusterId: string, sealed: string | undefined): string | undefined {
  if (!sealing || !sealed) return undefined;
  const value = JSON.parse(sealing.open(sealed)) as { c: string; p: string };
  return value.c === clusterId.toLowerCase() ? value.p : undefined;
}

/** The gateway credentials of a create body (`clusterDefinition.configurations.gateway`), required as by az and the RP. */
export function readGateway(input: unknown): { enabled: boolean; username: string; password: string } {
  const gateway = readPath(input, 'properties.clusterDefinition.configurations.gateway')[0];
  const g = isJsonObject(gateway) ? gateway : {};
  const username = g['restAuthCredential.username'];
  const password = g['restAuthCredential.password'];
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw badRequest(
      "The gateway credentials are missing: 'clusterDefinition.configurations.gateway' needs 'restAuthCredential.username' and 'restAuthCredential.password'.",
    );
  }
  checkPassword(password, 'gateway');
  return { enabled: String(g['restAuthCredential.isEnabled'] ?? 'true').toLowerCase() !== 'false', username, password };
}

/** HDInsight's password rule: at least 10 characters with upper and lower case letters, a digit and a special character. */
export function checkPassword(password: string, what: string): void {
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (password.length < 10 || password.length > 72 || classes < 4) {
    throw badRequest(
      `The ${what} password does not meet the requirements: 10 to 72 characters with at least one upper case letter, one lower case letter, one digit and one special character.`,
    );
  }
}

function principalOf(resource: ResourceRecord, identityId: string): string {
  const uai = readStoredIdentity(resource.identity).userAssignedIdentities;
  const key = Object.keys(uai).find((k) => k.toLowerCase() === identityId.toLowerCase());
  if (!key) throw badRequest(`The managed identity '${identityId}' is not one of the cluster's identities.`);
  return uai[key]!.principalId;
}

const lastSegment = (id: string) => id.split('/').filter(Boolean).at(-1) ?? '';

export function createClusterHooks(deps: ClusterHookDeps): TrackedHooks {
  const service = deps.services ? createClusterService(deps.services) : undefined;
  const needService = (what: string) => {
    if (!service || !deps.services) throw badRequest(`${what} needs Keyless's data planes, which this server does not run.`);
    return { service, calls: deps.services };
  };
  const can = (principalId: string, action: string, scope: string, data: boolean) => deps.access?.can(principalId, action, scope, data) ?? false;

  async function storage(ctx: TrackedHookContext, properties: JsonObject): Promise<void> {
    const accounts = readPath(properties, 'storageProfile.storageaccounts[]').filter(isJsonObject);
    for (const entry of accounts) {
      const msi = entry['msiResourceId'];
      if (typeof msi !== 'string' || msi === '') continue;
      const accountId = String(entry['resourceId']);
      const account = await ctx.tx.resources.get(accountId);
      if (!account || account.type.toLowerCase() !== STORAGE_ACCOUNT_TYPE.toLowerCase()) {
        throw badRequest(`The storage account '${accountId}' given in 'storageProfile.storageaccounts[].resourceId' was not found.`);
      }
      if (account.properties['isHnsEnabled'] !== true) {
        throw badRequest(
          `The storage account '${account.name}' is not a Data Lake Storage Gen2 account: its hierarchical namespace ('isHnsEnabled') is not enabled. HDInsight uses a managed identity only with Data Lake Storage Gen2.`,
        );
      }
      const host = String(entry['name']).toLowerCase();
      if (!host.startsWith(`${account.name.toLowerCase()}.dfs.`)) {
        throw badRequest(
          `The storage account name '${String(entry['name'])}' must be the account's Data Lake Storage endpoint host ('${account.name}.dfs.…'), as in its 'primaryEndpoints.dfs'.`,
        );
      }
      if (!can(principalOf(ctx.resource, msi), BLOB_OWNER_PROBE, account.id, true)) {
        // Azure's text (create-cluster-error-dictionary), naming the storage account and the identity.
        throw new HdInsightError(
          'StoragePermissionsBlockedForMsi',
          `The Managed Identity does not have permissions on the storage account. Please verify that 'Storage Blob Data Owner' role is assigned to the Managed Identity for the storage account. Storage: ${account.id}, Managed Identity: ${msi}`,
        );
      }
      const { service: s, calls } = needService('A Data Lake Storage Gen2 account');
      const token = await calls.identityToken({ resource: ctx.resource, identityId: msi, audience: STORAGE_AUDIENCE });
      await s.createFileSystem(token, { account: account.name, fileSystem: String(entry['fileSystem']), identityId: msi, accountId: account.id });
    }
  }

  async function esp(ctx: TrackedHookContext, properties: JsonObject): Promise<void> {
    const sp = properties['securityProfile'];
    if (!isJsonObject(sp)) return;
    for (const f of ['domain', 'aaddsResourceId', 'msiResourceId', 'domainUsername'] as const) {
      if (typeof sp[f] !== 'string' || sp[f] === '') throw badRequest(`An Enterprise Security Package cluster needs 'securityProfile.${f}'.`);
    }
    if (sp['directoryType'] !== undefined && String(sp['directoryType']).toLowerCase() !== 'activedirectory') {
      throw badRequest(`The directoryType '${String(sp['directoryType'])}' is not valid. Allowed values: 'ActiveDirectory'.`);
    }
    if (!Array.isArray(sp['clusterUsersGroupDNs']) || sp['clusterUsersGroupDNs'].length === 0) {
      throw badRequest("An Enterprise Security Package cluster needs 'securityProfile.clusterUsersGroupDNs' (at least one group).");
    }
    const password = readPath(ctx.input, 'properties.securityProfile.domainUserPassword')[0];
    if (typeof password !== 'string' || password === '') throw badRequest("An Enterprise Security Package cluster needs 'securityProfile.domainUserPassword'.");
    const aaddsId = String(sp['aaddsResourceId']);
    const domainServices = await ctx.tx.resources.get(aaddsId);
    if (!domainServices || domainServices.type.toLowerCase() !== DOMAIN_SERVICES_TYPE.toLowerCase()) {
      throw badRequest(`The Azure AD Domain Services resource '${aaddsId}' was not found.`);
    }
    const domainName = String(domainServices.properties['domainName'] ?? domainServices.name);
    if (String(sp['domain']).toLowerCase() !== domainName.toLowerCase()) {
      throw badRequest(`The domain '${String(sp['domain'])}' is not the domain of the Azure AD Domain Services resource '${aaddsId}' ('${domainName}').`);
    }
    const msi = String(sp['msiResourceId']);
    if (!can(principalOf(ctx.resource, msi), DOMAIN_SERVICES_PROBE, domainServices.id, false)) {
      throw badRequest(
        `The Managed Identity does not have permissions on the Azure AD Domain Services. Please verify that 'HDInsight Domain Services Contributor' role is assigned to the Managed Identity for the Azure AD Domain Services. Azure AD Domain Services: ${domainServices.id}, Managed Identity: ${msi}`,
      );
    }
  }

  async function diskEncryption(ctx: TrackedHookContext, properties: JsonObject): Promise<WrappedDataKey | undefined> {
    const de = properties['diskEncryptionProperties'];
    if (!isJsonObject(de) || typeof de['vaultUri'] !== 'string') return undefined;
    const msi = String(de['msiResourceId']);
    const { service: s, calls } = needService('A customer-managed key');
    const token = await calls.identityToken({ resource: ctx.resource, identityId: msi, audience: VAULT_AUDIENCE });
    const key = {
      vaultUri: de['vaultUri'],
      keyName: String(de['keyName']),
      ...(typeof de['keyVersion'] === 'string' && de['keyVersion'] ? { keyVersion: de['keyVersion'] } : {}),
    };
    return s.wrapNewDataKey(token, key, String(de['encryptionAlgorithm'] ?? 'RSA-OAEP'));
  }

  return {
    async onCreate(ctx) {
      const gateway = readGateway(ctx.input);
      const properties = ctx.resource.properties;
      for (const role of readPath(ctx.input, 'properties.computeProfile.roles[].osProfile.linuxOperatingSystemProfile.password')) {
        if (typeof role === 'string') checkPassword(role, 'SSH');
      }
      await esp(ctx, properties);
      await storage(ctx, properties);
      const wrapped = await diskEncryption(ctx, properties);
      const state: ServiceState = {
        gateway: { username: gateway.username, ...(deps.sealing ? { sealedPassword: sealGateway(deps.sealing, ctx.resource.id, gateway.password)! } : {}) },
        ...(wrapped ? { diskEncryption: wrapped } : {}),
      };
      return { ...ctx.resource, properties: { ...properties, [SERVICE_STATE]: state as unknown as JsonObject } };
    },
    async onUpdate(ctx) {
      // "There's currently no way to update or change a managed identity after the cluster is created";
      // storage, ESP and customer-managed keys are create-time settings too (key rotation has its own action).
      const before = ctx.previous!;
      const same = (path: string) => JSON.stringify(readPath(before.properties, path)) === JSON.stringify(readPath(ctx.resource.properties, path));
      for (const path of ['storageProfile', 'securityProfile', 'diskEncryptionProperties', 'clusterDefinition.kind']) {
        if (!same(path)) throw badRequest(`'properties.${path}' cannot be changed after the cluster is created.`);
      }
      const ids = (r: ResourceRecord) =>
        Object.keys(readStoredIdentity(r.identity).userAssignedIdentities)
          .map((k) => k.toLowerCase())
          .sort()
          .join();
      if (ids(before) !== ids(ctx.resource)) throw badRequest("The cluster's managed identities cannot be changed after the cluster is created.");
      return undefined;
    },
  };
}

export { lastSegment };
