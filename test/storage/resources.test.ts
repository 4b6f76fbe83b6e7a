/**
 * Resource groups and resources on every engine: case-insensitive lookups that keep the created case,
 * Conflict on duplicates, ETag-guarded updates, key-ordered paging with an opaque cursor, and the
 * bulk deletes a group delete relies on.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, it } from 'node:test';
import type { ResourceRecord } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { forEachEngine } from '../support/stores.js';
import { errorCodeOf, group, resource } from './fixtures.js';

forEachEngine('resource storage', (open) => {
  let store: Store;
  before(async () => {
    store = await open();
  });

  it('gets a group by name in any case, keeping its created case, tags and managedBy', async () => {
    const sub = randomUUID();
    const g = group(sub, 'My-Group', { tags: { env: 'prod', 'Cost Center': 'äöü' }, managedBy: '/subscriptions/x/y' });
    await store.resourceGroups.insert(g);
    assert.deepEqual(await store.resourceGroups.get(sub.toUpperCase(), 'my-group'), g);
    assert.equal(await store.resourceGroups.get(randomUUID(), 'My-Group'), undefined, 'groups are per subscription');
    assert.equal(await errorCodeOf(() => store.resourceGroups.insert(group(sub, 'MY-GROUP'))), 'Conflict');
  });

  it('updates a group only while the etag matches, and reports a missing group', async () => {
    const sub = randomUUID();
    const g = group(sub, 'rg1');
    await store.resourceGroups.insert(g);
    const tagged = { ...g, tags: { a: '1' }, etag: randomUUID(), updatedAt: '2024-05-02T00:00:00.000Z' };
    assert.equal(await store.resourceGroups.update(tagged, 'stale-etag'), false);
    assert.deepEqual(await store.resourceGroups.get(sub, 'rg1'), g, 'a failed precondition changes nothing');
    assert.equal(await store.resourceGroups.update(tagged, g.etag), true);
    assert.deepEqual(await store.resourceGroups.get(sub, 'RG1'), tagged);
    const deleting = { ...tagged, provisioningState: 'Deleting' as const };
    assert.equal(await store.resourceGroups.update(deleting), true, 'without ifEtag the update is unconditional');
    assert.equal((await store.resourceGroups.get(sub, 'rg1'))?.provisioningState, 'Deleting');
    assert.equal(await store.resourceGroups.update(group(sub, 'absent')), false);
  });

  it('deletes a group, reporting whether it existed', async () => {
    const sub = randomUUID();
    await store.resourceGroups.insert(group(sub, 'Gone'));
    assert.equal(await store.resourceGroups.delete(sub, 'gone'), true);
    assert.equal(await store.resourceGroups.get(sub, 'Gone'), undefined);
    assert.equal(await store.resourceGroups.delete(sub, 'gone'), false);
  });

  it('pages through 25 groups 10 at a time in case-folded name order, each exactly once', async () => {
    const sub = randomUUID();
    const names = Array.from({ length: 25 }, (_, i) => (i % 2 ? 'RG-' : 'rg-') + String(i).padStart(2, '0'));
    for (const name of [...names].reverse()) await store.resourceGroups.insert(group(sub, name));
    await store.resourceGroups.insert(group(randomUUID(), 'rg-other-subscription'));
    const seen: string[] = [];
    const sizes: number[] = [];
    let after: string | undefined;
    do {
      const page = await store.resourceGroups.list(sub, { limit: 10, ...(after ? { after } : {}) });
      sizes.push(page.items.length);
      seen.push(...page.items.map((g) => g.name));
      after = page.next;
    } while (after);
    assert.deepEqual(sizes, [10, 10, 5]);
    assert.deepEqual(seen, names, 'ordered by lower-cased name, created case kept');
    const exact = await store.resourceGroups.list(randomUUID(), { limit: 10 });
    assert.deepEqual(exact, { items: [] });
  });

  it('refuses a damaged cursor as invalid input, not as a server fault', async () => {
    assert.equal(await errorCodeOf(() => store.resourceGroups.list(randomUUID(), { limit: 10, after: 'not a cursor!' })), 'InvalidParameter');
    assert.equal(await errorCodeOf(() => store.resources.listBySubscription(randomUUID(), { limit: 10, after: 'AAAA' })), 'InvalidParameter');
  });

  it('stores a resource with its JSON parts and gets it by id in any case and slash form', async () => {
    const sub = randomUUID();
    const r = resource(sub, 'Rg', 'Ident-1', {
      tags: { a: 'b' },
      kind: 'v2',
      sku: { name: 'Standard' },
      identity: { type: 'SystemAssigned', principalId: randomUUID() },
      properties: { nested: { list: [1, 'two', null] } },
    });
    await store.resources.insert(r);
    assert.deepEqual(await store.resources.get(r.id.toUpperCase()), r);
    assert.deepEqual(await store.resources.get(r.id.replace('/resourceGroups/', '//resourcegroups/') + '/'), r);
    assert.equal(await errorCodeOf(() => store.resources.insert(resource(sub, 'RG', 'IDENT-1'))), 'Conflict');
  });

  it('updates a resource only while the etag matches, and deletes it once', async () => {
    const r = resource(randomUUID(), 'rg', 'id1');
    await store.resources.insert(r);
    const changed: ResourceRecord = { ...r, tags: { x: 'y' }, properties: { p: 1 }, etag: randomUUID() };
    assert.equal(await store.resources.update(changed, randomUUID()), false);
    assert.deepEqual(await store.resources.get(r.id), r);
    assert.equal(await store.resources.update(changed, r.etag), true);
    assert.deepEqual(await store.resources.get(r.id), changed);
    assert.equal(await store.resources.update(resource(r.subscriptionId, 'rg', 'absent')), false);
    assert.equal(await store.resources.delete(r.id.toLowerCase()), true);
    assert.equal(await store.resources.get(r.id), undefined);
    assert.equal(await store.resources.delete(r.id), false);
  });

  it('lists resources by group and by subscription, optionally of one type, paging in id order', async () => {
    const sub = randomUUID();
    const inA = Array.from({ length: 25 }, (_, i) => resource(sub, 'A', `id-${String(i).padStart(2, '0')}`));
    const vm = resource(sub, 'a', 'vm1', {
      type: 'Microsoft.Compute/virtualMachines',
      id: `/subscriptions/${sub}/resourceGroups/a/providers/Microsoft.Compute/virtualMachines/vm1`,
    });
    const inB = resource(sub, 'B', 'id-b');
    for (const r of [...inA].reverse()) await store.resources.insert(r);
    await store.resources.insert(vm);
    await store.resources.insert(inB);
    await store.resources.insert(resource(randomUUID(), 'A', 'elsewhere'));

    const collect = async (list: (after?: string) => Promise<{ items: ResourceRecord[]; next?: string }>) => {
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const page = await list(after);
        pages.push(page.items.map((r) => r.name));
        after = page.next;
      } while (after);
      return pages;
    };
    const byGroup = await collect((after) => store.resources.listByGroup(sub, 'a', { limit: 10, after }, 'microsoft.managedidentity/USERASSIGNEDIDENTITIES'));
    assert.deepEqual(
      byGroup.map((p) => p.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      byGroup.flat(),
      inA.map((r) => r.name),
    );
    const allInGroup = await collect((after) => store.resources.listByGroup(sub, 'A', { limit: 10, after }));
    assert.deepEqual(allInGroup.flat().sort(), [...inA.map((r) => r.name), 'vm1'].sort());
    const vms = await store.resources.listBySubscription(sub.toUpperCase(), { limit: 10 }, 'Microsoft.Compute/virtualMachines');
    assert.deepEqual(vms, { items: [vm] });
    const all = await collect((after) => store.resources.listBySubscription(sub, { limit: 10, after }));
    assert.equal(all.flat().length, 27);
  });

  it('deletes a resource with its children, leaving siblings whose names share its prefix', async () => {
    const sub = randomUUID();
    const parent = resource(sub, 'rg', 'id1');
    const child = { ...resource(sub, 'rg', 'fic'), id: `${parent.id}/federatedIdentityCredentials/fic`, type: `${parent.type}/federatedIdentityCredentials` };
    const grandchild = { ...resource(sub, 'rg', 'g'), id: `${child.id}/more/g` };
    const siblings = [resource(sub, 'rg', 'id10'), resource(sub, 'rg', 'id1-x'), resource(sub, 'rg', 'id1_')];
    for (const r of [parent, child, grandchild, ...siblings]) await store.resources.insert(r);
    assert.equal(await store.resources.deleteTree(parent.id.toUpperCase()), 3);
    for (const r of [parent, child, grandchild]) assert.equal(await store.resources.get(r.id), undefined);
    for (const r of siblings) assert.ok(await store.resources.get(r.id), r.id);
    assert.equal(await store.resources.deleteTree(parent.id), 0);
  });

  it('deletes every resource of one group and nothing in other groups', async () => {
    const sub = randomUUID();
    for (const name of ['a', 'b', 'c']) await store.resources.insert(resource(sub, 'Doomed', name));
    const keep = [resource(sub, 'Doomed2', 'a'), resource(randomUUID(), 'Doomed', 'a')];
    for (const r of keep) await store.resources.insert(r);
    assert.equal(await store.resources.deleteByGroup(sub.toUpperCase(), 'doomed'), 3);
    assert.deepEqual(await store.resources.listByGroup(sub, 'Doomed', { limit: 10 }), { items: [] });
    for (const r of keep) assert.ok(await store.resources.get(r.id));
    assert.equal(await store.resources.deleteByGroup(sub, 'doomed'), 0);
  });
});
