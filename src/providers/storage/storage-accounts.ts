/**
 * Storage accounts (Microsoft.Storage/storageAccounts, storage `storage.json`): the control plane of
 * Keyless's blob data plane. Names are 3–24 lower-case letters and digits and unique across every
 * subscription (as Azure's DNS names are); `sku` and `kind` are required; `isHnsEnabled` (Data Lake
 * Gen2) is fixed at creation; keys key1/key2 are created with the account (sealed) and its blobs and
 * keys go with it.
 */
import { DomainError } from '../../core/errors.js';
import type { IdentityRules } from '../../core/identities/identity-plan.js';
import { RESERVED_ACCOUNT_NAMES, STORAGE_ACCOUNT_NAME } from '../../core/dataplanes/addressing.js';
import type { DataPlaneProviderDeps } from '../../core/dataplanes/provider-deps.js';
import { createStorageAccountKeys } from '../../core/dataplanes/storage-keys.js';
import type { Clock } from '../../core/clock.js';
import type { TrackedTypeSpec } from '../../core/resources/tracked/spec.js';

export const STORAGE_ACCOUNT_TYPE = 'Microsoft.Storage/storageAccounts';

/** Storage spells the combined identity type without a space: `SystemAssigned,UserAssigned`. */
export const STORAGE_IDENTITY_RULES: IdentityRules = { allowSystemAssigned: true, allowUserAssigned: true, typeSpelling: 'compact' };

const KINDS = ['StorageV2', 'Storage', 'BlobStorage', 'BlockBlobStorage', 'FileStorage'];
const SKUS = ['Standard_LRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_ZRS', 'Premium_LRS', 'Premium_ZRS', 'Standard_GZRS', 'Standard_RAGZRS'];

/** Azure's message for a name outside the rule (`AccountNameInvalid`). */
export function accountNameProblem(name: string): string | undefined {
  if (!STORAGE_ACCOUNT_NAME.test(name))
    return `${name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`;
  if (RESERVED_ACCOUNT_NAMES.has(name))
    return `${name} is reserved by Keyless (it is the first path segment of another Keyless endpoint); choose another storage account name.`;
  return undefined;
}

function assertAccountName(name: string): void {
  const problem = accountNameProblem(name);
  if (problem) throw new DomainError('AccountNameInvalid', problem, { target: 'accountName' });
}

function bool(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean')
    throw new DomainError('InvalidRequestContent', `'properties.${field}' must be true or false.`, { target: `properties.${field}` });
  return value;
}

export function storageAccountSpec(deps: { dataPlanes?: DataPlaneProviderDeps; clock: Clock }): TrackedTypeSpec {
  return {
    namespace: 'Microsoft.Storage',
    type: 'storageAccounts',
    label: 'storage account',
    shape: 'tracked',
    assertName: assertAccountName,
    identity: { rules: STORAGE_IDENTITY_RULES },
    sku: 'required',
    kind: 'required',
    prepare(input) {
      const sku = input.sku as { name?: unknown } | null | undefined;
      if (sku && typeof sku.name === 'string' && !SKUS.includes(sku.name))
        throw new DomainError('InvalidParameter', `The sku '${sku.name}' is not valid: use one of ${SKUS.join(', ')}.`, { target: 'sku.name' });
      if (typeof input.kind === 'string' && !KINDS.includes(input.kind))
        throw new DomainError('InvalidParameter', `The kind '${input.kind}' is not valid: use one of ${KINDS.join(', ')}.`, { target: 'kind' });
      return input;
    },
    properties: {
      readOnly: ['provisioningState', 'primaryEndpoints', 'primaryLocation', 'statusOfPrimary', 'creationTime', 'keyCreationTime', 'secondaryEndpoints'],
      write(properties, { existing, now, location }) {
        const hns = bool(properties['isHnsEnabled'], 'isHnsEnabled', false);
        if (existing && hns !== (existing.properties['isHnsEnabled'] === true) && properties['isHnsEnabled'] !== undefined) {
          throw new DomainError('InvalidParameter', "'isHnsEnabled' cannot be changed after the storage account is created.", {
            target: 'properties.isHnsEnabled',
          });
        }
        return {
          ...properties,
          isHnsEnabled: existing ? existing.properties['isHnsEnabled'] === true : hns,
          allowSharedKeyAccess: bool(properties['allowSharedKeyAccess'], 'allowSharedKeyAccess', true),
          supportsHttpsTrafficOnly: bool(properties['supportsHttpsTrafficOnly'], 'supportsHttpsTrafficOnly', true),
          minimumTlsVersion: typeof properties['minimumTlsVersion'] === 'string' ? properties['minimumTlsVersion'] : 'TLS1_2',
          allowBlobPublicAccess: bool(properties['allowBlobPublicAccess'], 'allowBlobPublicAccess', false),
          accessTier: typeof properties['accessTier'] === 'string' ? properties['accessTier'] : 'Hot',
          encryption: properties['encryption'] ?? {
            services: { blob: { enabled: true, keyType: 'Account' }, file: { enabled: true, keyType: 'Account' } },
            keySource: 'Microsoft.Storage',
          },
          creationTime: existing?.properties['creationTime'] ?? now,
          keyCreationTime: existing?.properties['keyCreationTime'] ?? { key1: now, key2: now },
          primaryLocation: location,
          statusOfPrimary: 'available',
        };
      },
    },
    hooks: {
      async onCreate(ctx) {
        // Account names are global, as Azure's DNS names: another subscription may hold it.
        const taken = (await ctx.tx.resources.findByTypeAndName(STORAGE_ACCOUNT_TYPE, ctx.target.name)).filter(
          (r) => r.id.toLowerCase() !== ctx.resource.id.toLowerCase(),
        );
        if (taken.length > 0) throw new DomainError('StorageAccountAlreadyTaken', `The storage account named ${ctx.target.name} is already taken.`);
        if (deps.dataPlanes)
          await createStorageAccountKeys({ keys: ctx.tx.storageAccountKeys, sealing: deps.dataPlanes.sealing, clock: deps.clock }).ensure(ctx.target.name);
      },
      async onDelete(ctx) {
        await ctx.tx.blobs.deleteAccount(ctx.resource.name);
        await ctx.tx.storageAccountKeys.deleteAccount(ctx.resource.name.toLowerCase());
      },
    },
  };
}
