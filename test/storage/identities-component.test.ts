/**
 * The identity component and the user-assigned identity service over a real store, on both engines:
 * principals created and deleted with the identities, attach checks, the linked-authorization hook,
 * rendering, and all-or-nothing writes.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { DomainError } from '../../src/core/errors.js';
import { isGuid, randomIds } from '../../src/core/ids.js';
import type { IdentityRules } from '../../src/core/identities/identity-plan.js';
import { createResourceIdentities, type ResourceIdentities } from '../../src/core/identities/resource-identities.js';
import { heldIdentities } from '../../src/core/identities/stored-identity.js';
import { USER_ASSIGNED_IDENTITY_SPEC, userAssignedIdentityProperties } from '../../src/core/identities/user-assigned-identities.js';
import type { ResourceRecord } from '../../src/core/model.js';
import type { SubscriptionScope, TrackedInput } from '../../src/core/resources/tracked/spec.js';
import { createTrackedResourceService } from '../../src/core/resources/tracked/tracked-resource-service.js';
import { renderIdentity } from '../../src/http/arm/identity-wire.js';
import type { Store, VerifiedCaller } from '../../src/core/ports.js';
import { forEachEngine } from '../support/stores.js';

const VM_RULES: IdentityRules = { allowSystemAssigned: true, allowUserAssigned: true, typeSpelling: 'spaced' };
const caller: VerifiedCaller = { objectId: randomIds.newGuid(), tenantId: 't', appId: randomIds.newGuid(), claims: {} };

/** The user-assigned identity type through the provider kit, with the shapes this suite reads. */
function userAssignedIdentities(store: Store) {
  const service = createTrackedResourceService(USER_ASSIGNED_IDENTITY_SPEC, {
    store,
    clock: systemClock,
    ids: randomIds,
    identities: createResourceIdentities({ ids: randomIds, clock: systemClock }),
  });
  const view = (resource: ResourceRecord) => ({ resource, ...userAssignedIdentityProperties(resource) });
  const target = (scope: SubscriptionScope, resourceGroup: string, name: string) => ({ ...scope, resourceGroup, name });
  return {
    async createOrUpdate(scope: SubscriptionScope, rg: string, name: string, input: TrackedInput) {
      const write = await service.createOrUpdate(target(scope, rg, name), input);
      return { identity: view(write.resource), created: write.created };
    },
    update: async (scope: SubscriptionScope, rg: string, name: string, patch: TrackedInput) =>
      view((await service.update(target(scope, rg, name), patch)).resource),
    delete: async (scope: SubscriptionScope, rg: string, name: string) => (await service.delete(target(scope, rg, name))) !== undefined,
  };
}

async function seed(store: Store) {
  const tenantId = randomIds.newGuid();
  const otherTenantId = randomIds.newGuid();
  const subscriptionId = randomIds.newGuid();
  const otherSubscriptionId = randomIds.newGuid();
  const at = new Date().toISOString();
  for (const [id, sub] of [
    [tenantId, subscriptionId],
    [otherTenantId, otherSubscriptionId],
  ] as const) {
    await store.tenants.insert({ id, displayName: id, defaultDomain: 'x.local', createdAt: at });
    await store.subscriptions.insert({ id: sub, tenantId: id, displayName: sub, state: 'Enabled', createdAt: at });
    await store.resourceGroups.insert({
      subscriptionId: sub,
      name: 'rg',
      location: 'westus2',
      managedBy: null,
      tags: {},
      provisioningState: 'Succeeded',
      etag: 'e',
      createdAt: at,
      updatedAt: at,
    });
  }
  const scope: SubscriptionScope = { subscriptionId, tenantId };
  const otherScope: SubscriptionScope = { subscriptionId: otherSubscriptionId, tenantId: otherTenantId };
  const uamis = userAssignedIdentities(store);
  const host = { id: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`, name: 'vm1', tenantId };
  return { tenantId, scope, otherScope, uamis, host };
}

forEachEngine('identity component', (open) => {
  it('creates the system-assigned principal with the host id and deletes it when disabled', async () => {
    const store = await open();
    const { host } = await seed(store);
    const identities = createResourceIdentities({ ids: randomIds, clock: systemClock });
    const stored = await store.transaction((tx) =>
      identities.apply(tx, { rules: VM_RULES, host, current: null, request: { type: 'SystemAssigned' }, mode: 'replace' }),
    );
    const principal = await store.principals.getByResourceId(host.id.toUpperCase());
    assert.ok(principal && stored);
    assert.equal(principal.kind, 'ManagedIdentity');
    assert.equal(principal.displayName, 'vm1');
    assert.equal(principal.tenantId, host.tenantId);
    assert.ok(isGuid(principal.objectId) && isGuid(principal.appId) && principal.objectId !== principal.appId);
    assert.deepEqual(renderIdentity(VM_RULES, stored), { type: 'SystemAssigned', principalId: principal.objectId, tenantId: host.tenantId });
    const held = await heldIdentities({ id: host.id, identity: stored }, store.principals);
    assert.deepEqual(
      held.map((h) => [h.system, h.principal.objectId, h.resourceId]),
      [[true, principal.objectId, host.id]],
    );

    // PUT again with the system identity: same principal (its id is what role assignments name).
    const again = await store.transaction((tx) =>
      identities.apply(tx, { rules: VM_RULES, host, current: stored, request: { type: 'systemassigned' }, mode: 'replace' }),
    );
    assert.equal(again?.['principalId'], principal.objectId);

    const none = await store.transaction((tx) => identities.apply(tx, { rules: VM_RULES, host, current: again, request: { type: 'None' }, mode: 'merge' }));
    assert.equal(none, null);
    assert.equal(await store.principals.getByResourceId(host.id), undefined);
    assert.equal(renderIdentity(VM_RULES, none), undefined);
  });

  it('records attached user-assigned identities and renders both in the type’s spelling', async () => {
    const store = await open();
    const { scope, uamis, host } = await seed(store);
    const { identity: a } = await uamis.createOrUpdate(scope, 'rg', 'id-a', { location: 'westus2' });
    const identities = createResourceIdentities({ ids: randomIds, clock: systemClock });
    const stored = await store.transaction((tx) =>
      identities.apply(tx, {
        rules: VM_RULES,
        host,
        current: null,
        mode: 'replace',
        request: { type: 'SystemAssigned,UserAssigned', userAssignedIdentities: { [a.resource.id]: {} } },
      }),
    );
    const wire = renderIdentity(VM_RULES, stored)!;
    assert.equal(wire.type, 'SystemAssigned, UserAssigned');
    assert.deepEqual(wire.userAssignedIdentities, { [a.resource.id]: { principalId: a.principalId, clientId: a.clientId } });
    assert.equal(renderIdentity({ typeSpelling: 'compact' }, stored)!.type, 'SystemAssigned,UserAssigned');
    const held = await heldIdentities({ id: host.id, identity: stored }, store.principals);
    assert.deepEqual(held.map((h) => h.principal.objectId).sort(), [wire.principalId!, a.principalId].sort());

    // Deleting the identity removes its principal: the host no longer holds it.
    assert.equal(await uamis.delete(scope, 'rg', 'id-a'), true);
    assert.deepEqual(
      (await heldIdentities({ id: host.id, identity: stored }, store.principals)).map((h) => h.system),
      [true],
    );
    assert.equal(await uamis.delete(scope, 'rg', 'id-a'), false);
  });

  it('refuses an unknown identity, or one of another tenant, and writes nothing', async () => {
    const store = await open();
    const { scope, otherScope, uamis, host } = await seed(store);
    const foreign = (await uamis.createOrUpdate(otherScope, 'rg', 'foreign', { location: 'westus2' })).identity.resource.id;
    const missing = `/subscriptions/${scope.subscriptionId}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/missing`;
    const identities = createResourceIdentities({ ids: randomIds, clock: systemClock });
    for (const id of [missing, foreign]) {
      await assert.rejects(
        store.transaction((tx) =>
          identities.apply(tx, {
            rules: VM_RULES,
            host,
            current: null,
            mode: 'replace',
            request: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [id]: {} } },
          }),
        ),
        (e: unknown) => e instanceof DomainError && e.code === 'FailedIdentityOperation' && e.message.includes(id),
      );
    }
    assert.equal(await store.principals.getByResourceId(host.id), undefined, 'no system principal left behind');
  });

  it('asks authorizeLinks for each newly attached identity only, and stops on refusal', async () => {
    const store = await open();
    const { scope, uamis, host } = await seed(store);
    const a = (await uamis.createOrUpdate(scope, 'rg', 'id-a', { location: 'westus2' })).identity.resource.id;
    const b = (await uamis.createOrUpdate(scope, 'rg', 'id-b', { location: 'westus2' })).identity.resource.id;
    const asked: string[] = [];
    let refuse = '';
    const identities: ResourceIdentities = createResourceIdentities({
      ids: randomIds,
      clock: systemClock,
      authorizeLinks: async (who, links, write) => {
        assert.equal(who, caller);
        assert.deepEqual(write, { action: 'write', scope: host.id });
        for (const id of links) {
          asked.push(id);
          if (id === refuse) throw new DomainError('LinkedAuthorizationFailed', `no assign/action on ${id}`);
        }
      },
    });
    const first = await store.transaction((tx) =>
      identities.apply(tx, {
        rules: VM_RULES,
        host,
        current: null,
        mode: 'replace',
        caller,
        request: { type: 'UserAssigned', userAssignedIdentities: { [a]: {} } },
      }),
    );
    const second = await store.transaction((tx) =>
      identities.apply(tx, { rules: VM_RULES, host, current: first, mode: 'merge', caller, request: { userAssignedIdentities: { [b]: {} } } }),
    );
    assert.deepEqual(asked, [a, b], 'the already attached identity is not asked for again');
    refuse = a;
    await assert.rejects(
      store.transaction((tx) =>
        identities.apply(tx, {
          rules: VM_RULES,
          host,
          current: null,
          mode: 'replace',
          caller,
          request: { type: 'UserAssigned', userAssignedIdentities: { [a]: {} } },
        }),
      ),
      (e: unknown) => e instanceof DomainError && e.code === 'LinkedAuthorizationFailed',
    );
    assert.deepEqual(Object.keys(renderIdentity(VM_RULES, second)!.userAssignedIdentities!), [a, b]);
  });

  it('release deletes the principals of a resource and of what lies below it, nothing else', async () => {
    const store = await open();
    const { scope, uamis, host } = await seed(store);
    const a = (await uamis.createOrUpdate(scope, 'rg', 'id-a', { location: 'westus2' })).identity;
    const identities = createResourceIdentities({ ids: randomIds, clock: systemClock });
    await store.transaction((tx) =>
      identities.apply(tx, {
        rules: VM_RULES,
        host,
        current: null,
        mode: 'replace',
        request: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [a.resource.id]: {} } },
      }),
    );
    assert.equal(await store.transaction((tx) => identities.release(tx, host.id)), 1);
    assert.equal(await store.principals.getByResourceId(host.id), undefined);
    assert.ok(await store.principals.getByResourceId(a.resource.id), 'the attached user-assigned identity stays');
  });

  it('creates a user-assigned identity with its principal, keeps ids across updates, deletes both', async () => {
    const store = await open();
    const { scope, uamis } = await seed(store);
    const { identity, created } = await uamis.createOrUpdate(scope, 'rg', 'My_Identity-1', { location: 'West US 2', tags: { a: '1' } });
    assert.equal(created, true);
    assert.equal(identity.resource.location, 'westus2');
    const principal = await store.principals.getByResourceId(identity.resource.id);
    assert.deepEqual(
      [principal?.objectId, principal?.appId, principal?.kind, principal?.tenantId],
      [identity.principalId, identity.clientId, 'ManagedIdentity', scope.tenantId],
    );
    const again = await uamis.createOrUpdate(scope, 'RG', 'my_identity-1', {
      location: 'westus2',
      tags: { b: '2' },
      properties: { isolationScope: 'regional' },
    });
    assert.equal(again.created, false);
    assert.deepEqual(
      [again.identity.principalId, again.identity.clientId, again.identity.isolationScope],
      [identity.principalId, identity.clientId, 'Regional'],
    );
    assert.deepEqual(again.identity.resource.tags, { b: '2' });
    const patched = await uamis.update(scope, 'rg', 'My_Identity-1', { tags: { c: '3' } });
    assert.deepEqual([patched.resource.tags, patched.isolationScope], [{ c: '3' }, 'Regional']);
    await assert.rejects(
      uamis.update(scope, 'rg', 'My_Identity-1', { location: 'eastus' }),
      (e: unknown) => e instanceof DomainError && e.code === 'InvalidResourceLocation',
    );
    await assert.rejects(
      uamis.createOrUpdate(scope, 'rg', 'My_Identity-1', { location: 'eastus' }),
      (e: unknown) => e instanceof DomainError && e.code === 'InvalidResourceLocation',
    );
    assert.equal(await uamis.delete(scope, 'rg', 'my_identity-1'), true);
    assert.equal(await store.principals.getByResourceId(identity.resource.id), undefined);
    assert.equal(await store.resources.get(identity.resource.id), undefined);
  });
});
