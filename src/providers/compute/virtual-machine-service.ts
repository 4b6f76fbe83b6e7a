/**
 * Virtual machines (Microsoft.Compute/virtualMachines) as identity hosts: Keyless runs no machine,
 * it keeps the resource, its identities and a minimal `properties` echo. Writes are long-running in
 * Azure; here the operation is recorded and completed in the same transaction as the write, so the
 * client's first poll sees `Succeeded`.
 */
import { isoTime, type Clock } from '../../core/clock.js';
import { DomainError } from '../../core/errors.js';
import type { ManagedServiceIdentityRequest, IdentityRules } from '../../core/identities/identity-plan.js';
import type { ResourceIdentities } from '../../core/identities/resource-identities.js';
import {
  assertSameLocation, listResourcesOfType, loadResourceGroup, normalizeResourceLocation, resourceNotFound, type ResourceListQuery,
} from '../../core/identities/tracked-resource.js';
import type { SubscriptionScope } from '../../core/identities/user-assigned-identity-service.js';
import type { IdGenerator } from '../../core/ids.js';
import type { OperationRecord, Page, ResourceRecord, Tags } from '../../core/model.js';
import type { Repositories, Store, VerifiedCaller } from '../../core/ports.js';
import { checkWriteConditions, type WriteConditions } from '../../core/resources/conditions.js';
import { checkTags } from '../../core/resources/names.js';
import { createOperationService } from '../../core/resources/operation-service.js';
import { providerResourceId } from '../../core/resource-id.js';
import { mergePatch, sanitizeVmProperties } from './vm-properties.js';

export const VIRTUAL_MACHINE_TYPE = 'Microsoft.Compute/virtualMachines';
const ACTION = 'Microsoft.Compute/virtualMachines';

/** Compute allows both kinds of identity, any number of user-assigned ones, and spells the pair with a space. */
export const VIRTUAL_MACHINE_IDENTITY_RULES: IdentityRules = { allowSystemAssigned: true, allowUserAssigned: true, typeSpelling: 'spaced' };

/** Compute's own validation rule for VM names, with its error ("The entity name … is invalid according to its validation rule"). */
const VM_NAME = /^[^_\W][\w\-._]{0,79}(?<![-.])$/;

export interface VirtualMachineInput {
  location?: unknown;
  tags?: Tags | null;
  identity?: ManagedServiceIdentityRequest | null;
  properties?: Record<string, unknown> | null;
}

export interface VirtualMachineWrite {
  vm: ResourceRecord;
  created: boolean;
  /** The (already finished) operation the client polls. */
  operation: OperationRecord;
}

export interface VirtualMachineService {
  /** VirtualMachines_CreateOrUpdate (PUT: the identity is replaced as sent). */
  createOrUpdate(scope: SubscriptionScope, resourceGroup: string, name: string, input: VirtualMachineInput, caller: VerifiedCaller, conditions?: WriteConditions): Promise<VirtualMachineWrite>;
  /** VirtualMachines_Update (PATCH: tags replaced, properties and identity merged). */
  update(scope: SubscriptionScope, resourceGroup: string, name: string, patch: VirtualMachineInput, caller: VerifiedCaller, conditions?: WriteConditions): Promise<VirtualMachineWrite>;
  get(scope: SubscriptionScope, resourceGroup: string, name: string): Promise<ResourceRecord>;
  /** VirtualMachines_Delete: removes the VM and its system-assigned principal; undefined when there was none. */
  delete(scope: SubscriptionScope, resourceGroup: string, name: string, conditions?: WriteConditions): Promise<OperationRecord | undefined>;
  listByResourceGroup(scope: SubscriptionScope, resourceGroup: string, query: ResourceListQuery): Promise<Page<ResourceRecord>>;
  listBySubscription(scope: SubscriptionScope, query: ResourceListQuery): Promise<Page<ResourceRecord>>;
}

export interface VirtualMachineServiceDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  identities: ResourceIdentities;
  /** Called once a write is committed, so that host agents re-read what their VM holds (detach takes effect at once). */
  onIdentitiesChanged?: () => void;
}

function assertVmName(name: string): void {
  if (!VM_NAME.test(name)) {
    throw new DomainError('InvalidParameter', `The entity name '${name}' is invalid according to its validation rule: ${VM_NAME.source}.`, { target: 'vmName' });
  }
}

const WRITE_ATTEMPTS = 5;

export function createVirtualMachineService(deps: VirtualMachineServiceDeps): VirtualMachineService {
  const { store, clock, ids, identities } = deps;
  const now = () => isoTime(clock.now());

  async function finish(tx: Repositories, subscriptionId: string, resourceId: string, verb: 'write' | 'delete'): Promise<OperationRecord> {
    const operations = createOperationService({ operations: tx.operations, clock, ids });
    return operations.complete(await operations.create({ subscriptionId, resourceId, action: `${ACTION}/${verb}` }));
  }

  async function locate(tx: Repositories, scope: SubscriptionScope, resourceGroup: string, name: string) {
    const group = await loadResourceGroup(tx, scope.subscriptionId, resourceGroup);
    assertVmName(name);
    const id = providerResourceId(scope.subscriptionId, group.name, 'Microsoft.Compute', 'virtualMachines', name);
    const existing = await tx.resources.get(id);
    return { group, id, existing: existing && existing.type.toLowerCase() === VIRTUAL_MACHINE_TYPE.toLowerCase() ? existing : undefined };
  }

  /** Runs a write in a transaction, going round again when a concurrent writer got in between. */
  async function retrying<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await store.transaction(work);
        deps.onIdentitiesChanged?.();
        return result;
      } catch (e) {
        if (!(e instanceof DomainError && e.code === 'Conflict') || attempt >= WRITE_ATTEMPTS) throw e;
      }
    }
  }

  async function save(tx: Repositories, vm: ResourceRecord, previous: ResourceRecord | undefined): Promise<void> {
    if (!previous) return tx.resources.insert(vm);
    if (!await tx.resources.update(vm, previous.etag)) {
      throw new DomainError('Conflict', `The virtual machine '${vm.name}' was changed by another request at the same time; retry the request.`);
    }
  }

  return {
    createOrUpdate(scope, resourceGroup, name, input, caller, conditions) {
      return retrying(async (tx) => {
        const { group, id, existing } = await locate(tx, scope, resourceGroup, name);
        checkWriteConditions(existing?.etag, conditions);
        const location = normalizeResourceLocation(input.location);
        if (existing) assertSameLocation(existing, location, VIRTUAL_MACHINE_TYPE);
        const tags = checkTags(input.tags);
        const hostId = existing?.id ?? id;
        const identity = await identities.apply(tx, {
          rules: VIRTUAL_MACHINE_IDENTITY_RULES, host: { id: hostId, name: existing?.name ?? name, tenantId: scope.tenantId },
          current: existing?.identity ?? null, request: input.identity, mode: 'replace', caller,
        });
        const at = now();
        const properties = {
          ...sanitizeVmProperties(input.properties),
          vmId: existing?.properties['vmId'] ?? ids.newGuid(),
          timeCreated: existing?.properties['timeCreated'] ?? at,
        };
        const vm: ResourceRecord = existing
          ? { ...existing, tags, properties, identity, etag: ids.newGuid(), updatedAt: at }
          : {
            id, subscriptionId: scope.subscriptionId, resourceGroup: group.name, type: VIRTUAL_MACHINE_TYPE, name, location, tags, kind: null,
            properties, identity, sku: null, provisioningState: 'Succeeded', etag: ids.newGuid(), createdAt: at, updatedAt: at,
          };
        await save(tx, vm, existing);
        return { vm, created: !existing, operation: await finish(tx, scope.subscriptionId, vm.id, 'write') };
      });
    },
    update(scope, resourceGroup, name, patch, caller, conditions) {
      return retrying(async (tx) => {
        const { existing } = await locate(tx, scope, resourceGroup, name);
        if (!existing) throw resourceNotFound(VIRTUAL_MACHINE_TYPE, name, resourceGroup);
        checkWriteConditions(existing.etag, conditions);
        const identity = await identities.apply(tx, {
          rules: VIRTUAL_MACHINE_IDENTITY_RULES, host: { id: existing.id, name: existing.name, tenantId: scope.tenantId },
          current: existing.identity, request: patch.identity, mode: 'merge', caller,
        });
        const merged = patch.properties === undefined || patch.properties === null
          ? existing.properties
          : { ...(mergePatch(existing.properties, sanitizeVmProperties(patch.properties)) as Record<string, unknown>), vmId: existing.properties['vmId'], timeCreated: existing.properties['timeCreated'] };
        const vm: ResourceRecord = {
          ...existing, tags: patch.tags === undefined ? existing.tags : checkTags(patch.tags), properties: merged, identity, etag: ids.newGuid(), updatedAt: now(),
        };
        await save(tx, vm, existing);
        return { vm, created: false, operation: await finish(tx, scope.subscriptionId, vm.id, 'write') };
      });
    },
    async get(scope, resourceGroup, name) {
      const { existing } = await locate(store, scope, resourceGroup, name);
      if (!existing) throw resourceNotFound(VIRTUAL_MACHINE_TYPE, name, resourceGroup);
      return existing;
    },
    async delete(scope, resourceGroup, name, conditions) {
      const operation = await store.transaction(async (tx) => {
        const { existing } = await locate(tx, scope, resourceGroup, name);
        if (!existing) return undefined;
        checkWriteConditions(existing.etag, conditions);
        await tx.resources.deleteTree(existing.id);
        // The system-assigned identity lives and dies with the VM; attached user-assigned ones stay.
        await identities.release(tx, existing.id);
        return finish(tx, scope.subscriptionId, existing.id, 'delete');
      });
      if (operation) deps.onIdentitiesChanged?.();
      return operation;
    },
    listByResourceGroup: (scope, resourceGroup, query) => listResourcesOfType(store, { subscriptionId: scope.subscriptionId, resourceGroup }, VIRTUAL_MACHINE_TYPE, query),
    listBySubscription: (scope, query) => listResourcesOfType(store, { subscriptionId: scope.subscriptionId }, VIRTUAL_MACHINE_TYPE, query),
  };
}
