/**
 * User-assigned identities (Microsoft.ManagedIdentity/userAssignedIdentities, ManagedIdentity.json
 * 2024-11-30) and the system-assigned identity of any resource read by scope. Each user-assigned
 * identity is backed by a service principal of kind `ManagedIdentity` whose `resourceId` is the
 * identity's ARM id; the two are written and deleted together in one transaction, so deleting an
 * identity stops its tokens at once.
 */
import { isoTime, type Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Page, ResourceRecord, ServicePrincipal, Tags } from '../model.js';
import type { Repositories, Store } from '../ports.js';
import { checkWriteConditions, type WriteConditions } from '../resources/conditions.js';
import { checkTags } from '../resources/names.js';
import { parseResourceId, providerResourceId } from '../resource-id.js';
import { assertUserAssignedIdentityName, USER_ASSIGNED_IDENTITY_NAMESPACE, USER_ASSIGNED_IDENTITY_TYPE } from './identity-names.js';
import { readStoredIdentity } from './stored-identity.js';
import {
  assertSameLocation, listResourcesOfType, loadResourceGroup, normalizeResourceLocation, resourceNotFound, type ResourceListQuery,
} from './tracked-resource.js';

/** `isolationScope` (2024-11-30): whether the identity may only be assigned to resources of its region. */
export type IsolationScope = 'None' | 'Regional';

/** A user-assigned identity: the stored resource plus its (read-only) identity properties. */
export interface UserAssignedIdentity {
  resource: ResourceRecord;
  tenantId: string;
  principalId: string;
  clientId: string;
  isolationScope: IsolationScope;
}

export interface UserAssignedIdentityInput {
  location?: unknown;
  tags?: Tags | null;
  properties?: { isolationScope?: unknown } | null;
}

/** Where a call acts: the subscription (already checked) and its tenant. */
export interface SubscriptionScope {
  subscriptionId: string;
  tenantId: string;
}

/** The system-assigned identity of a resource, as SystemAssignedIdentities_GetByScope shows it. */
export interface SystemAssignedIdentityView {
  resource: ResourceRecord;
  principal: ServicePrincipal;
}

export interface UserAssignedIdentityService {
  /** UserAssignedIdentities_CreateOrUpdate: `created` tells 201 from 200. */
  createOrUpdate(scope: SubscriptionScope, resourceGroup: string, name: string, input: UserAssignedIdentityInput, conditions?: WriteConditions): Promise<{ identity: UserAssignedIdentity; created: boolean }>;
  /** UserAssignedIdentities_Update (PATCH): tags and isolationScope; the location cannot change. */
  update(scope: SubscriptionScope, resourceGroup: string, name: string, patch: UserAssignedIdentityInput, conditions?: WriteConditions): Promise<UserAssignedIdentity>;
  get(scope: SubscriptionScope, resourceGroup: string, name: string): Promise<UserAssignedIdentity>;
  /** Deletes the identity and its principal at once; false when there was none. */
  delete(scope: SubscriptionScope, resourceGroup: string, name: string, conditions?: WriteConditions): Promise<boolean>;
  listByResourceGroup(scope: SubscriptionScope, resourceGroup: string, query: ResourceListQuery): Promise<Page<UserAssignedIdentity>>;
  listBySubscription(scope: SubscriptionScope, query: ResourceListQuery): Promise<Page<UserAssignedIdentity>>;
  /** SystemAssignedIdentities_GetByScope: the system-assigned identity of the resource at `scope`, in the caller's tenant. */
  getSystemAssigned(scope: string, callerTenantId: string): Promise<SystemAssignedIdentityView>;
}

export interface UserAssignedIdentityServiceDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /** Called once a deletion is committed, so that host agents re-read what their resources hold. */
  onIdentitiesChanged?: () => void;
}

const WRITE_ATTEMPTS = 5;

function parseIsolationScope(value: unknown): IsolationScope {
  if (typeof value === 'string') {
    if (value.toLowerCase() === 'none') return 'None';
    if (value.toLowerCase() === 'regional') return 'Regional';
  }
  throw new DomainError('InvalidParameter', `The value '${String(value)}' of 'properties.isolationScope' is not valid. Allowed values: 'None', 'Regional'.`, { target: 'properties.isolationScope' });
}

function toIdentity(resource: ResourceRecord): UserAssignedIdentity {
  const p = resource.properties;
  return {
    resource,
    tenantId: String(p['tenantId']), principalId: String(p['principalId']), clientId: String(p['clientId']),
    isolationScope: p['isolationScope'] === 'Regional' ? 'Regional' : 'None',
  };
}

const notFound = (name: string, resourceGroup: string) => resourceNotFound(USER_ASSIGNED_IDENTITY_TYPE, name, resourceGroup);

export function createUserAssignedIdentityService(deps: UserAssignedIdentityServiceDeps): UserAssignedIdentityService {
  const { store, clock, ids } = deps;
  const now = () => isoTime(clock.now());

  async function load(repos: Repositories, scope: SubscriptionScope, resourceGroup: string, name: string): Promise<ResourceRecord> {
    const group = await loadResourceGroup(repos, scope.subscriptionId, resourceGroup);
    assertUserAssignedIdentityName(name);
    const resource = await repos.resources.get(providerResourceId(scope.subscriptionId, group.name, USER_ASSIGNED_IDENTITY_NAMESPACE, 'userAssignedIdentities', name));
    if (!resource || resource.type.toLowerCase() !== USER_ASSIGNED_IDENTITY_TYPE.toLowerCase()) throw notFound(name, resourceGroup);
    return resource;
  }

  /** Creates the identity and its principal in one transaction. */
  async function create(scope: SubscriptionScope, groupName: string, name: string, location: string, tags: Tags, isolationScope: IsolationScope) {
    const id = providerResourceId(scope.subscriptionId, groupName, USER_ASSIGNED_IDENTITY_NAMESPACE, 'userAssignedIdentities', name);
    const at = now();
    const principal: ServicePrincipal = {
      objectId: ids.newGuid(), appId: ids.newGuid(), tenantId: scope.tenantId, displayName: name,
      kind: 'ManagedIdentity', resourceId: id, createdAt: at,
    };
    const resource: ResourceRecord = {
      id, subscriptionId: scope.subscriptionId, resourceGroup: groupName, type: USER_ASSIGNED_IDENTITY_TYPE, name, location, tags,
      kind: null, identity: null, sku: null, provisioningState: 'Succeeded', etag: ids.newGuid(), createdAt: at, updatedAt: at,
      properties: { tenantId: principal.tenantId, principalId: principal.objectId, clientId: principal.appId, isolationScope },
    };
    await store.transaction(async (tx) => {
      await tx.resources.insert(resource);
      await tx.principals.insert(principal);
    });
    return toIdentity(resource);
  }

  async function createOrUpdateOnce(scope: SubscriptionScope, resourceGroup: string, name: string, input: UserAssignedIdentityInput, conditions?: WriteConditions) {
    const group = await loadResourceGroup(store, scope.subscriptionId, resourceGroup);
    assertUserAssignedIdentityName(name);
    const location = normalizeResourceLocation(input.location);
    const tags = checkTags(input.tags);
    const requestedScope = input.properties?.isolationScope;
    const isolationScope = requestedScope === undefined || requestedScope === null ? undefined : parseIsolationScope(requestedScope);
    const existing = await store.resources.get(providerResourceId(scope.subscriptionId, group.name, USER_ASSIGNED_IDENTITY_NAMESPACE, 'userAssignedIdentities', name));
    checkWriteConditions(existing?.etag, conditions);
    if (!existing) return { identity: await create(scope, group.name, name, location, tags, isolationScope ?? 'None'), created: true };
    assertSameLocation(existing, location, USER_ASSIGNED_IDENTITY_TYPE);
    // PUT replaces the tags; the principal (and so principalId/clientId) stays: they are read-only.
    const properties = isolationScope === undefined ? existing.properties : { ...existing.properties, isolationScope };
    const resource: ResourceRecord = { ...existing, tags, properties, etag: ids.newGuid(), updatedAt: now() };
    return await store.resources.update(resource, existing.etag) ? { identity: toIdentity(resource), created: false } : undefined;
  }

  async function updateOnce(scope: SubscriptionScope, resourceGroup: string, name: string, patch: UserAssignedIdentityInput, conditions?: WriteConditions) {
    const existing = await load(store, scope, resourceGroup, name);
    checkWriteConditions(existing.etag, conditions);
    if (patch.location !== undefined && patch.location !== null) assertSameLocation(existing, normalizeResourceLocation(patch.location), USER_ASSIGNED_IDENTITY_TYPE);
    const requestedScope = patch.properties?.isolationScope;
    const resource: ResourceRecord = {
      ...existing,
      tags: patch.tags === undefined ? existing.tags : checkTags(patch.tags),
      properties: requestedScope === undefined || requestedScope === null ? existing.properties : { ...existing.properties, isolationScope: parseIsolationScope(requestedScope) },
      etag: ids.newGuid(), updatedAt: now(),
    };
    return await store.resources.update(resource, existing.etag) ? toIdentity(resource) : undefined;
  }

  return {
    async createOrUpdate(scope, resourceGroup, name, input, conditions) {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await createOrUpdateOnce(scope, resourceGroup, name, input, conditions);
          if (result) return result;
        } catch (e) {
          // A concurrent PUT created it between our read and insert: go round again as an update.
          if (!(e instanceof DomainError && e.code === 'Conflict') || attempt >= WRITE_ATTEMPTS) throw e;
        }
        if (attempt >= WRITE_ATTEMPTS) throw concurrentChange(name);
      }
    },
    async update(scope, resourceGroup, name, patch, conditions) {
      for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
        const identity = await updateOnce(scope, resourceGroup, name, patch, conditions);
        if (identity) return identity;
      }
      throw concurrentChange(name);
    },
    get: async (scope, resourceGroup, name) => toIdentity(await load(store, scope, resourceGroup, name)),
    async delete(scope, resourceGroup, name, conditions) {
      const group = await loadResourceGroup(store, scope.subscriptionId, resourceGroup);
      assertUserAssignedIdentityName(name);
      const id = providerResourceId(scope.subscriptionId, group.name, USER_ASSIGNED_IDENTITY_NAMESPACE, 'userAssignedIdentities', name);
      const deleted = await store.transaction(async (tx) => {
        const existing = await tx.resources.get(id);
        if (!existing || existing.type.toLowerCase() !== USER_ASSIGNED_IDENTITY_TYPE.toLowerCase()) return false;
        checkWriteConditions(existing.etag, conditions);
        // The identity, its children (federated credentials) and its principal go together.
        await tx.resources.deleteTree(existing.id);
        await tx.principals.deleteByResourceScope(existing.id);
        return true;
      });
      if (deleted) deps.onIdentitiesChanged?.();
      return deleted;
    },
    async listByResourceGroup(scope, resourceGroup, query) {
      const page = await listResourcesOfType(store, { subscriptionId: scope.subscriptionId, resourceGroup }, USER_ASSIGNED_IDENTITY_TYPE, query);
      return { ...page, items: page.items.map(toIdentity) };
    },
    async listBySubscription(scope, query) {
      const page = await listResourcesOfType(store, { subscriptionId: scope.subscriptionId }, USER_ASSIGNED_IDENTITY_TYPE, query);
      return { ...page, items: page.items.map(toIdentity) };
    },
    async getSystemAssigned(scope, callerTenantId) {
      const parts = parseResourceId(scope);
      const absent = new DomainError('ResourceNotFound',
        `The resource '${scope}' does not exist or has no system assigned identity. Enable one by setting 'identity.type' to 'SystemAssigned' on the resource.`);
      if (!parts?.subscriptionId || !parts.namespace) throw absent;
      const subscription = await store.subscriptions.get(parts.subscriptionId);
      if (!subscription || subscription.tenantId.toLowerCase() !== callerTenantId.toLowerCase()) {
        throw new DomainError('SubscriptionNotFound', `The subscription '${parts.subscriptionId}' could not be found.`);
      }
      const resource = await store.resources.get(scope);
      if (!resource || !readStoredIdentity(resource.identity).systemAssigned) throw absent;
      const principal = await store.principals.getByResourceId(resource.id);
      if (!principal) throw absent;
      return { resource, principal };
    },
  };
}

function concurrentChange(name: string): DomainError {
  return new DomainError('Conflict', `The user assigned identity '${name}' was changed by another request at the same time; retry the request.`);
}
