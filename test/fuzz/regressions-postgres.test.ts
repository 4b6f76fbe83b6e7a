/**
 * A named regression the PostgreSQL fuzz run found (test/fuzz/arm-postgres.fuzz.test.ts): PostgreSQL
 * refuses U+0000 in text, so a request naming `%00` in a path was a 500 there (SQLite stores it;
 * bodies are stored as JSON text, where NUL is escaped, and are fine on both). It is the request's
 * fault: a 400 in ARM's envelope, and nothing written (src/storage/faults.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startFuzzServer, storeSnapshot, type FuzzServer } from './fuzz-server.js';

describe('fuzz regressions on PostgreSQL: the NUL character', () => {
  let t: FuzzServer;
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase(process.env['KEYLESS_TEST_PG_URL']);
    t = await startFuzzServer({ databaseUrl: db.url });
    assert.match(t.engine, /^PostgreSQL/);
    const rg = await t.app.inject({
      method: 'PUT',
      url: `/subscriptions/${t.subscriptionId}/resourceGroups/rg?api-version=2025-04-01`,
      headers: { authorization: t.armAuth, 'content-type': 'application/json' },
      payload: '{"location":"westus2"}',
    });
    assert.equal(rg.statusCode, 201, rg.body);
  });
  after(async () => {
    await t?.close();
    await db?.drop();
  });

  it("answers a NUL in a path with a 4xx in ARM's envelope, writing nothing", async () => {
    const group = `/subscriptions/${t.subscriptionId}/resourceGroups/rg`;
    const cases: [string, string, string | undefined][] = [
      ['POST', `${group}/providers/Microsoft.ContainerService/managedClusters/%00x/agentPools/pool/keylessAgentJoin?api-version=2025-05-01`, undefined],
      ['GET', `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a%00b?api-version=2024-11-30`, undefined],
      ['PUT', `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a%00b?api-version=2024-11-30`, '{"location":"westus2"}'],
    ];
    for (const [method, url, payload] of cases) {
      const before = await storeSnapshot(t.store, [t.subscriptionId]);
      const res = await t.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: t.armAuth, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { payload }),
      });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${method} ${url}: ${res.statusCode} ${res.body}`);
      const error = res.json().error;
      assert.equal(typeof error.code, 'string', res.body);
      assert.equal(await storeSnapshot(t.store, [t.subscriptionId]), before, `${method} ${url} wrote something`);
    }
  });
});
