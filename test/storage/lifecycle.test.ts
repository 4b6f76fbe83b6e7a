/**
 * Opening, closing and migrating stores: data survives a restart, migrations run once even when
 * several servers open one PostgreSQL database at the same moment, and a database from a newer
 * Keyless is refused rather than misread.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Store } from '../../src/core/ports.js';
import { MIGRATIONS } from '../../src/storage/migrations.js';
import { createPostgresStore, openStore, type OpenStoreOptions } from '../../src/storage/store.js';
import { createHarness, forEachEngine } from '../support/stores.js';
import { group, resource, signingKey, tenant } from './fixtures.js';

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

/** Runs one SQL statement directly on the database behind `location`, bypassing the store. */
async function rawQuery(location: OpenStoreOptions, text: string): Promise<Record<string, unknown>[]> {
  if (location.databaseUrl) {
    const client = new pg.Client({ connectionString: location.databaseUrl });
    await client.connect();
    try {
      return (await client.query(text)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  }
  const db = new Database(location.sqliteFile);
  try {
    const stmt = db.prepare(text);
    return stmt.reader ? (stmt.all() as Record<string, unknown>[]) : (stmt.run(), []);
  } finally {
    db.close();
  }
}

forEachEngine('store lifecycle', (open, harness) => {
  it('opens the engine it was asked for', async () => {
    const store = await open();
    assert.equal(store.engine, harness.engine);
  });

  it('keeps every record across close and reopen, and does not migrate twice', async () => {
    const first = await open();
    const t = tenant();
    const r = resource(randomUUID(), 'rg', 'kept', { tags: { a: 'b' } });
    const key = signingKey();
    await first.tenants.insert(t);
    await first.transaction(async (tx) => {
      await tx.resourceGroups.insert(group(r.subscriptionId, 'rg'));
      await tx.resources.insert(r);
    });
    await first.signingKeys.insert(key);
    await first.meta.put('bootstrap', '{"x":1}');
    await first.close();

    const second = await harness.reopen(first);
    assert.deepEqual(await second.tenants.get(t.id), t);
    assert.deepEqual(await second.resources.get(r.id), r);
    assert.deepEqual(await second.signingKeys.list(), [key]);
    assert.equal(await second.meta.get('bootstrap'), '{"x":1}');
    const versions = await rawQuery(harness.locationOf(second), 'select version from keyless_migrations order by version');
    assert.deepEqual(
      versions.map((v) => Number(v.version)),
      MIGRATIONS.map((m) => m.version).sort((a, b) => a - b),
    );
  });

  it('refuses a database migrated by a newer Keyless, naming both versions', async () => {
    const store = await open();
    const location = harness.locationOf(store);
    await store.close();
    await rawQuery(location, `insert into keyless_migrations (version, name, applied_at) values (${LATEST + 1}, 'future', '2030-01-01')`);
    await assert.rejects(openStore(location), new RegExp(`version ${LATEST + 1}, newer than this Keyless supports \\(${LATEST}\\)`));
  });
});

describe('SQLite file', () => {
  const harness = createHarness('sqlite');
  after(() => harness.dispose());

  it('is in WAL mode, so readers do not block the writer', async () => {
    const store = await harness.open();
    const rows = await rawQuery(harness.locationOf(store), 'pragma journal_mode');
    assert.equal(rows[0]?.journal_mode, 'wal');
  });

  it('holds a committed write for another process the moment the call returns', async () => {
    const store = await harness.open();
    const t = tenant();
    await store.tenants.insert(t);
    const rows = await rawQuery(harness.locationOf(store), `select id from tenants where id_key = '${t.id.toLowerCase()}'`);
    assert.deepEqual(rows, [{ id: t.id }]);
  });
});

describe('PostgreSQL shared by several servers', () => {
  const harness = createHarness('postgres');
  after(() => harness.dispose());

  it('lets three stores open one fresh database at once: one migration, one shared data set', async () => {
    const location = await harness.createLocation();
    const stores: Store[] = await Promise.all([0, 1, 2].map(() => openStore(location)));
    try {
      const versions = await rawQuery(location, 'select version from keyless_migrations order by version');
      assert.deepEqual(
        versions.map((v) => Number(v.version)),
        MIGRATIONS.map((m) => m.version).sort((a, b) => a - b),
      );
      const [a, b, c] = stores as [Store, Store, Store];
      const t = tenant();
      await a.tenants.insert(t);
      assert.deepEqual(await b.tenants.get(t.id), t);
      assert.deepEqual(await c.tenants.get(t.id), t);
      const claims = await Promise.all(stores.map((s, i) => s.meta.putIfAbsent('bootstrap', `server-${i}`)));
      assert.equal(new Set(claims).size, 1, 'exactly one server wins the bootstrap claim');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('reports an unreachable server without revealing the password in the URL', async () => {
    await assert.rejects(
      createPostgresStore({ url: 'postgres://keyless:hunter2-secret@127.0.0.1:1/keyless' }),
      (error: Error) =>
        /cannot open the PostgreSQL store at postgres:\/\/keyless:\*\*\*@127\.0\.0\.1:1\/keyless/.test(error.message) && !error.message.includes('hunter2'),
    );
  });
});
