/**
 * Key vaults (Microsoft.KeyVault/vaults, keyvault `keyvault.json`): the control plane of Keyless's
 * Key Vault data plane. `properties.tenantId` is required and must be the subscription's tenant (only
 * that tenant's tokens are accepted by the vault); `sku` is `{family: 'A', name: standard|premium}`;
 * `accessPolicies` (validated) are used unless `enableRbacAuthorization`; soft delete is always on
 * (`softDeleteRetentionInDays` 7–90, fixed after creation) and purge protection cannot be turned off
 * once on, as in Azure. Vault names are global. `vaultUri` names the vault's host-style origin.
 */
import { DomainError } from '../../core/errors.js';
import { isGuid } from '../../core/ids.js';
import { VAULT_NAME } from '../../core/dataplanes/addressing.js';
import type { VaultAccessPolicy } from '../../core/dataplanes/directory.js';
import type { JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { TrackedTypeSpec } from '../../core/resources/tracked/spec.js';

export const VAULT_TYPE = 'Microsoft.KeyVault/vaults';

const SECRET_PERMISSIONS = ['all', 'get', 'list', 'set', 'delete', 'backup', 'restore', 'recover', 'purge'];
const KEY_PERMISSIONS = [
  'all',
  'encrypt',
  'decrypt',
  'wrapkey',
  'unwrapkey',
  'sign',
  'verify',
  'get',
  'list',
  'create',
  'update',
  'import',
  'delete',
  'backup',
  'restore',
  'recover',
  'purge',
  'release',
  'rotate',
  'getrotationpolicy',
  'setrotationpolicy',
];

const invalid = (message: string, target: string) => new DomainError('InvalidParameter', message, { target });

export function vaultNameProblem(name: string): string | undefined {
  return VAULT_NAME.test(name)
    ? undefined
    : `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.`;
}

/** Checks one access policy entry (`AccessPolicyEntry`): tenant, object id, permissions Key Vault knows. */
export function checkAccessPolicies(value: unknown, target = 'properties.accessPolicies'): VaultAccessPolicy[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`'${target}' must be an array.`, target);
  if (value.length > 1024) throw invalid('A vault may hold at most 1024 access policies.', target);
  return value.map((entry, i) => {
    const e = entry as Record<string, unknown>;
    const at = `${target}[${i}]`;
    if (typeof e !== 'object' || e === null) throw invalid(`'${at}' must be an object.`, at);
    if (typeof e['tenantId'] !== 'string' || !isGuid(e['tenantId'])) throw invalid(`'${at}.tenantId' must be a GUID.`, `${at}.tenantId`);
    if (typeof e['objectId'] !== 'string' || e['objectId'].length === 0 || e['objectId'].length > 64)
      throw invalid(`'${at}.objectId' must be an object id.`, `${at}.objectId`);
    const p = (e['permissions'] ?? {}) as Record<string, unknown>;
    const list = (name: 'keys' | 'secrets' | 'certificates' | 'storage', allowed?: string[]) => {
      const v = p[name];
      if (v === undefined || v === null) return undefined;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || (allowed && !allowed.includes(x.toLowerCase())))) {
        throw invalid(`'${at}.permissions.${name}' must be a list of ${allowed ? allowed.join(', ') : 'permission names'}.`, `${at}.permissions.${name}`);
      }
      return v as string[];
    };
    const permissions: VaultAccessPolicy['permissions'] = {};
    const keys = list('keys', KEY_PERMISSIONS);
    if (keys) permissions.keys = keys;
    const secrets = list('secrets', SECRET_PERMISSIONS);
    if (secrets) permissions.secrets = secrets;
    const certificates = list('certificates');
    if (certificates) permissions.certificates = certificates;
    const storage = list('storage');
    if (storage) permissions.storage = storage;
    return {
      tenantId: e['tenantId'],
      objectId: e['objectId'],
      ...(typeof e['applicationId'] === 'string' && e['applicationId'] !== '' ? { applicationId: e['applicationId'] } : {}),
      permissions,
    };
  });
}

function bool(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalid(`'properties.${field}' must be true or false.`, `properties.${field}`);
  return value;
}

export const VAULT_SPEC: TrackedTypeSpec = {
  namespace: 'Microsoft.KeyVault',
  type: 'vaults',
  label: 'vault',
  shape: 'tracked',
  assertName(name) {
    const problem = vaultNameProblem(name);
    if (problem) throw new DomainError('InvalidResourceName', problem, { target: 'vaultName' });
  },
  properties: {
    readOnly: ['provisioningState', 'vaultUri', 'hsmPoolResourceId'],
    write(properties, { existing, target }) {
      const tenantId = properties['tenantId'];
      if (typeof tenantId !== 'string' || !isGuid(tenantId))
        throw invalid("'properties.tenantId' is required: the GUID of the tenant whose tokens the vault accepts.", 'properties.tenantId');
      if (tenantId.toLowerCase() !== target.tenantId.toLowerCase()) {
        throw invalid(
          `The tenant '${tenantId}' is not the tenant of subscription '${target.subscriptionId}' ('${target.tenantId}'): a vault can only trust its subscription's tenant.`,
          'properties.tenantId',
        );
      }
      const sku = properties['sku'] as { family?: unknown; name?: unknown } | undefined;
      if (!sku || typeof sku !== 'object' || !['standard', 'premium'].includes(String(sku.name).toLowerCase())) {
        throw invalid('\'properties.sku\' is required: {"family": "A", "name": "standard" | "premium"}.', 'properties.sku');
      }
      if (properties['enableSoftDelete'] === false)
        throw invalid('Soft delete cannot be disabled: every vault keeps deleted objects for its retention period.', 'properties.enableSoftDelete');
      const retention = properties['softDeleteRetentionInDays'] ?? existing?.properties['softDeleteRetentionInDays'] ?? 90;
      if (typeof retention !== 'number' || !Number.isInteger(retention) || retention < 7 || retention > 90)
        throw invalid("'properties.softDeleteRetentionInDays' must be a whole number from 7 to 90.", 'properties.softDeleteRetentionInDays');
      if (existing && retention !== existing.properties['softDeleteRetentionInDays'])
        throw invalid("'properties.softDeleteRetentionInDays' cannot be changed once the vault exists.", 'properties.softDeleteRetentionInDays');
      const purgeProtection = bool(properties['enablePurgeProtection'], 'enablePurgeProtection', existing?.properties['enablePurgeProtection'] === true);
      if (existing?.properties['enablePurgeProtection'] === true && !purgeProtection)
        throw invalid('Purge protection cannot be disabled once enabled.', 'properties.enablePurgeProtection');
      const out: JsonObject = {
        ...properties,
        tenantId: tenantId.toLowerCase(),
        sku: { family: 'A', name: String(sku.name).toLowerCase() },
        accessPolicies: checkAccessPolicies(properties['accessPolicies']) as unknown as JsonObject[],
        enableRbacAuthorization: bool(properties['enableRbacAuthorization'], 'enableRbacAuthorization', false),
        enabledForDeployment: bool(properties['enabledForDeployment'], 'enabledForDeployment', false),
        enabledForDiskEncryption: bool(properties['enabledForDiskEncryption'], 'enabledForDiskEncryption', false),
        enabledForTemplateDeployment: bool(properties['enabledForTemplateDeployment'], 'enabledForTemplateDeployment', false),
        enableSoftDelete: true,
        softDeleteRetentionInDays: retention,
        publicNetworkAccess: typeof properties['publicNetworkAccess'] === 'string' ? properties['publicNetworkAccess'] : 'Enabled',
      };
      if (purgeProtection) out['enablePurgeProtection'] = true;
      else delete out['enablePurgeProtection'];
      return out;
    },
  },
  hooks: {
    async onCreate(ctx) {
      const taken = (await ctx.tx.resources.findByTypeAndName(VAULT_TYPE, ctx.target.name)).filter((r) => r.id.toLowerCase() !== ctx.resource.id.toLowerCase());
      if (taken.length > 0)
        throw new DomainError(
          'VaultAlreadyExists',
          `The vault name '${ctx.target.name}' is already in use. Vault names are globally unique so it is possible that the name is already taken.`,
        );
    },
    async onDelete(ctx) {
      await ctx.tx.vaultObjects.deleteVault(ctx.resource.name);
    },
  },
};
