/**
 * Key Vault objects as stored: every version of a secret or key, its sealed value (the secret value,
 * or the key's private key), its public part (keys), attributes and tags; and the soft-deleted state
 * of a name. Names are case-insensitive (Key Vault's rule); versions are 32 hex characters.
 */
export type VaultObjectKind = 'secret' | 'key';

export interface ObjectAttributes {
  enabled: boolean;
  /** Unix seconds. */
  notBefore: number | null;
  expires: number | null;
  created: number;
  updated: number;
}

export interface VaultObjectVersion {
  /** Vault name, lower-case. */
  vault: string;
  kind: VaultObjectKind;
  /** The name as first written. */
  name: string;
  version: string;
  /** Sealed secret value, or sealed PKCS#8 PEM of the key. */
  sealedValue: string;
  /** Keys: the public JWK (kty, n/e or crv/x/y) and key_ops; null for secrets. */
  publicKey: Record<string, unknown> | null;
  contentType: string | null;
  attributes: ObjectAttributes;
  tags: Record<string, string>;
  /** Creation order within the name (milliseconds with a counter). */
  createdSeq: number;
}

export interface DeletedObject {
  vault: string;
  kind: VaultObjectKind;
  name: string;
  /** Unix seconds. */
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface VaultObjectRepository {
  insertVersion(v: VaultObjectVersion): Promise<void>;
  updateVersion(v: VaultObjectVersion): Promise<boolean>;
  getVersion(vault: string, kind: VaultObjectKind, name: string, version: string): Promise<VaultObjectVersion | undefined>;
  /** The newest version of a name. */
  latest(vault: string, kind: VaultObjectKind, name: string): Promise<VaultObjectVersion | undefined>;
  /** Newest version of each name after `afterName` (lower-case), by name; `limit` names. */
  listLatest(vault: string, kind: VaultObjectKind, afterName: string | undefined, limit: number): Promise<VaultObjectVersion[]>;
  /** Versions of a name, oldest first, after `afterVersion`. */
  listVersions(vault: string, kind: VaultObjectKind, name: string, afterVersion: string | undefined, limit: number): Promise<VaultObjectVersion[]>;
  getDeleted(vault: string, kind: VaultObjectKind, name: string): Promise<DeletedObject | undefined>;
  listDeleted(vault: string, kind: VaultObjectKind, afterName: string | undefined, limit: number): Promise<DeletedObject[]>;
  putDeleted(d: DeletedObject): Promise<void>;
  removeDeleted(vault: string, kind: VaultObjectKind, name: string): Promise<boolean>;
  /** Removes every version of a name (purge). */
  deleteVersions(vault: string, kind: VaultObjectKind, name: string): Promise<number>;
  /** Removes everything of a vault (the vault was purged). */
  deleteVault(vault: string): Promise<number>;
}
