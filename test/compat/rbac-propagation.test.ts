/**
 * Propagation: two servers on one PostgreSQL database. A role assignment made through server A is
 * effective on A at once and on B within one second; so is its deletion.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { createTestDatabase } from '../support/postgres.js';
import { randomBytes } from 'node:crypto';
import { freePort, startKeyless, type RunningKeyless } from '../support/keyless.js';

/** Servers sharing a database share the key that seals signing keys at rest. */
const sharedKek = randomBytes(32).toString('base64');
import { addTestApp, armToken } from './rbac-fixture.js';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

async function adminToken(url: string, b: { tenantId: string; clientId: string; clientSecret: string }): Promise<string> {
  const res = await fetch(`${url}/${b.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: b.clientId,
      client_secret: b.clientSecret,
      scope: 'https://management.azure.com/.default',
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Polls `probe` until it returns `want` or `ms` pass; returns the elapsed milliseconds or -1. */
async function within(ms: number, want: number, probe: () => Promise<number>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if ((await probe()) === want) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  return -1;
}

describe('RBAC propagation between servers sharing PostgreSQL', () => {
  const servers: RunningKeyless[] = [];
  let drop: (() => Promise<void>) | undefined;
  after(async () => {
    for (const s of servers) await s.dispose();
    await drop?.();
  });

  it('an assignment made on A is effective on A at once and on B within 1 s, and so is its removal', async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    const ports = [await freePort(), await freePort()];
    const publicUrl = `https://127.0.0.1:${ports[0]}`;
    servers.push(
      ...(await Promise.all(
        ports.map((port) =>
          startKeyless({ databaseUrl: db.url, via: 'node', port, extraArgs: ['--public-url', publicUrl], env: { KEYLESS_KEY_ENCRYPTION_KEY: sharedKek } }),
        ),
      )),
    );
    const [a] = servers as [RunningKeyless, RunningKeyless];
    const direct = (i: number) => `https://127.0.0.1:${ports[i]}`;
    const sub = a.bootstrap.subscriptionId;
    const app = await addTestApp(a, 'propagation-app', db.url);
    const appToken = await armToken(app.credential);
    const admin = await adminToken(direct(0), a.bootstrap);
    const readOn = (i: number) => async () =>
      (await fetch(`${direct(i)}/subscriptions/${sub}/resourceGroups?api-version=2021-04-01`, { headers: { authorization: `Bearer ${appToken}` } })).status;

    assert.equal(await readOn(0)(), 403);
    assert.equal(await readOn(1)(), 403);
    const name = randomUUID();
    const assignment = `${direct(0)}/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
    const put = await fetch(assignment, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        properties: { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: app.objectId },
      }),
    });
    assert.equal(put.status, 201, await put.clone().text());
    assert.equal(await readOn(0)(), 200, 'effective at once on the server that took the write');
    const onB = await within(1000, 200, readOn(1));
    assert.ok(onB >= 0, 'effective on B within 1 s');

    const del = await fetch(assignment, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(del.status, 200);
    assert.equal(await readOn(0)(), 403);
    assert.ok((await within(1000, 403, readOn(1))) >= 0, 'removal effective on B within 1 s');
  });
});
