/**
 * The interfaces the core needs from the outside world. `storage/` implements the repositories for
 * SQLite and PostgreSQL with the same behaviour; tests of the core may use small in-memory versions.
 *
 * Conventions every implementation follows:
 * - lookups by name or id are case-insensitive (ARM semantics) and return `undefined` when absent;
 * - `insert` fails with a `DomainError('Conflict')` when the key exists;
 * - `update`/`delete` return false when nothing matched;
 * - lists are ordered by their case-folded key and paged by an opaque cursor.
 */
import type {
  ClientSecretRecord,
  OperationRecord,
  Page,
  PageRequest,
  ResourceGroup,
  ResourceRecord,
  ServicePrincipal,
  SigningKeyRecord,
  Subscription,
  Tenant,
} from './model.js';
import type { RoleAssignment, RoleDefinition } from './rbac/model.js';
import type { HostCredentialRepository } from './hosts/host-records.js';
import type { RegistrationRepository } from './features/registrations.js';
import type { BlobRepository } from './blob/model.js';
import type { StorageAccountKeyRepository } from './dataplanes/storage-keys.js';
import type { VaultObjectRepository } from './keyvault/model.js';
import type { AppFederatedCredentialRepository } from './directory/app-federated-credentials.js';
import type { KustoRepository } from './kusto/model.js';
import type { ApplicationRepository } from './directory/applications.js';
import type { ActivityEventRepository, SignInEventRepository } from './activity/model.js';

export interface TenantRepository {
  get(id: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
  insert(tenant: Tenant): Promise<void>;
}

export interface SubscriptionRepository {
  get(id: string): Promise<Subscription | undefined>;
  /** All subscriptions, or those of one tenant. */
  list(tenantId?: string): Promise<Subscription[]>;
  insert(subscription: Subscription): Promise<void>;
}

export interface PrincipalRepository {
  getByObjectId(tenantId: string, objectId: string): Promise<ServicePrincipal | undefined>;
  getByAppId(tenantId: string, appId: string): Promise<ServicePrincipal | undefined>;
  /** The managed-identity principal behind an ARM id (case-insensitive). */
  getByResourceId(resourceId: string): Promise<ServicePrincipal | undefined>;
  insert(principal: ServicePrincipal): Promise<void>;
  delete(tenantId: string, objectId: string): Promise<boolean>;
  /** Deletes every managed-identity principal whose resource id is `resourceId` or lies below it. */
  deleteByResourceScope(resourceId: string): Promise<number>;
}

export interface ClientSecretRepository {
  listByApp(tenantId: string, appId: string): Promise<ClientSecretRecord[]>;
  insert(secret: ClientSecretRecord): Promise<void>;
  delete(tenantId: string, id: string): Promise<boolean>;
}

export interface ResourceGroupRepository {
  get(subscriptionId: string, name: string): Promise<ResourceGroup | undefined>;
  list(subscriptionId: string, page: PageRequest): Promise<Page<ResourceGroup>>;
  insert(group: ResourceGroup): Promise<void>;
  /** Replaces the stored group; with `ifEtag`, only when the stored etag still matches. */
  update(group: ResourceGroup, ifEtag?: string): Promise<boolean>;
  delete(subscriptionId: string, name: string): Promise<boolean>;
}

export interface ResourceRepository {
  get(id: string): Promise<ResourceRecord | undefined>;
  /** Resources of a group, optionally of one type (case-insensitive). */
  listByGroup(subscriptionId: string, resourceGroup: string, page: PageRequest, type?: string): Promise<Page<ResourceRecord>>;
  listBySubscription(subscriptionId: string, page: PageRequest, type?: string): Promise<Page<ResourceRecord>>;
  /** Resources of a type with a name (both case-insensitive), in any subscription: data planes address accounts and vaults by name. */
  findByTypeAndName(type: string, name: string): Promise<ResourceRecord[]>;
  insert(resource: ResourceRecord): Promise<void>;
  /** Replaces the stored resource; with `ifEtag`, only when the stored etag still matches. */
  update(resource: ResourceRecord, ifEtag?: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Deletes the resource and every child resource below it (ids under `id/`). */
  deleteTree(id: string): Promise<number>;
  deleteByGroup(subscriptionId: string, resourceGroup: string): Promise<number>;
}

export interface SigningKeyRepository {
  list(): Promise<SigningKeyRecord[]>;
  insert(key: SigningKeyRecord): Promise<void>;
  /** Moves a key's activation time (an operator's rotation promotes the next key); false when no such key. */
  setActivation(kid: string, activatesAt: string): Promise<boolean>;
  /** Removes keys whose `expiresAt` is before `before`. */
  deleteExpired(before: string): Promise<number>;
}

export interface OperationRepository {
  get(id: string): Promise<OperationRecord | undefined>;
  insert(operation: OperationRecord): Promise<void>;
  update(operation: OperationRecord): Promise<boolean>;
}

/** Small named values the server keeps (e.g. which tenant is the default). */
export interface MetaRepository {
  get(key: string): Promise<string | undefined>;
  /** Sets the value only when the key is absent; returns the value now stored. */
  putIfAbsent(key: string, value: string): Promise<string>;
  put(key: string, value: string): Promise<void>;
}

/** Custom role definitions (built-in roles are data in core/rbac, never stored). Keyed by GUID name. */
export interface RoleDefinitionRepository {
  get(name: string): Promise<RoleDefinition | undefined>;
  /** The custom role with this role name (case-insensitive), if any. */
  getByRoleName(roleName: string): Promise<RoleDefinition | undefined>;
  /** Every custom role (there are few; the server keeps all of them in memory). */
  list(): Promise<RoleDefinition[]>;
  insert(definition: RoleDefinition): Promise<void>;
  update(definition: RoleDefinition): Promise<boolean>;
  delete(name: string): Promise<boolean>;
}

/** Which role assignments a list asks for; every given condition must hold. */
export interface RoleAssignmentQuery {
  /** Assignments made at one of these scope keys (resourceKey form): the scope and its ancestors. */
  atScopeKeys?: readonly string[];
  /** Or also those made below this scope key (ListForScope without `atScope()`). */
  belowScopeKey?: string;
  principalId?: string;
}

/** Role assignments, keyed by GUID name; (principal, role, scope) is unique. */
export interface RoleAssignmentRepository {
  get(name: string): Promise<RoleAssignment | undefined>;
  /** The assignment of `roleDefinitionName` to `principalId` at exactly `scope`, if any. */
  find(principalId: string, roleDefinitionName: string, scope: string): Promise<RoleAssignment | undefined>;
  /** Matching assignments ordered by name. */
  list(query: RoleAssignmentQuery, page: PageRequest): Promise<Page<RoleAssignment>>;
  /** How many assignments use a role (a role in use cannot be deleted). */
  countByRole(roleDefinitionName: string): Promise<number>;
  /** Every assignment's (name, scope, role, principal) after `afterName`, by name: what the RBAC index loads at start. */
  scanIndexEntries(afterName: string, limit: number): Promise<Pick<RoleAssignment, 'name' | 'scope' | 'roleDefinitionName' | 'principalId'>[]>;
  insert(assignment: RoleAssignment): Promise<void>;
  update(assignment: RoleAssignment): Promise<boolean>;
  delete(name: string): Promise<boolean>;
}

/** One RBAC write, as other servers learn of it. */
export interface RbacChange {
  seq: number;
  kind: 'assignment' | 'definition';
  name: string;
}

/** An append-only feed of RBAC writes, polled by every server to keep its in-memory index current. */
export interface RbacChangeRepository {
  record(kind: RbacChange['kind'], name: string): Promise<void>;
  /** Changes with `seq > after`, oldest first, at most `limit`. */
  since(after: number, limit: number): Promise<RbacChange[]>;
  /** The highest seq so far (0 when none). */
  latest(): Promise<number>;
  /** Drops changes with `seq < before`. */
  prune(before: number): Promise<number>;
}

export interface Repositories {
  tenants: TenantRepository;
  subscriptions: SubscriptionRepository;
  principals: PrincipalRepository;
  clientSecrets: ClientSecretRepository;
  resourceGroups: ResourceGroupRepository;
  resources: ResourceRepository;
  signingKeys: SigningKeyRepository;
  operations: OperationRepository;
  meta: MetaRepository;
  /** Join tokens and host keys of host agents (src/core/hosts/). */
  hostCredentials: HostCredentialRepository;
  /** RBAC: custom role definitions, role assignments and the change feed (src/core/rbac/). */
  roleDefinitions: RoleDefinitionRepository;
  roleAssignments: RoleAssignmentRepository;
  rbacChanges: RbacChangeRepository;
  /** Preview-feature and resource-provider registrations per subscription (src/core/features/). */
  registrations: RegistrationRepository;
  /** Graph application objects (app registrations) of each tenant (src/core/directory/applications.ts). */
  applications: ApplicationRepository;
  /** Blob containers, blobs and staged blocks of the storage data plane (src/core/blob/). */
  blobs: BlobRepository;
  /** Sealed storage account keys (src/core/dataplanes/storage-keys.ts). */
  storageAccountKeys: StorageAccountKeyRepository;
  /** Key Vault secrets and keys, every version, sealed (src/core/keyvault/). */
  vaultObjects: VaultObjectRepository;
  /** Federated identity credentials of app registrations (src/core/directory/app-federated-credentials.ts). */
  appFederatedCredentials: AppFederatedCredentialRepository;
  /** The Kusto engine's table schemas, policies and extents (src/core/kusto/). */
  kusto: KustoRepository;
  /** Activity Log events and sign-in events (src/core/activity/, docs/adr/0016-activity-log.md). */
  activityEvents: ActivityEventRepository;
  signInEvents: SignInEventRepository;
}

/** The whole store: repositories plus transactions. Nested calls to `transaction` join the outer one. */
export interface Store extends Repositories {
  readonly engine: 'sqlite' | 'postgres';
  /** Runs `work` all-or-nothing: any throw rolls back every write made through `tx`. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /** One round trip to the database (readiness); rejects with ServiceUnavailableError when it is down. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The connection pool's counts (PostgreSQL); absent where there is no pool (SQLite: one in-process connection). */
  poolStats?(): DatabasePoolStats;
}

/** A database connection pool at one moment, for metrics. */
export interface DatabasePoolStats {
  /** Open connections, idle or in use. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  /** The pool's size limit. */
  max: number;
}

/** Signs JWT access tokens with the current signing key (RS256, `kid` and `x5t` in the header). */
export interface TokenSigner {
  sign(claims: Record<string, unknown>): Promise<string>;
}

/** Who called, as proven by a verified bearer token. */
export interface VerifiedCaller {
  /** `oid` claim: the caller's principal (object) id. */
  objectId: string;
  tenantId: string;
  /** `appid` (v1) or `azp` (v2). */
  appId: string;
  claims: Record<string, unknown>;
}

/**
 * Verifies bearer tokens issued by this server: signature against the published keys (RS256 only),
 * issuer, audience (one of `audiences`, compared as Azure does: trailing slash optional, case-insensitive
 * host), `nbf`/`exp`. Throws a DomainError `InvalidAuthenticationToken`, `ExpiredAuthenticationToken` or
 * `InvalidAuthenticationTokenAudience` with a message that says which check failed.
 */
export interface AccessTokenVerifier {
  verify(token: string, audiences: readonly string[]): Promise<VerifiedCaller>;
}
