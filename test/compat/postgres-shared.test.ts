/**
 * Several servers on one PostgreSQL database, started at the same moment: migrations and bootstrap
 * run once, all servers share tenant, subscription, resources and signing keys.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../support/postgres.js';
import { openStore } from '../../src/storage/store.js';
import { freePort, armToken as token, startKeyless, type RunningKeyless } from '../support/keyless.js';

/** Servers sharing a database share the key that seals signing keys at rest. */
const sharedKek = randomBytes(32).toString('base64');

describe('servers sharing one PostgreSQL database', () => {
  const servers: RunningKeyless[] = [];
  let drop: (() => Promise<void>) | undefined;
  after(async () => {
    for (const s of servers) await s.dispose();
    await drop?.();
  });

  it("start together, bootstrap once, and see each other's writes and tokens", async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    // Servers behind one address share its public URL (it names the token issuer); here the first
    // server's own address plays the load balancer, and the test also calls the others directly.
    const ports = [await freePort(), await freePort(), await freePort()];
    const publicUrl = `https://127.0.0.1:${ports[0]}`;
    servers.push(
      ...(await Promise.all(
        ports.map((port) =>
          startKeyless({ databaseUrl: db.url, via: 'node', port, extraArgs: ['--public-url', publicUrl], env: { KEYLESS_KEY_ENCRYPTION_KEY: sharedKek } }),
        ),
      )),
    );
    const [a, b, c] = servers.map((s) => s.bootstrap) as [(typeof servers)[0]['bootstrap'], (typeof servers)[0]['bootstrap'], (typeof servers)[0]['bootstrap']];
    const direct = (i: number) => `https://127.0.0.1:${ports[i]}`;
    assert.equal(new Set([a.tenantId, b.tenantId, c.tenantId]).size, 1, 'one tenant');
    assert.equal(new Set([a.subscriptionId, b.subscriptionId, c.subscriptionId]).size, 1, 'one subscription');
    assert.equal(new Set([a.clientId, b.clientId, c.clientId]).size, 1, 'one admin application');
    assert.equal(a.armEndpoint, publicUrl);
    assert.equal(c.armEndpoint, publicUrl);

    const tokenFromA = await token(a);
    // Each server's own admin secret works (each data dir got its own secret for the same admin).
    await token({ ...b, authorityHost: direct(1) });
    assert.notEqual(b.clientSecret, a.clientSecret);
    const put = await fetch(`${a.armEndpoint}/subscriptions/${a.subscriptionId}/resourceGroups/shared-rg?api-version=2021-04-01`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokenFromA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ location: 'northeurope' }),
    });
    assert.equal(put.status, 201, await put.clone().text());
    // A token signed by A is accepted by C (signing keys live in the shared database), and C sees A's group.
    const got = await fetch(`${direct(2)}/subscriptions/${c.subscriptionId}/resourceGroups/shared-rg?api-version=2021-04-01`, {
      headers: { authorization: `Bearer ${tokenFromA}` },
    });
    assert.equal(got.status, 200, await got.clone().text());
  });

  it('a server with another key encryption key refuses to start, saying why', async () => {
    const db = await createTestDatabase();
    try {
      const first = await startKeyless({ databaseUrl: db.url, via: 'node', env: { KEYLESS_KEY_ENCRYPTION_KEY: sharedKek } });
      servers.push(first);
      await assert.rejects(
        startKeyless({ databaseUrl: db.url, via: 'node', env: { KEYLESS_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') } }),
        /could not start: the signing keys in the database are sealed with another key encryption key .*KEYLESS_KEY_ENCRYPTION_KEY/,
      );
      // What a copy of the database holds: sealed keys only, no private key in clear.
      const store = await openStore({ databaseUrl: db.url, sqliteFile: '/nonexistent' });
      try {
        const keys = await store.signingKeys.list();
        assert.ok(keys.length >= 2);
        for (const k of keys) assert.ok(k.privateKeyPem.startsWith('kek1.') && !k.privateKeyPem.includes('PRIVATE KEY'));
      } finally {
        await store.close();
      }
    } finally {
      for (const s of servers.splice(0)) await s.dispose();
      await db.drop();
    }
  });
});
