/**
 * The provider kit's lifecycle service over a real store, on both engines: writes that fail after the
 * system-assigned principal (or a nested resource) was inserted roll back completely; the retry helper
 * re-runs a write that lost a race on its own resource, never one whose nested write conflicted;
 * identity references; child types under their parents.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { DomainError } from '../../src/core/errors.js';
import { randomIds } from '../../src/core/ids.js';
import { createResourceIdentities } from '../../src/core/identities/resource-identities.js';
import { USER_ASSIGNED_IDENTITY_SPEC } from '../../src/core/identities/user-assigned-identities.js';
import type { Store } from '../../src/core/ports.js';
import type { ResourceTarget, TrackedTypeSpec } from '../../src/core/resources/tracked/spec.js';
import { createTrackedResourceService } from '../../src/core/resources/tracked/tracked-resource-service.js';
import { ConcurrentWriteError } from '../../src/core/resources/tracked/write-retry.js';
import { forEachEngine } from '../support/stores.js';

const anyName = (name: string) => {
  if (!/^[a-z0-9-]{1,40}$/i.test(name)) throw new DomainError('InvalidResourceName', `bad name '${name}'`);
};

/** A test type holding identities, with a reference to a user-assigned identity in `properties.ref`. */
const WIDGET: TrackedTypeSpec = {
  namespace: 'Keyless.Test',
  type: 'widgets',
  label: 'widget',
  shape: 'tracked',
  assertName: anyName,
  identity: { rules: { allowSystemAssigned: true, allowUserAssigned: true, typeSpelling: 'compact' }, references: [{ path: 'ref' }] },
};

const GADGET: TrackedTypeSpec = { namespace: 'Keyless.Test', type: 'widgets/gadgets', label: 'gadget', shape: 'proxy', assertName: anyName, parent: WIDGET };

async function seed(store: Store) {
  const tenantId = randomIds.newGuid();
  const subscriptionId = randomIds.newGuid();
  const at = new Date().toISOString();
  await store.tenants.insert({ id: tenantId, displayName: 't', defaultDomain: 't.local', createdAt: at });
  await store.subscriptions.insert({ id: subscriptionId, tenantId, displayName: 's', state: 'Enabled', createdAt: at });
  await store.resourceGroups.insert({
    subscriptionId,
    name: 'rg',
    location: 'westus2',
    managedBy: null,
    tags: {},
    provisioningState: 'Succeeded',
    etag: 'e',
    createdAt: at,
    updatedAt: at,
  });
  const deps = { store, clock: systemClock, ids: randomIds, identities: createResourceIdentities({ ids: randomIds, clock: systemClock }) };
  const target = (name: string, parents?: string[]): ResourceTarget => ({
    subscriptionId,
    tenantId,
    resourceGroup: 'rg',
    name,
    ...(parents ? { parents } : {}),
  });
  return { deps, target, subscriptionId };
}

async function counts(store: Store, subscriptionId: string) {
  const page = await store.resources.listBySubscription(subscriptionId, { limit: 1000 });
  const principals = await Promise.all(page.items.map((r) => store.principals.getByResourceId(r.id)));
  return { resources: page.items.map((r) => r.name).sort(), principals: principals.filter(Boolean).length };
}

forEachEngine('tracked-resource service', (open) => {
  it('rolls back the system-assigned principal when a later step refuses (a missing referenced identity)', async () => {
    const store = await open();
    const { deps, target, subscriptionId } = await seed(store);
    const widgets = createTrackedResourceService(WIDGET, deps);
    const missing = `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope`;
    await assert.rejects(
      widgets.createOrUpdate(target('w1'), { location: 'westus2', identity: { type: 'SystemAssigned' }, properties: { ref: missing } }),
      (e: unknown) => e instanceof DomainError && e.code === 'FailedIdentityOperation' && e.target === 'properties.ref',
    );
    const id = `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Keyless.Test/widgets/w1`;
    assert.equal(await store.principals.getByResourceId(id), undefined, 'the principal inserted before the refusal is gone');
    assert.deepEqual(await counts(store, subscriptionId), { resources: [], principals: 0 });
  });

  it("rolls back a hook's nested write (an identity it created) when the hook then fails", async () => {
    const store = await open();
    const { deps, target, subscriptionId } = await seed(store);
    const identities = createTrackedResourceService(USER_ASSIGNED_IDENTITY_SPEC, deps);
    const failing = createTrackedResourceService(
      {
        ...WIDGET,
        hooks: {
          async onCreate(ctx) {
            await identities.writeInTx(ctx.tx, target(`${ctx.resource.name}-kubelet`), { location: 'westus2' }, 'replace');
            throw new DomainError('InvalidParameter', 'the hook refuses after its nested write');
          },
        },
      },
      deps,
    );
    await assert.rejects(
      failing.createOrUpdate(target('w2'), { location: 'westus2', identity: { type: 'SystemAssigned' } }),
      (e: unknown) => e instanceof DomainError && e.message.includes('hook refuses'),
    );
    assert.deepEqual(await counts(store, subscriptionId), { resources: [], principals: 0 }, 'no identity, no principal, no widget');
  });

  it('resolves identity references and links them under the linked-authorization rule', async () => {
    const store = await open();
    const { deps, target } = await seed(store);
    const uami = (await createTrackedResourceService(USER_ASSIGNED_IDENTITY_SPEC, deps).createOrUpdate(target('ref-id'), { location: 'westus2' })).resource;
    const asked: string[][] = [];
    const linked = createResourceIdentities({
      ids: randomIds,
      clock: systemClock,
      authorizeLinks: async (_c, ids) => {
        asked.push([...ids]);
      },
    });
    const widgets = createTrackedResourceService(WIDGET, { ...deps, identities: linked });
    const caller = { objectId: randomIds.newGuid(), tenantId: 't', appId: randomIds.newGuid(), claims: {} };
    await widgets.createOrUpdate(target('w3'), { location: 'westus2', properties: { ref: uami.id } }, { caller });
    await widgets.update(target('w3'), { tags: { a: 'b' } }, { caller });
    assert.deepEqual(
      asked.filter((a) => a.length > 0),
      [[uami.id]],
      'a reference already held is not asked for again',
    );
    const mustAttach = createTrackedResourceService(
      { ...WIDGET, type: 'strict', identity: { ...WIDGET.identity!, references: [{ path: 'ref', mustBeAttached: true }] } },
      deps,
    );
    await assert.rejects(
      mustAttach.createOrUpdate(target('w4'), { location: 'westus2', properties: { ref: uami.id } }),
      (e: unknown) => e instanceof DomainError && e.code === 'InvalidParameter' && e.message.includes('identity.userAssignedIdentities'),
    );
    const ok = await mustAttach.createOrUpdate(target('w4'), {
      location: 'westus2',
      identity: { type: 'UserAssigned', userAssignedIdentities: { [uami.id]: {} } },
      properties: { ref: uami.id },
    });
    assert.equal(ok.created, true);
  });

  it('re-runs a write that lost a race on its own resource, and reports a nested conflict without re-running', async () => {
    const store = await open();
    const { deps, target } = await seed(store);
    const widgets = createTrackedResourceService(WIDGET, deps);
    // Concurrent PUTs of one new resource: the losers re-run as updates. Under heavy contention a write
    // may lose every attempt; it then answers Azure's 409, never a second create or a 500.
    const settled = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => widgets.createOrUpdate(target('race'), { location: 'westus2', tags: { n: String(i) } })),
    );
    const done = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    assert.equal(done.filter((r) => r.created).length, 1, 'exactly one of the concurrent PUTs created it');
    assert.ok(
      refused.every((e) => e instanceof DomainError && e.code === 'Conflict'),
      String(refused[0]),
    );
    assert.ok(done.length >= 2, 'the retry let at least one loser through as an update');
    let runs = 0;
    const nested = createTrackedResourceService(
      {
        ...WIDGET,
        hooks: {
          async onCreate() {
            runs++;
            throw new ConcurrentWriteError('/subscriptions/x/resourceGroups/rg/providers/Other/things/t', 'thing', 't');
          },
        },
      },
      deps,
    );
    await assert.rejects(nested.createOrUpdate(target('outer'), { location: 'westus2' }), (e: unknown) => e instanceof DomainError && e.code === 'Conflict');
    assert.equal(runs, 1, 'the outer write ran once');
  });

  it('keeps child resources under an existing parent, lists them per parent, deletes them with it', async () => {
    const store = await open();
    const { deps, target, subscriptionId } = await seed(store);
    const widgets = createTrackedResourceService(WIDGET, deps);
    const gadgets = createTrackedResourceService(GADGET, deps);
    await assert.rejects(gadgets.createOrUpdate(target('g1', ['nowidget']), {}), (e: unknown) => e instanceof DomainError && e.code === 'ResourceNotFound');
    await widgets.createOrUpdate(target('p1'), { location: 'westus2' });
    await widgets.createOrUpdate(target('p2'), { location: 'westus2' });
    const g = await gadgets.createOrUpdate(target('g1', ['p1']), { properties: { x: 1 } });
    assert.equal(g.resource.id, `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Keyless.Test/widgets/p1/gadgets/g1`);
    await gadgets.createOrUpdate(target('g2', ['p2']), {});
    const listed = await gadgets.list({ subscriptionId, tenantId: 't', resourceGroup: 'rg', parents: ['p1'] }, {});
    assert.deepEqual(
      listed.items.map((r) => r.name),
      ['g1'],
    );
    await widgets.delete(target('p1'));
    await assert.rejects(gadgets.get(target('g1', ['p1'])), (e: unknown) => e instanceof DomainError && e.code === 'ResourceNotFound');
    assert.ok(await gadgets.get(target('g2', ['p2'])), "the other parent's child stays");
  });
});
