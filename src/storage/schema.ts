/**
 * The tables as Kysely sees them. Ids keep the case they were created with (for display) and each
 * lookup column has a lower-cased `*_key` twin that carries uniqueness, lookups and ordering, because
 * ARM compares names and ids case-insensitively. JSON values (tags, properties, …) are stored as text
 * so both engines hold exactly the same bytes.
 */
import type { Generated } from 'kysely';

/** Which engine a store runs on. */
export type Engine = 'sqlite' | 'postgres';

export interface MigrationTable {
  version: number;
  name: string;
  applied_at: string;
}

export interface TenantTable {
  id_key: string;
  id: string;
  display_name: string;
  default_domain: string;
  created_at: string;
}

export interface SubscriptionTable {
  id_key: string;
  id: string;
  tenant_key: string;
  tenant_id: string;
  display_name: string;
  state: string;
  created_at: string;
}

export interface PrincipalTable {
  tenant_key: string;
  object_key: string;
  app_key: string;
  /** resourceKey() of `resource_id`; null for applications. */
  resource_key: string | null;
  tenant_id: string;
  object_id: string;
  app_id: string;
  display_name: string;
  kind: string;
  resource_id: string | null;
  created_at: string;
}

export interface ClientSecretTable {
  tenant_key: string;
  id_key: string;
  app_key: string;
  id: string;
  tenant_id: string;
  app_id: string;
  hash: string;
  hint: string;
  display_name: string;
  created_at: string;
  expires_at: string | null;
}

export interface ResourceGroupTable {
  subscription_key: string;
  name_key: string;
  subscription_id: string;
  name: string;
  location: string;
  managed_by: string | null;
  /** JSON object. */
  tags: string;
  provisioning_state: string;
  etag: string;
  created_at: string;
  updated_at: string;
}

export interface ResourceTable {
  /** resourceKey() of `id`. */
  id_key: string;
  subscription_key: string;
  group_key: string;
  type_key: string;
  id: string;
  subscription_id: string;
  resource_group: string;
  type: string;
  name: string;
  location: string;
  /** JSON object. */
  tags: string;
  kind: string | null;
  /** JSON object. */
  properties: string;
  /** JSON object or null. */
  identity: string | null;
  /** JSON object or null. */
  sku: string | null;
  provisioning_state: string;
  etag: string;
  created_at: string;
  updated_at: string;
}

export interface SigningKeyTable {
  /** Case-sensitive: a base64url thumbprint, where case matters. */
  kid: string;
  private_key_pem: string;
  certificate_der: string;
  created_at: string;
  activates_at: string;
  expires_at: string;
}

export interface OperationTable {
  id_key: string;
  id: string;
  subscription_id: string;
  resource_id: string;
  action: string;
  status: string;
  start_time: string;
  end_time: string | null;
  /** JSON `{ code, message }` or null. */
  error: string | null;
}

export interface MetaTable {
  name_key: string;
  name: string;
  value: string;
}

export interface HostJoinTokenTable {
  id_key: string;
  id: string;
  resource_key: string;
  resource_id: string;
  resource_created_at: string;
  tenant_id: string;
  hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface HostKeyTable {
  id_key: string;
  id: string;
  resource_key: string;
  resource_id: string;
  resource_created_at: string;
  tenant_id: string;
  hash: string;
  join_token_id: string;
  created_at: string;
}

export interface RoleDefinitionTable {
  name_key: string;
  name: string;
  role_name_key: string;
  role_name: string;
  description: string;
  /** JSON array of permission blocks. */
  permissions: string;
  /** JSON array of scopes. */
  assignable_scopes: string;
  created_on: string | null;
  updated_on: string | null;
  created_by: string | null;
  updated_by: string | null;
}

export interface RoleAssignmentTable {
  name_key: string;
  name: string;
  scope: string;
  /** resourceKey() of `scope`. */
  scope_key: string;
  role_key: string;
  principal_key: string;
  principal_type: string;
  description: string | null;
  created_on: string;
  updated_on: string;
  created_by: string | null;
  updated_by: string | null;
}

/** Feature and provider registrations per subscription (migration 30). */
export interface RegistrationTable {
  subscription_key: string;
  /** `feature` or `provider`. */
  kind: string;
  name_key: string;
  subscription_id: string;
  name: string;
  state: string;
  updated_at: string;
}

/** Federated identity credentials of applications (migration 10). */
export interface AppFederatedCredentialTable {
  tenant_key: string;
  app_object_key: string;
  id_key: string;
  name_key: string;
  tenant_id: string;
  app_object_id: string;
  id: string;
  name: string;
  issuer: string;
  subject: string;
  /** JSON array of strings. */
  audiences: string;
  description: string | null;
  created_at: string;
}

/** Graph application objects (migration 5). */
export interface ApplicationTable {
  tenant_key: string;
  object_key: string;
  app_key: string;
  tenant_id: string;
  object_id: string;
  app_id: string;
  display_name: string;
  created_at: string;
}

export interface RbacChangeTable {
  /** Assigned by the database (SQLite autoincrement, PostgreSQL bigserial: read back as string). */
  seq: Generated<number | string>;
  kind: string;
  name: string;
  at: string;
}

/** Blob containers (migration 6). */
export interface BlobContainerTable {
  account_key: string;
  name: string;
  /** JSON object. */
  metadata: string;
  etag: string;
  last_modified: string;
  created_at: string;
}

/** Blobs and Data Lake paths with their bytes (migration 6). */
export interface BlobTable {
  account_key: string;
  container: string;
  name: string;
  resource_type: string;
  /** bigint: PostgreSQL returns it as a string. */
  size: number | string;
  content: Buffer;
  metadata: string;
  /** JSON array of {id, size}. */
  committed_blocks: string;
  /** JSON of the blob's HTTP headers (content type, encoding, MD5, …). */
  http_headers: string;
  etag: string;
  last_modified: string;
  created_at: string;
}

/** Staged, uncommitted blocks (and Data Lake appends) (migration 6). */
export interface BlobBlockTable {
  account_key: string;
  container: string;
  blob_name: string;
  block_id: string;
  staged_at: string;
  size: number | string;
  content: Buffer;
}

/** Storage account keys, sealed (migration 6). */
export interface StorageAccountKeyTable {
  account_key: string;
  key_name: string;
  sealed_value: string;
  created_at: string;
}

/** Key Vault object versions (migration 7). */
export interface VaultObjectTable {
  vault_key: string;
  kind: string;
  name_key: string;
  version: string;
  name: string;
  sealed_value: string;
  /** JSON public JWK with key_ops (keys); null for secrets. */
  public_key: string | null;
  content_type: string | null;
  attributes: string;
  tags: string;
  created_seq: number | string;
}

/** Soft-deleted Key Vault names (migration 7). */
export interface VaultDeletedObjectTable {
  vault_key: string;
  kind: string;
  name_key: string;
  name: string;
  deleted_date: number | string;
  scheduled_purge_date: number | string;
}

/** Kusto engine entities: table schemas, external tables, continuous exports, policies (migration 12). */
export interface KustoEntityTable {
  cluster_key: string;
  database_key: string;
  kind: string;
  name_key: string;
  name: string;
  body: string;
}

/** Kusto extents: rows appended by one ingestion, as JSON (migration 12). */
export interface KustoExtentTable {
  cluster_key: string;
  database_key: string;
  table_key: string;
  extent_id: string;
  columns: string;
  rows: string;
  created_at: string;
}

/** Activity Log events (migration 8): the wire body plus the filter keys (case-folded). */
export interface ActivityEventTable {
  event_data_id: string;
  subscription_key: string;
  tenant_id: string;
  event_ts: string;
  resource_group_key: string;
  resource_key: string;
  provider_key: string;
  correlation_key: string;
  caller_key: string;
  status_key: string;
  body: string;
}

/** Sign-in events (migration 8). */
export interface SignInEventTable {
  id: string;
  tenant_key: string;
  created_at: string;
  app_key: string;
  principal_key: string;
  event_type: string;
  body: string;
}

export interface Schema {
  keyless_migrations: MigrationTable;
  app_federated_credentials: AppFederatedCredentialTable;
  tenants: TenantTable;
  subscriptions: SubscriptionTable;
  principals: PrincipalTable;
  client_secrets: ClientSecretTable;
  resource_groups: ResourceGroupTable;
  resources: ResourceTable;
  signing_keys: SigningKeyTable;
  operations: OperationTable;
  meta: MetaTable;
  role_definitions: RoleDefinitionTable;
  role_assignments: RoleAssignmentTable;
  rbac_changes: RbacChangeTable;
  blob_containers: BlobContainerTable;
  blobs: BlobTable;
  blob_blocks: BlobBlockTable;
  storage_account_keys: StorageAccountKeyTable;
  vault_objects: VaultObjectTable;
  vault_deleted_objects: VaultDeletedObjectTable;
  kusto_entities: KustoEntityTable;
  kusto_extents: KustoExtentTable;
  host_join_tokens: HostJoinTokenTable;
  host_keys: HostKeyTable;
  registrations: RegistrationTable;
  applications: ApplicationTable;
  activity_events: ActivityEventTable;
  sign_in_events: SignInEventTable;
}
