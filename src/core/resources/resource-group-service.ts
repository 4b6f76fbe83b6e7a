/**
 * Resource groups (Microsoft.Resources/subscriptions/resourceGroups): create-or-update, get, exists,
 * update of tags/managedBy, list with a tag filter, delete (long-running; removes what the group
 * contains) and the list of resources in a group. Callers check the subscription first.
 */
import { isoTime, type Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { OperationRecord, Page, ResourceGroup, ResourceRecord, Tags } from '../model.js';
import type { Repositories, Store } from '../ports.js';
import { resourceGroupResourceId } from '../resource-id.js';
import { checkWriteConditions, type WriteConditions } from './conditions.js';
import { checkPageSize, matchesTagFilter, readFilteredPage, type ListQuery } from './list-query.js';
import { assertResourceGroupName, checkTags, normalizeLocation } from './names.js';
import { createOperationService } from './operation-service.js';

export const RESOURCE_GROUP_DELETE_ACTION = 'Microsoft.Resources/subscriptions/resourceGroups/delete';

export interface ResourceGroupServiceDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
}

export interface ResourceGroupInput {
  location?: string;
  tags?: Tags;
  managedBy?: string | null;
}

export interface ResourceGroupPatch {
  tags?: Tags;
  managedBy?: string | null;
}

export interface ResourceGroupService {
  /** ResourceGroups_CreateOrUpdate: `created` tells 201 from 200. */
  createOrUpdate(
    subscriptionId: string,
    name: string,
    input: ResourceGroupInput,
    conditions?: WriteConditions,
  ): Promise<{ group: ResourceGroup; created: boolean }>;
  get(subscriptionId: string, name: string): Promise<ResourceGroup>;
  exists(subscriptionId: string, name: string): Promise<boolean>;
  /** ResourceGroups_Update: fields left out keep their value. */
  update(subscriptionId: string, name: string, patch: ResourceGroupPatch, conditions?: WriteConditions): Promise<ResourceGroup>;
  list(subscriptionId: string, query: ListQuery): Promise<Page<ResourceGroup>>;
  /**
   * ResourceGroups_Delete: in one transaction removes the group's resources, the managed-identity
   * principals below it and the group, and records the (finished) operation clients poll.
   */
  delete(subscriptionId: string, name: string, conditions?: WriteConditions): Promise<OperationRecord>;
  listResources(subscriptionId: string, name: string, query: ListQuery): Promise<Page<ResourceRecord>>;
}

/** Optimistic writes retry this many times when a concurrent writer changed the group in between. */
const WRITE_ATTEMPTS = 5;

export function createResourceGroupService(deps: ResourceGroupServiceDeps): ResourceGroupService {
  const { store, clock, ids } = deps;
  const now = () => isoTime(clock.now());

  async function load(repos: Repositories, subscriptionId: string, name: string): Promise<ResourceGroup> {
    assertResourceGroupName(name);
    const group = await repos.resourceGroups.get(subscriptionId, name);
    if (!group) throw resourceGroupNotFound(name);
    return group;
  }

  async function createOrUpdateOnce(subscriptionId: string, name: string, input: ResourceGroupInput, conditions?: WriteConditions) {
    const location = normalizeLocation(input.location);
    const tags = checkTags(input.tags);
    const existing = await store.resourceGroups.get(subscriptionId, name);
    checkWriteConditions(existing?.etag, conditions);
    if (!existing) {
      const at = now();
      const group: ResourceGroup = {
        subscriptionId,
        name,
        location,
        managedBy: input.managedBy ?? null,
        tags,
        provisioningState: 'Succeeded',
        etag: ids.newGuid(),
        createdAt: at,
        updatedAt: at,
      };
      await store.resourceGroups.insert(group);
      return { group, created: true };
    }
    if (existing.location !== location) {
      // ARM refuses to move a group by PUT.
      throw new DomainError(
        'InvalidResourceGroupLocation',
        `Invalid resource group location '${input.location}'. The Resource group already exists in location '${existing.location}'.`,
        { target: 'location' },
      );
    }
    // PUT replaces the mutable fields (tags, managedBy); the name keeps the case it was created with.
    const group: ResourceGroup = { ...existing, tags, managedBy: input.managedBy ?? null, etag: ids.newGuid(), updatedAt: now() };
    return (await store.resourceGroups.update(group, existing.etag)) ? { group, created: false } : undefined;
  }

  async function updateOnce(subscriptionId: string, name: string, patch: ResourceGroupPatch, conditions?: WriteConditions) {
    const existing = await load(store, subscriptionId, name);
    checkWriteConditions(existing.etag, conditions);
    const group: ResourceGroup = {
      ...existing,
      tags: patch.tags === undefined ? existing.tags : checkTags(patch.tags),
      managedBy: patch.managedBy === undefined ? existing.managedBy : patch.managedBy,
      etag: ids.newGuid(),
      updatedAt: now(),
    };
    return (await store.resourceGroups.update(group, existing.etag)) ? group : undefined;
  }

  return {
    async createOrUpdate(subscriptionId, name, input, conditions) {
      assertResourceGroupName(name);
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await createOrUpdateOnce(subscriptionId, name, input, conditions);
          if (result) return result;
        } catch (e) {
          // Another request created the group between our read and insert: go round again as an update.
          if (!(e instanceof DomainError && e.code === 'Conflict') || attempt >= WRITE_ATTEMPTS) throw e;
        }
        if (attempt >= WRITE_ATTEMPTS) throw concurrentChange(name);
      }
    },
    get: (subscriptionId, name) => load(store, subscriptionId, name),
    async exists(subscriptionId, name) {
      assertResourceGroupName(name);
      return (await store.resourceGroups.get(subscriptionId, name)) !== undefined;
    },
    async update(subscriptionId, name, patch, conditions) {
      for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
        const group = await updateOnce(subscriptionId, name, patch, conditions);
        if (group) return group;
      }
      throw concurrentChange(name);
    },
    list(subscriptionId, query) {
      const size = checkPageSize(query.top);
      return readFilteredPage(
        (page) => store.resourceGroups.list(subscriptionId, page),
        (g) => matchesTagFilter(g.tags, query.filter),
        size,
        query.after,
      );
    },
    delete(subscriptionId, name, conditions) {
      return store.transaction(async (tx) => {
        const group = await load(tx, subscriptionId, name);
        checkWriteConditions(group.etag, conditions);
        const groupId = resourceGroupResourceId(subscriptionId, group.name);
        const operations = createOperationService({ operations: tx.operations, clock, ids });
        const operation = await operations.create({ subscriptionId, resourceId: groupId, action: RESOURCE_GROUP_DELETE_ACTION });
        await tx.resources.deleteByGroup(subscriptionId, group.name);
        await tx.principals.deleteByResourceScope(groupId);
        await tx.resourceGroups.delete(subscriptionId, group.name);
        return operations.complete(operation);
      });
    },
    async listResources(subscriptionId, name, query) {
      const group = await load(store, subscriptionId, name);
      const size = checkPageSize(query.top);
      const type = query.filter?.resourceType;
      return readFilteredPage(
        (page) => store.resources.listByGroup(subscriptionId, group.name, page, type),
        // Resources_ListByResourceGroup lists top-level resources; child (proxy) resources such as an
        // identity's federated credentials are listed by their parent's own API.
        (r) => r.type.split('/').length === 2 && matchesTagFilter(r.tags, query.filter),
        size,
        query.after,
      );
    },
  };
}

/** ARM's 404 for a missing group. */
export function resourceGroupNotFound(name: string): DomainError {
  return new DomainError('ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
}

function concurrentChange(name: string): DomainError {
  return new DomainError('Conflict', `Resource group '${name}' was changed by another request at the same time; retry the request.`);
}
