/**
 * What each Key Vault data operation needs: its RBAC data action (vaults with
 * `enableRbacAuthorization`; Key Vault's data actions as the built-in Key Vault roles list them) or
 * its access-policy permission (vaults without), and the access-policy decision.
 */
import type { VaultAccessPolicy } from '../dataplanes/directory.js';

export type VaultOperation =
  | 'setSecret'
  | 'getSecret'
  | 'listSecrets'
  | 'listSecretVersions'
  | 'updateSecret'
  | 'deleteSecret'
  | 'getDeletedSecret'
  | 'listDeletedSecrets'
  | 'recoverSecret'
  | 'purgeSecret'
  | 'createKey'
  | 'importKey'
  | 'getKey'
  | 'listKeys'
  | 'listKeyVersions'
  | 'updateKey'
  | 'deleteKey'
  | 'getDeletedKey'
  | 'listDeletedKeys'
  | 'recoverKey'
  | 'purgeKey'
  | 'encrypt'
  | 'decrypt'
  | 'wrapKey'
  | 'unwrapKey'
  | 'sign'
  | 'verify';

const S = 'Microsoft.KeyVault/vaults/secrets';
const K = 'Microsoft.KeyVault/vaults/keys';

export const VAULT_OPERATIONS: Record<VaultOperation, { dataAction: string; policy: ['secrets' | 'keys', string] }> = {
  setSecret: { dataAction: `${S}/setSecret/action`, policy: ['secrets', 'set'] },
  getSecret: { dataAction: `${S}/getSecret/action`, policy: ['secrets', 'get'] },
  listSecrets: { dataAction: `${S}/readMetadata/action`, policy: ['secrets', 'list'] },
  listSecretVersions: { dataAction: `${S}/readMetadata/action`, policy: ['secrets', 'list'] },
  updateSecret: { dataAction: `${S}/update/action`, policy: ['secrets', 'set'] },
  deleteSecret: { dataAction: `${S}/delete`, policy: ['secrets', 'delete'] },
  getDeletedSecret: { dataAction: `${S}/readMetadata/action`, policy: ['secrets', 'list'] },
  listDeletedSecrets: { dataAction: `${S}/readMetadata/action`, policy: ['secrets', 'list'] },
  recoverSecret: { dataAction: `${S}/recover/action`, policy: ['secrets', 'recover'] },
  purgeSecret: { dataAction: `${S}/purge/action`, policy: ['secrets', 'purge'] },
  createKey: { dataAction: `${K}/create/action`, policy: ['keys', 'create'] },
  importKey: { dataAction: `${K}/import/action`, policy: ['keys', 'import'] },
  getKey: { dataAction: `${K}/read`, policy: ['keys', 'get'] },
  listKeys: { dataAction: `${K}/read`, policy: ['keys', 'list'] },
  listKeyVersions: { dataAction: `${K}/read`, policy: ['keys', 'list'] },
  updateKey: { dataAction: `${K}/update/action`, policy: ['keys', 'update'] },
  deleteKey: { dataAction: `${K}/delete`, policy: ['keys', 'delete'] },
  getDeletedKey: { dataAction: `${K}/read`, policy: ['keys', 'list'] },
  listDeletedKeys: { dataAction: `${K}/read`, policy: ['keys', 'list'] },
  recoverKey: { dataAction: `${K}/recover/action`, policy: ['keys', 'recover'] },
  purgeKey: { dataAction: `${K}/purge/action`, policy: ['keys', 'purge'] },
  encrypt: { dataAction: `${K}/encrypt/action`, policy: ['keys', 'encrypt'] },
  decrypt: { dataAction: `${K}/decrypt/action`, policy: ['keys', 'decrypt'] },
  wrapKey: { dataAction: `${K}/wrap/action`, policy: ['keys', 'wrapKey'] },
  unwrapKey: { dataAction: `${K}/unwrap/action`, policy: ['keys', 'unwrapKey'] },
  sign: { dataAction: `${K}/sign/action`, policy: ['keys', 'sign'] },
  verify: { dataAction: `${K}/verify/action`, policy: ['keys', 'verify'] },
};

/**
 * True when an access policy of the vault gives the caller the permission: an entry for its tenant
 * and object id (and, for compound entries, its application id) listing the permission or `all`.
 */
export function policyAllows(
  policies: readonly VaultAccessPolicy[],
  caller: { tenantId: string; objectId: string; appId: string },
  kind: 'secrets' | 'keys',
  permission: string,
): boolean {
  const want = permission.toLowerCase();
  return policies.some(
    (p) =>
      p.tenantId?.toLowerCase() === caller.tenantId.toLowerCase() &&
      p.objectId?.toLowerCase() === caller.objectId.toLowerCase() &&
      (!p.applicationId || p.applicationId.toLowerCase() === caller.appId.toLowerCase()) &&
      (p.permissions?.[kind] ?? []).some((x) => x.toLowerCase() === want || x.toLowerCase() === 'all'),
  );
}
