/**
 * The data planes' view of the control plane: a storage account or a vault looked up by the name a
 * request addresses, with what authentication and authorization need (its ARM id as the RBAC scope,
 * its tenant, its switches). Read from the store's resources by type and name, cached for one second
 * (a change made through ARM on any server is seen within a second, as RBAC changes are).
 */
import type { Clock } from '../clock.js';
import type { ResourceRecord } from '../model.js';
import type { Store } from '../ports.js';

export const STORAGE_ACCOUNT_TYPE = 'Microsoft.Storage/storageAccounts';
export const VAULT_TYPE = 'Microsoft.KeyVault/vaults';

export interface StorageAccountView {
  id: string;
  name: string;
  subscriptionId: string;
  tenantId: string;
  /** Data Lake Gen2 (hierarchical namespace). */
  isHnsEnabled: boolean;
  /** False: Shared Key requests are refused with KeyBasedAuthenticationNotPermitted. */
  allowSharedKeyAccess: boolean;
}

/** One access policy entry of a vault (Microsoft.KeyVault 2023-07-01 `AccessPolicyEntry`). */
export interface VaultAccessPolicy {
  tenantId: string;
  objectId: string;
  applicationId?: string;
  permissions: { keys?: string[]; secrets?: string[]; certificates?: string[]; storage?: string[] };
}

export interface VaultView {
  id: string;
  name: string;
  subscriptionId: string;
  location: string;
  /** The vault's tenant (`properties.tenantId`): only its tokens are accepted. */
  tenantId: string;
  enableRbacAuthorization: boolean;
  accessPolicies: VaultAccessPolicy[];
  /** Days a deleted object stays recoverable (Azure: 7–90, default 90). */
  softDeleteRetentionInDays: number;
  enablePurgeProtection: boolean;
}

export interface DataPlaneDirectory {
  findStorageAccount(name: string): Promise<StorageAccountView | undefined>;
  findVault(name: string): Promise<VaultView | undefined>;
}

const CACHE_MS = 1000;

export function storageAccountView(r: ResourceRecord, tenantId: string): StorageAccountView {
  const p = r.properties;
  return {
    id: r.id,
    name: r.name,
    subscriptionId: r.subscriptionId,
    tenantId,
    isHnsEnabled: p['isHnsEnabled'] === true,
    allowSharedKeyAccess: p['allowSharedKeyAccess'] !== false,
  };
}

export function vaultView(r: ResourceRecord): VaultView {
  const p = r.properties;
  const policies = Array.isArray(p['accessPolicies']) ? (p['accessPolicies'] as VaultAccessPolicy[]) : [];
  return {
    id: r.id,
    name: r.name,
    subscriptionId: r.subscriptionId,
    location: r.location,
    tenantId: String(p['tenantId'] ?? ''),
    enableRbacAuthorization: p['enableRbacAuthorization'] === true,
    accessPolicies: policies,
    softDeleteRetentionInDays: typeof p['softDeleteRetentionInDays'] === 'number' ? p['softDeleteRetentionInDays'] : 90,
    enablePurgeProtection: p['enablePurgeProtection'] === true,
  };
}

export function createDataPlaneDirectory(deps: { store: Pick<Store, 'resources' | 'subscriptions'>; clock: Clock }): DataPlaneDirectory {
  const cache = new Map<string, { at: number; value: unknown }>();
  async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = deps.clock.now();
    const hit = cache.get(key);
    if (hit && now - hit.at < CACHE_MS) return hit.value as T;
    const value = await load();
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { at: now, value });
    return value;
  }
  async function findOne(type: string, name: string): Promise<ResourceRecord | undefined> {
    const found = await deps.store.resources.findByTypeAndName(type, name);
    return found.find((r) => r.provisioningState !== 'Deleting');
  }
  return {
    findStorageAccount: (name) =>
      cached(`s:${name.toLowerCase()}`, async () => {
        const r = await findOne(STORAGE_ACCOUNT_TYPE, name);
        if (!r) return undefined;
        const subscription = await deps.store.subscriptions.get(r.subscriptionId);
        return subscription ? storageAccountView(r, subscription.tenantId) : undefined;
      }),
    findVault: (name) =>
      cached(`v:${name.toLowerCase()}`, async () => {
        const r = await findOne(VAULT_TYPE, name);
        return r ? vaultView(r) : undefined;
      }),
  };
}
