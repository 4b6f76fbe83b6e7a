/**
 * Tenants, subscriptions, principals, client secrets, signing keys, operations and meta values on
 * every engine: case-insensitive lookups, Conflict on duplicates, booleans from delete/update.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { Store } from '../../src/core/ports.js';
import { forEachEngine } from '../support/stores.js';
import { clientSecret, errorCodeOf, operation, principal, signingKey, subscription, tenant } from './fixtures.js';

forEachEngine('directory storage', (open) => {
  let store: Store;
  before(async () => {
    store = await open();
  });

  it('gets a tenant by id in any case, keeps its case, lists in key order, and refuses a duplicate', async () => {
    const a = tenant({ id: 'B2C3D4E5-0000-4000-8000-00000000000B' });
    const b = tenant({ id: 'a1b2c3d4-0000-4000-8000-00000000000a' });
    await store.tenants.insert(a);
    await store.tenants.insert(b);
    assert.deepEqual(await store.tenants.get(a.id.toLowerCase()), a);
    assert.equal(await store.tenants.get('00000000-0000-4000-8000-000000000000'), undefined);
    const ids = (await store.tenants.list()).map((t) => t.id);
    assert.deepEqual(
      ids.filter((id) => id === a.id || id === b.id),
      [b.id, a.id],
    );
    assert.equal(await errorCodeOf(() => store.tenants.insert({ ...a, id: a.id.toLowerCase() })), 'Conflict');
  });

  it('lists subscriptions of one tenant or all, and gets them case-insensitively', async () => {
    const t1 = tenant();
    const t2 = tenant();
    const s1 = subscription(t1.id);
    const s2 = subscription(t2.id, { state: 'Disabled' });
    await store.subscriptions.insert(s1);
    await store.subscriptions.insert(s2);
    assert.deepEqual(await store.subscriptions.list(t1.id.toUpperCase()), [s1]);
    const all = await store.subscriptions.list();
    assert.ok(all.some((s) => s.id === s1.id) && all.some((s) => s.id === s2.id));
    assert.deepEqual(await store.subscriptions.get(s2.id.toUpperCase()), s2);
    assert.equal(await errorCodeOf(() => store.subscriptions.insert(s1)), 'Conflict');
  });

  it('finds a principal by object id, app id and managed-identity resource id, in any case', async () => {
    const t = tenant();
    const app = principal(t.id);
    const rid = '/subscriptions/S1/resourceGroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/Id1';
    const mi = principal(t.id, { kind: 'ManagedIdentity', resourceId: rid, displayName: 'Id1' });
    await store.principals.insert(app);
    await store.principals.insert(mi);
    assert.deepEqual(await store.principals.getByObjectId(t.id.toUpperCase(), app.objectId.toUpperCase()), app);
    assert.deepEqual(await store.principals.getByAppId(t.id, mi.appId.toUpperCase()), mi);
    assert.deepEqual(await store.principals.getByResourceId(rid.toLowerCase().replace('/resourcegroups/', '//resourcegroups/')), mi);
    assert.equal(await store.principals.getByAppId(tenant().id, app.appId), undefined, 'app ids are per tenant');
    assert.equal(await store.principals.getByResourceId('/subscriptions/s1'), undefined);
  });

  it('refuses a principal whose object id, app id or resource id is taken', async () => {
    const t = tenant();
    const rid = '/subscriptions/s2/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1';
    const first = principal(t.id, { kind: 'ManagedIdentity', resourceId: rid });
    await store.principals.insert(first);
    assert.equal(await errorCodeOf(() => store.principals.insert(principal(t.id, { objectId: first.objectId.toUpperCase() }))), 'Conflict');
    assert.equal(await errorCodeOf(() => store.principals.insert(principal(t.id, { appId: first.appId }))), 'Conflict');
    assert.equal(await errorCodeOf(() => store.principals.insert(principal(t.id, { kind: 'ManagedIdentity', resourceId: rid.toUpperCase() }))), 'Conflict');
    // Applications have no resource id: any number of them may exist.
    await store.principals.insert(principal(t.id));
    await store.principals.insert(principal(t.id));
  });

  it('deletes one principal, reporting whether it existed', async () => {
    const p = principal(tenant().id);
    await store.principals.insert(p);
    assert.equal(await store.principals.delete(p.tenantId, p.objectId.toUpperCase()), true);
    assert.equal(await store.principals.getByObjectId(p.tenantId, p.objectId), undefined);
    assert.equal(await store.principals.delete(p.tenantId, p.objectId), false);
  });

  it('deletes the managed identities at and below a scope, and nothing beside it', async () => {
    const t = tenant();
    const rg = '/subscriptions/s3/resourceGroups/Scope-RG';
    const inside = [`${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a`, `${rg}/providers/Microsoft.Compute/virtualMachines/vm/extensions/x`];
    const outside = [`${rg}2/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a`, '/subscriptions/s3/resourceGroups/scope-r'];
    for (const resourceId of [...inside, ...outside, rg]) {
      await store.principals.insert(principal(t.id, { kind: 'ManagedIdentity', resourceId }));
    }
    const app = principal(t.id);
    await store.principals.insert(app);
    assert.equal(await store.principals.deleteByResourceScope(rg.toLowerCase()), 3);
    for (const resourceId of [...inside, rg]) assert.equal(await store.principals.getByResourceId(resourceId), undefined);
    for (const resourceId of outside) assert.ok(await store.principals.getByResourceId(resourceId), resourceId);
    assert.ok(await store.principals.getByObjectId(t.id, app.objectId));
  });

  it("lists an app's client secrets, deletes one by key id, and refuses a duplicate key id", async () => {
    const t = tenant();
    const appId = principal(t.id).appId;
    const s1 = clientSecret(t.id, appId, { id: '11111111-0000-4000-8000-000000000000', expiresAt: '2025-01-01T00:00:00.000Z' });
    const s2 = clientSecret(t.id, appId, { id: '22222222-0000-4000-8000-000000000000' });
    await store.clientSecrets.insert(s2);
    await store.clientSecrets.insert(s1);
    await store.clientSecrets.insert(clientSecret(t.id, principal(t.id).appId));
    assert.deepEqual(await store.clientSecrets.listByApp(t.id, appId.toUpperCase()), [s1, s2]);
    assert.equal(await errorCodeOf(() => store.clientSecrets.insert(s1)), 'Conflict');
    assert.equal(await store.clientSecrets.delete(t.id, s1.id.toUpperCase()), true);
    assert.equal(await store.clientSecrets.delete(t.id, s1.id), false);
    assert.deepEqual(await store.clientSecrets.listByApp(t.id, appId), [s2]);
  });

  it('keeps signing keys in activation order, with kid compared exactly, and deletes expired ones', async () => {
    const own = await open();
    const older = signingKey({ kid: 'AbC', activatesAt: '2024-01-01T00:00:00.000Z', expiresAt: '2024-03-01T00:00:00.000Z' });
    const current = signingKey({ kid: 'abc', activatesAt: '2024-02-01T00:00:00.000Z', expiresAt: '2024-04-01T00:00:00.000Z' });
    const next = signingKey({ activatesAt: '2024-03-01T00:00:00.000Z', expiresAt: '2024-05-01T00:00:00.000Z' });
    for (const k of [next, older, current]) await own.signingKeys.insert(k);
    assert.deepEqual(await own.signingKeys.list(), [older, current, next]);
    assert.equal(await errorCodeOf(() => own.signingKeys.insert(current)), 'Conflict');
    assert.equal(await own.signingKeys.deleteExpired('2024-03-15T00:00:00.000Z'), 1);
    assert.deepEqual(await own.signingKeys.list(), [current, next]);
  });

  it('stores an operation, updates its status and error, and gets it in any case', async () => {
    const op = operation('s4');
    await store.operations.insert(op);
    assert.deepEqual(await store.operations.get(op.id.toUpperCase()), op);
    const failed = { ...op, status: 'Failed' as const, endTime: '2024-05-01T10:01:00.000Z', error: { code: 'Conflict', message: 'busy' } };
    assert.equal(await store.operations.update(failed), true);
    assert.deepEqual(await store.operations.get(op.id), failed);
    assert.equal(await store.operations.update(operation('s4')), false);
    assert.equal(await errorCodeOf(() => store.operations.insert(op)), 'Conflict');
  });

  it('keeps the first value of putIfAbsent, even among concurrent callers, and overwrites with put', async () => {
    assert.equal(await store.meta.get('defaultTenant'), undefined);
    const winners = await Promise.all(['a', 'b', 'c'].map((v) => store.meta.putIfAbsent('defaultTenant', v)));
    assert.equal(new Set(winners).size, 1);
    assert.equal(await store.meta.get('DEFAULTTENANT'), winners[0]);
    await store.meta.put('defaultTenant', 'z');
    assert.equal(await store.meta.putIfAbsent('defaultTenant', 'y'), 'z');
  });
});
