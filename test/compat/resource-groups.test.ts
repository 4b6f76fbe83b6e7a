/**
 * Official Azure SDK packages, unmodified, against a Keyless server started as a user starts it.
 * @azure/identity ClientSecretCredential gets the token; @azure/arm-resources drives resource groups.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { ResourceManagementClient } from '@azure/arm-resources';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

for (const engine of ['sqlite', 'postgres'] as const)
  describe(`Azure SDKs against \`npx keyless serve\` [${engine}]`, () => {
    let server: RunningKeyless;
    let credential: ClientSecretCredential;
    let client: ResourceManagementClient;
    let db: TestDatabase | undefined;

    before(async () => {
      db = engine === 'postgres' ? await createTestDatabase() : undefined;
      server = await startKeyless(db ? { databaseUrl: db.url } : {});
      const b = server.bootstrap;
      credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, {
        authorityHost: b.authorityHost,
        disableInstanceDiscovery: true,
      });
      client = new ResourceManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
    });
    after(async () => {
      await server?.dispose();
      await db?.drop();
    });

    it('writes bootstrap.json with exactly the documented keys, owner-only', async () => {
      const { statSync } = await import('node:fs');
      assert.deepEqual(Object.keys(server.bootstrap), ['tenantId', 'subscriptionId', 'clientId', 'clientSecret', 'armEndpoint', 'authorityHost', 'caCertFile']);
      assert.equal(statSync(`${server.dataDir}/bootstrap.json`).mode & 0o777, 0o600);
      assert.match(server.bootstrap.armEndpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(new URL(server.bootstrap.armEndpoint).port, '0');
      assert.match(server.output(), /export NODE_EXTRA_CA_CERTS=/);
      assert.match(server.output(), /export AZURE_AUTHORITY_HOST=/);
      assert.ok(!server.output().includes(server.bootstrap.clientSecret), 'the secret itself is never printed');
    });

    it('issues a ClientSecretCredential token that verifies against the published JWKS', async () => {
      const token = await credential.getToken('https://management.azure.com/.default');
      assert.ok(token.expiresOnTimestamp > Date.now() + 30 * 60_000);
      const b = server.bootstrap;
      const discovery = (await (await fetch(`${b.authorityHost}/${b.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as {
        jwks_uri: string;
        issuer: string;
      };
      const jwks = await (await fetch(discovery.jwks_uri)).json();
      const header = decodeProtectedHeader(token.token);
      assert.equal(header.alg, 'RS256');
      assert.ok(header.kid);
      assert.equal(header.x5t, header.kid);
      const { payload } = await jwtVerify(token.token, createLocalJWKSet(jwks as never), { audience: 'https://management.azure.com' });
      assert.equal(payload.tid, b.tenantId);
      assert.equal(payload.appid, b.clientId);
      assert.equal(payload.idtyp, 'app');
      assert.equal(payload.ver, '1.0');
      assert.equal(typeof payload.oid, 'string');
      assert.equal(typeof payload.uti, 'string');
    });

    it('creates, gets, checks, lists, tags and deletes resource groups', async () => {
      const created = await client.resourceGroups.createOrUpdate('sdk-rg-1', { location: 'westus2', tags: { env: 'test' } });
      assert.equal(created.name, 'sdk-rg-1');
      assert.equal(created.location, 'westus2');
      assert.equal(created.id, `/subscriptions/${server.bootstrap.subscriptionId}/resourceGroups/sdk-rg-1`);
      assert.equal(created.properties?.provisioningState, 'Succeeded');
      assert.deepEqual(created.tags, { env: 'test' });

      const got = await client.resourceGroups.get('SDK-RG-1');
      assert.equal(got.name, 'sdk-rg-1');

      assert.equal((await client.resourceGroups.checkExistence('sdk-rg-1')).body, true);
      assert.equal((await client.resourceGroups.checkExistence('no-such-rg')).body, false);

      await client.resourceGroups.createOrUpdate('sdk-rg-2', { location: 'eastus' });
      const names: string[] = [];
      for await (const g of client.resourceGroups.list()) names.push(g.name!);
      assert.ok(names.includes('sdk-rg-1') && names.includes('sdk-rg-2'));

      const filtered: string[] = [];
      for await (const g of client.resourceGroups.list({ filter: "tagName eq 'env' and tagValue eq 'test'" })) filtered.push(g.name!);
      assert.deepEqual(filtered, ['sdk-rg-1']);

      const tagged = await client.resourceGroups.update('sdk-rg-2', { tags: { team: 'platform' } });
      assert.deepEqual(tagged.tags, { team: 'platform' });

      await client.resourceGroups.beginDeleteAndWait('sdk-rg-2', { updateIntervalInMs: 100 });
      assert.equal((await client.resourceGroups.checkExistence('sdk-rg-2')).body, false);
      await assert.rejects(
        client.resourceGroups.get('sdk-rg-2'),
        (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'ResourceGroupNotFound',
      );
    });

    it('pages through many resource groups with nextLink', async () => {
      for (let i = 0; i < 7; i++) await client.resourceGroups.createOrUpdate(`page-rg-${i}`, { location: 'westus' });
      const pages: number[] = [];
      for await (const page of client.resourceGroups.list({ top: 3 }).byPage()) pages.push(page.length);
      assert.ok(pages.length >= 3, `expected several pages, got ${JSON.stringify(pages)}`);
      assert.ok(pages.every((n) => n <= 3));
    });
  });
