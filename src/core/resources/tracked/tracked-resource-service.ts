/**
 * The lifecycle of a tracked (or child) resource type, written once: locate and type-check,
 * `If-Match`/`If-None-Match`, location required/normalised/immutable, tags, ARM's PUT-replaces and
 * PATCH-merges (RFC 7396) semantics for `properties`, read-only and write-only fields, the identity
 * component (system-assigned principal, attached and referenced user-assigned identities, linked
 * authorization), the provider's hooks, insert/update under the etag with one retry helper, the
 * operation record clients poll, and delete = hooks + children + managed-identity principals, then
 * host agents told to re-read what they hold. A provider gives a {@link TrackedTypeSpec}; the HTTP
 * kit (src/http/arm/tracked-routes.ts) gives its routes.
 */
import { isoTime, type Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { IdGenerator } from '../../ids.js';
import type { ResourceIdentities } from '../../identities/resource-identities.js';
import type { ManagedServiceIdentityRequest } from '../../identities/identity-plan.js';
import type { OperationRecord, Page, ResourceGroup, ResourceRecord } from '../../model.js';
import type { Repositories, Store, VerifiedCaller } from '../../ports.js';
import { providerResourceId } from '../../resource-id.js';
import { checkWriteConditions, type WriteConditions } from '../conditions.js';
import { checkPageSize, readFilteredPage } from '../list-query.js';
import { checkTags } from '../names.js';
import { createOperationService } from '../operation-service.js';
import {
  assertSameLocation,
  listResourcesOfType,
  loadResourceGroup,
  normalizeResourceLocation,
  resourceNotFound,
  type ResourceListQuery,
} from '../../identities/tracked-resource.js';
import { isJsonObject, mergePatch, withoutPaths, type JsonObject } from './json-paths.js';
import { leafTypeOf, resourceTypeOf, specChain, type ListScope, type ResourceTarget, type TrackedInput, type TrackedTypeSpec } from './spec.js';
import { ConcurrentWriteError, runResourceWrite } from './write-retry.js';

export interface TrackedResourceServiceDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  identities: ResourceIdentities;
  /** Called once a write or delete is committed, so that host agents re-read what their resource holds. */
  onIdentitiesChanged?: () => void;
}

export interface WriteOptions {
  caller?: VerifiedCaller;
  conditions?: WriteConditions;
}

export interface TrackedWrite {
  resource: ResourceRecord;
  created: boolean;
  /** The (already finished) operation the client polls. */
  operation: OperationRecord;
}

export interface TrackedResourceService {
  readonly spec: TrackedTypeSpec;
  /** `Namespace/type`. */
  readonly resourceType: string;
  /** PUT: creates, or replaces what the client may set (identity included). */
  createOrUpdate(target: ResourceTarget, input: TrackedInput, options?: WriteOptions): Promise<TrackedWrite>;
  /** PATCH: tags replaced when given, properties merged, identity merged. 404 when absent. */
  update(target: ResourceTarget, patch: TrackedInput, options?: WriteOptions): Promise<TrackedWrite>;
  get(target: ResourceTarget): Promise<ResourceRecord>;
  /** Deletes the resource, its children and their managed-identity principals; undefined when there was none. */
  delete(target: ResourceTarget, options?: WriteOptions): Promise<OperationRecord | undefined>;
  list(scope: ListScope, query: ResourceListQuery): Promise<Page<ResourceRecord>>;
  /** A PUT/PATCH inside a caller's transaction (a hook writing a resource of another type): no retry of its own. */
  writeInTx(tx: Repositories, target: ResourceTarget, input: TrackedInput, mode: 'replace' | 'merge', options?: WriteOptions): Promise<TrackedWrite>;
  /** A delete inside a caller's transaction. */
  deleteInTx(tx: Repositories, target: ResourceTarget, options?: WriteOptions): Promise<OperationRecord | undefined>;
}

interface Located {
  group: ResourceGroup;
  id: string;
  existing: ResourceRecord | undefined;
}

const sameType = (r: ResourceRecord, type: string) => r.type.toLowerCase() === type.toLowerCase();

export function createTrackedResourceService(spec: TrackedTypeSpec, deps: TrackedResourceServiceDeps): TrackedResourceService {
  const { store, clock, ids, identities } = deps;
  const resourceType = resourceTypeOf(spec);
  const chain = specChain(spec);
  const now = () => isoTime(clock.now());
  const notify = () => deps.onIdentitiesChanged?.();

  /** The id of the parent chain's last resource (which must exist), or undefined for a top-level type. */
  async function locateParent(
    tx: Pick<Repositories, 'resources'>,
    group: ResourceGroup,
    target: { subscriptionId: string; parents?: readonly string[] },
  ): Promise<string | undefined> {
    const parents = target.parents ?? [];
    if (parents.length !== chain.length - 1) throw new Error(`${resourceType}: expected ${chain.length - 1} parent names, got ${parents.length}`);
    let id: string | undefined;
    for (const [i, parentSpec] of chain.slice(0, -1).entries()) {
      const name = parents[i]!;
      parentSpec.assertName(name);
      id =
        id === undefined
          ? providerResourceId(target.subscriptionId, group.name, parentSpec.namespace, parentSpec.type, name)
          : `${id}/${leafTypeOf(parentSpec)}/${name}`;
      const parent = await tx.resources.get(id);
      if (!parent || !sameType(parent, resourceTypeOf(parentSpec))) throw resourceNotFound(resourceTypeOf(parentSpec), name, group.name);
    }
    return id;
  }

  async function locate(tx: Pick<Repositories, 'resources' | 'resourceGroups'>, target: ResourceTarget): Promise<Located> {
    const group = await loadResourceGroup(tx, target.subscriptionId, target.resourceGroup);
    const parentId = await locateParent(tx, group, target);
    spec.assertName(target.name);
    const id =
      parentId === undefined
        ? providerResourceId(target.subscriptionId, group.name, spec.namespace, spec.type, target.name)
        : `${parentId}/${leafTypeOf(spec)}/${target.name}`;
    const existing = await tx.resources.get(id);
    return { group, id, existing: existing && sameType(existing, resourceType) ? existing : undefined };
  }

  function writeLocation(input: TrackedInput, existing: ResourceRecord | undefined, mode: 'replace' | 'merge'): string {
    if (spec.shape === 'proxy') return existing?.location ?? '';
    if (mode === 'merge' && (input.location === undefined || input.location === null)) return existing!.location;
    const location = normalizeResourceLocation(input.location);
    if (existing) assertSameLocation(existing, location, resourceType);
    return location;
  }

  function writeTags(input: TrackedInput, existing: ResourceRecord | undefined, mode: 'replace' | 'merge') {
    if (spec.shape === 'proxy') return {};
    if (mode === 'merge' && input.tags === undefined) return existing!.tags;
    return checkTags(input.tags);
  }

  function writeEnvelopeField(field: 'sku' | 'kind', input: TrackedInput, existing: ResourceRecord | undefined, mode: 'replace' | 'merge') {
    const rule = spec[field];
    if (!rule) return null;
    const sent = input[field];
    if (sent === undefined || sent === null) {
      if (mode === 'merge' || existing) return existing?.[field] ?? null;
      if (rule === 'required') throw new DomainError('InvalidParameter', `The '${field}' property is required for this definition.`, { target: field });
      return null;
    }
    if (field === 'kind' ? typeof sent !== 'string' : !isJsonObject(sent)) {
      throw new DomainError('InvalidRequestContent', `The value of '${field}' must be ${field === 'kind' ? 'a string' : 'an object'}.`, { target: field });
    }
    return field === 'sku' && mode === 'merge' ? mergePatch(existing?.sku ?? {}, sent) : sent;
  }

  function writeProperties(input: TrackedInput, located: Located, target: ResourceTarget, location: string, mode: 'replace' | 'merge'): JsonObject {
    const declared = spec.properties;
    const hidden = [...(declared?.readOnly ?? []), ...(declared?.writeOnly ?? [])];
    if (input.properties !== undefined && input.properties !== null && !isJsonObject(input.properties)) {
      throw new DomainError('InvalidRequestContent', "The value of 'properties' must be an object.", { target: 'properties' });
    }
    const sent = withoutPaths(input.properties ?? {}, hidden);
    const { existing } = located;
    const merged = mode === 'merge' ? (mergePatch(withoutPaths(existing!.properties, declared?.writeOnly ?? []), sent) as JsonObject) : sent;
    const writeMode = mode === 'merge' ? 'patch' : existing ? 'replace' : 'create';
    const written = declared?.write ? declared.write(merged, { existing, target, location, mode: writeMode, ids, now: now() }) : merged;
    // Secrets are never stored, whatever the writer returned.
    return withoutPaths(written, declared?.writeOnly ?? []);
  }

  async function finish(tx: Repositories, subscriptionId: string, resourceId: string, verb: 'write' | 'delete'): Promise<OperationRecord> {
    const operations = createOperationService({ operations: tx.operations, clock, ids });
    return operations.complete(await operations.create({ subscriptionId, resourceId, action: `${resourceType}/${verb}` }));
  }

  async function save(tx: Repositories, resource: ResourceRecord, previous: ResourceRecord | undefined): Promise<void> {
    const lost = () => new ConcurrentWriteError(resource.id, spec.label, resource.name);
    if (previous) {
      if (!(await tx.resources.update(resource, previous.etag))) throw lost();
      return;
    }
    try {
      await tx.resources.insert(resource);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'Conflict') throw lost();
      throw error;
    }
  }

  async function writeInTx(
    tx: Repositories,
    target: ResourceTarget,
    input: TrackedInput,
    mode: 'replace' | 'merge',
    options: WriteOptions = {},
  ): Promise<TrackedWrite> {
    const located = await locate(tx, target);
    const { group, id, existing } = located;
    if (mode === 'merge' && !existing) throw resourceNotFound(resourceType, target.name, group.name);
    checkWriteConditions(existing?.etag, options.conditions);
    if (!isJsonObject(input)) throw new DomainError('InvalidRequestContent', 'The request content must be a JSON object.');
    if (spec.prepare) input = spec.prepare(input, { existing, mode });
    const location = writeLocation(input, existing, mode);
    const tags = writeTags(input, existing, mode);
    const properties = writeProperties(input, located, target, location, mode);
    const host = { id: existing?.id ?? id, name: existing?.name ?? target.name, tenantId: target.tenantId, location };
    const write = { action: `${resourceType}/write`, scope: host.id };
    const identity = spec.identity
      ? await identities.apply(tx, {
          rules: spec.identity.rules,
          host,
          current: existing?.identity ?? null,
          caller: options.caller,
          write,
          request: input.identity as ManagedServiceIdentityRequest | null | undefined,
          mode,
        })
      : null;
    if (spec.identity?.references?.length) {
      await identities.checkReferences(tx, {
        references: spec.identity.references,
        host,
        properties,
        previous: existing?.properties,
        identity,
        caller: options.caller,
        write,
      });
    }
    const at = now();
    let resource: ResourceRecord = {
      id: host.id,
      subscriptionId: target.subscriptionId,
      resourceGroup: existing?.resourceGroup ?? group.name,
      type: resourceType,
      name: host.name,
      location,
      tags,
      properties,
      identity,
      kind: writeEnvelopeField('kind', input, existing, mode) as string | null,
      sku: writeEnvelopeField('sku', input, existing, mode) as Record<string, unknown> | null,
      provisioningState: 'Succeeded',
      etag: ids.newGuid(),
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    };
    const hook = existing ? spec.hooks?.onUpdate : spec.hooks?.onCreate;
    if (hook) resource = (await hook({ tx, resource, previous: existing, input, caller: options.caller, target, ids, clock })) ?? resource;
    await save(tx, resource, existing);
    return { resource, created: !existing, operation: await finish(tx, target.subscriptionId, resource.id, 'write') };
  }

  async function deleteInTx(tx: Repositories, target: ResourceTarget, options: WriteOptions = {}): Promise<OperationRecord | undefined> {
    const { existing } = await locate(tx, target);
    if (!existing) return undefined;
    checkWriteConditions(existing.etag, options.conditions);
    await spec.hooks?.onDelete?.({ tx, resource: existing, caller: options.caller, target, ids, clock });
    await tx.resources.deleteTree(existing.id);
    // System-assigned identities (of the resource and of its children) live and die with it; attached
    // user-assigned ones stay. A user-assigned identity's own principal has this id: it goes too.
    await identities.release(tx, existing.id);
    return finish(tx, target.subscriptionId, existing.id, 'delete');
  }

  /** The id a target will have, for the retry helper (group case as sent: ids compare case-insensitively). */
  function targetKey(target: ResourceTarget): string {
    const parents = (target.parents ?? []).map((name, i) => `${leafTypeOf(chain[i]!)}/${name}`).join('/');
    return `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/${chain[0]!.namespace}/${parents ? parents + '/' : ''}${leafTypeOf(spec)}/${target.name}`;
  }

  return {
    spec,
    resourceType,
    createOrUpdate: (target, input, options) => runResourceWrite(store, targetKey(target), (tx) => writeInTx(tx, target, input, 'replace', options), notify),
    update: (target, patch, options) => runResourceWrite(store, targetKey(target), (tx) => writeInTx(tx, target, patch, 'merge', options), notify),
    async get(target) {
      const { group, existing } = await locate(store, target);
      if (!existing) throw resourceNotFound(resourceType, target.name, group.name);
      return existing;
    },
    async delete(target, options) {
      const operation = await store.transaction((tx) => deleteInTx(tx, target, options));
      if (operation) notify();
      return operation;
    },
    async list(scope, query) {
      if (chain.length === 1) return listResourcesOfType(store, scope, resourceType, query);
      const group = await loadResourceGroup(store, scope.subscriptionId, scope.resourceGroup ?? '');
      const prefix = `${(await locateParent(store, group, scope))!.toLowerCase()}/`;
      return readFilteredPage(
        (page) => store.resources.listByGroup(scope.subscriptionId, group.name, page, resourceType),
        (r) => r.id.toLowerCase().startsWith(prefix),
        checkPageSize(query.top),
        query.after,
      );
    },
    writeInTx,
    deleteInTx,
  };
}
