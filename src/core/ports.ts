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
  ClientSecretRecord, OperationRecord, Page, PageRequest, ResourceGroup, ResourceRecord,
  ServicePrincipal, SigningKeyRecord, Subscription, Tenant,
} from './model.js';

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
}

/** The whole store: repositories plus transactions. Nested calls to `transaction` join the outer one. */
export interface Store extends Repositories {
  readonly engine: 'sqlite' | 'postgres';
  /** Runs `work` all-or-nothing: any throw rolls back every write made through `tx`. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
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
