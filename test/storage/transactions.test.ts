/**
 * Transactions on every engine: all-or-nothing, nested calls joining the outer transaction, store
 * queries made inside one using it, and other callers neither seeing nor losing anything because of it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, it } from 'node:test';
import type { Store } from '../../src/core/ports.js';
import { forEachEngine } from '../support/stores.js';
import { errorCodeOf, group, principal, resource, tenant } from './fixtures.js';

forEachEngine('storage transactions', (open) => {
  let store: Store;
  before(async () => {
    store = await open();
  });

  it("commits every write and returns the work's value", async () => {
    const sub = randomUUID();
    const r = resource(sub, 'rg', 'id1');
    const value = await store.transaction(async (tx) => {
      await tx.resourceGroups.insert(group(sub, 'rg'));
      await tx.resources.insert(r);
      return 42;
    });
    assert.equal(value, 42);
    assert.ok(await store.resourceGroups.get(sub, 'rg'));
    assert.deepEqual(await store.resources.get(r.id), r);
  });

  it('rolls back every write when the work throws, and rethrows the same error', async () => {
    const sub = randomUUID();
    const r = resource(sub, 'rg', 'id1');
    const p = principal(tenant().id, { kind: 'ManagedIdentity', resourceId: r.id });
    const boom = new Error('boom');
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.resourceGroups.insert(group(sub, 'rg'));
        await tx.resources.insert(r);
        await tx.principals.insert(p);
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.equal(await store.resourceGroups.get(sub, 'rg'), undefined);
    assert.equal(await store.resources.get(r.id), undefined);
    assert.equal(await store.principals.getByResourceId(r.id), undefined);
  });

  it('rolls back the first half of a change whose second half conflicts', async () => {
    const sub = randomUUID();
    const taken = resource(sub, 'rg', 'taken');
    await store.resources.insert(taken);
    const code = await errorCodeOf(() =>
      store.transaction(async (tx) => {
        await tx.resources.insert(resource(sub, 'rg', 'new-one'));
        await tx.resources.insert(resource(sub, 'rg', 'TAKEN'));
      }),
    );
    assert.equal(code, 'Conflict');
    assert.equal(await store.resources.get(resource(sub, 'rg', 'new-one').id), undefined);
  });

  it('stays usable after a caught Conflict, on both engines alike', async () => {
    const sub = randomUUID();
    await store.resourceGroups.insert(group(sub, 'existing'));
    await store.transaction(async (tx) => {
      assert.equal(await errorCodeOf(() => tx.resourceGroups.insert(group(sub, 'existing'))), 'Conflict');
      await tx.resourceGroups.insert(group(sub, 'after-conflict'));
    });
    assert.ok(await store.resourceGroups.get(sub, 'after-conflict'));
  });

  it('joins a nested transaction to the outer one: the outer throw undoes the inner writes', async () => {
    const sub = randomUUID();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.resourceGroups.insert(group(sub, 'outer'));
        await store.transaction(async (inner) => {
          assert.ok(await inner.resourceGroups.get(sub, 'outer'), 'the inner transaction sees the outer writes');
          await inner.resourceGroups.insert(group(sub, 'inner'));
        });
        assert.ok(await tx.resourceGroups.get(sub, 'inner'));
        throw new Error('outer fails');
      }),
      /outer fails/,
    );
    assert.equal(await store.resourceGroups.get(sub, 'outer'), undefined);
    assert.equal(await store.resourceGroups.get(sub, 'inner'), undefined);
  });

  it('runs store queries made inside a transaction in that transaction (no deadlock, rolled back with it)', async () => {
    const sub = randomUUID();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.resourceGroups.insert(group(sub, 'seen'));
        const seen = await Promise.race([store.resourceGroups.get(sub, 'seen'), sleep(5000, 'timed out', { ref: false })]);
        assert.equal(typeof seen, 'object');
        await store.resourceGroups.insert(group(sub, 'via-store'));
        throw new Error('undo');
      }),
      /undo/,
    );
    assert.equal(await store.resourceGroups.get(sub, 'via-store'), undefined);
  });

  it('keeps other callers out of an open transaction: they neither see its writes nor lose theirs to its rollback', async () => {
    const sub = randomUUID();
    let inside!: () => void;
    const wrote = new Promise<void>((resolve) => {
      inside = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const failing = store.transaction(async (tx) => {
      await tx.resourceGroups.insert(group(sub, 'uncommitted'));
      inside();
      await released;
      throw new Error('rolled back');
    });
    await wrote;
    // Issued while the transaction is open: SQLite makes them wait for its single connection,
    // PostgreSQL runs them on another one; either way they are not part of the transaction.
    const outsideRead = store.resourceGroups.get(sub, 'uncommitted');
    const outsideWrite = store.resourceGroups.insert(group(sub, 'committed'));
    await sleep(50);
    release();
    await assert.rejects(failing, /rolled back/);
    assert.equal(await outsideRead, undefined);
    await outsideWrite;
    assert.ok(await store.resourceGroups.get(sub, 'committed'));
    assert.equal(await store.resourceGroups.get(sub, 'uncommitted'), undefined);
  });

  it('keeps concurrent transactions apart: one rolling back does not undo the other', async () => {
    const sub = randomUUID();
    const names = ['t0', 't1', 't2', 't3'];
    const results = await Promise.allSettled(
      names.map((name, i) =>
        store.transaction(async (tx) => {
          await tx.resourceGroups.insert(group(sub, `${name}-a`));
          await sleep(5);
          await tx.resourceGroups.insert(group(sub, `${name}-b`));
          if (i % 2) throw new Error(`${name} fails`);
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
    );
    const stored = (await store.resourceGroups.list(sub, { limit: 100 })).items.map((g) => g.name);
    assert.deepEqual(stored, ['t0-a', 't0-b', 't2-a', 't2-b']);
  });

  it('refuses a saved tx after its transaction ended, while background work falls back to the store', async () => {
    let saved: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
    let background: Promise<void> | undefined;
    const sub = randomUUID();
    await store.transaction(async (tx) => {
      saved = tx;
      background = sleep(20).then(() => store.resourceGroups.insert(group(sub, 'later')));
    });
    await background;
    assert.ok(await store.resourceGroups.get(sub, 'later'), 'work that outlives the transaction is committed on its own');
    await assert.rejects(saved!.resourceGroups.get(sub, 'later'), /already finished/);
  });
});
