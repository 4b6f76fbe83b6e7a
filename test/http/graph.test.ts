/**
 * The Microsoft Graph directory read surface, in-process over a real store on both engines, with
 * real signing keys and the real access-token verifier: what az calls to name principals
 * (`directoryObjects/getByIds`) and to resolve `--assignee` (`servicePrincipals?$filter=…`).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { isoTime, systemClock } from '../../src/core/clock.js';
import { createDirectoryReader } from '../../src/core/directory/directory-reader.js';
import { randomIds } from '../../src/core/ids.js';
import type { ServicePrincipal } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { createTokenService, type TokenService } from '../../src/core/tokens/token-service.js';
import { createAccessTokenVerifier } from '../../src/crypto/access-token-verifier.js';
import { createKeyRing, type KeyRing } from '../../src/crypto/key-ring.js';
import { clientSecretHasher } from '../../src/crypto/secrets.js';
import { createSignerPool, type SignerPool } from '../../src/crypto/signer-pool.js';
import { buildApp } from '../../src/http/app.js';
import { createSubscriptionService } from '../../src/core/resources/subscription-service.js';
import { forEachEngine } from '../support/stores.js';

const BASE_URL = 'https://keyless.test:8443';
const GRAPH = 'https://graph.microsoft.com/';

forEachEngine('graph directory reads', (open) => {
  let store: Store;
  let ring: KeyRing;
  let signer: SignerPool;
  let tokens: TokenService;
  let app: FastifyInstance;
  const tenantId = randomIds.newGuid();
  const otherTenantId = randomIds.newGuid();
  const now = isoTime(Date.now());
  const principal = (tenant: string, kind: ServicePrincipal['kind'], displayName: string, resourceId: string | null = null): ServicePrincipal => ({
    objectId: randomIds.newGuid(),
    appId: randomIds.newGuid(),
    tenantId: tenant,
    displayName,
    kind,
    resourceId,
    createdAt: now,
  });
  const app1 = principal(tenantId, 'Application', 'deployer');
  const identityId = `/subscriptions/${randomIds.newGuid()}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity`;
  const mi = principal(tenantId, 'ManagedIdentity', 'myIdentity', identityId);
  const foreign = principal(otherTenantId, 'Application', 'foreign app');

  const tokenFor = async (p: ServicePrincipal, audience = GRAPH) =>
    `Bearer ${(await tokens.issueToken({ principal: p, audience, version: '1.0', lifetimeSeconds: 600 })).accessToken}`;
  const call = async (method: 'GET' | 'POST', url: string, options: { auth?: string; body?: unknown } = {}) => {
    const res = await app.inject({
      method,
      url,
      headers: { ...(options.auth ? { authorization: options.auth } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
    });
    return { status: res.statusCode, headers: res.headers, json: res.json() as Record<string, any> };
  };

  before(async () => {
    store = await open();
    await store.tenants.insert({ id: tenantId, displayName: 'Keyless Directory', defaultDomain: 'keyless.local', createdAt: now });
    await store.tenants.insert({ id: otherTenantId, displayName: 'Other', defaultDomain: 'other.local', createdAt: now });
    for (const p of [app1, mi, foreign]) await store.principals.insert(p);
    ring = createKeyRing({ store, clock: systemClock, policy: { periodSeconds: 14 * 86400, maxTokenLifetimeSeconds: 86400 } });
    await ring.start();
    signer = createSignerPool({ threads: 1, key: ring.current() });
    const baseUrl = () => BASE_URL;
    tokens = createTokenService({
      repos: store,
      signer,
      clock: systemClock,
      baseUrl,
      secrets: clientSecretHasher,
      config: { appTokenLifetimeSeconds: 3599, issuerMode: 'keyless' },
    });
    const verifier = createAccessTokenVerifier({ keys: ring, issuers: tokens.issuers, clock: systemClock });
    // The whole application as the server builds it, so routing next to ARM and OAuth is covered too.
    app = await buildApp({
      base: { logger: false },
      oauth: { tokens, keys: ring, baseUrl, clock: systemClock },
      arm: {
        subscriptions: createSubscriptionService(store),
        providers: [],
        verifier,
        clock: systemClock,
        baseUrl,
        defaultTenantId: tenantId,
      },
      graph: { directory: createDirectoryReader(store.principals), verifier, baseUrl, defaultTenantId: tenantId },
    });
  });
  after(async () => {
    await app?.close();
    ring?.stop();
    await signer?.close();
    await store?.close();
  });

  it("getByIds returns the tenant's principals with Graph's servicePrincipal shape, skipping unknown ids", async () => {
    const unknown = randomIds.newGuid();
    const res = await call('POST', '/v1.0/directoryObjects/getByIds', {
      auth: await tokenFor(app1),
      body: { ids: [app1.objectId, unknown, mi.objectId.toUpperCase()], types: ['user', 'group', 'servicePrincipal', 'directoryObjectPartnerReference'] },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.json['value'].map((v: any) => v.id),
      [app1.objectId, mi.objectId],
    );
    const [a, m] = res.json['value'];
    assert.equal(a['@odata.type'], '#microsoft.graph.servicePrincipal');
    assert.equal(a.appId, app1.appId);
    assert.equal(a.displayName, 'deployer');
    assert.equal(a.servicePrincipalType, 'Application');
    assert.deepEqual(a.servicePrincipalNames, [app1.appId]);
    assert.equal(m.servicePrincipalType, 'ManagedIdentity');
    assert.deepEqual(m.servicePrincipalNames, [mi.appId, identityId]);
    assert.deepEqual(m.alternativeNames, ['isExplicit=True', identityId]);
  });

  it('getByIds asked only for users or groups returns nothing; a malformed id or body is a Graph 400', async () => {
    const auth = await tokenFor(app1);
    const users = await call('POST', '/v1.0/directoryObjects/getByIds', { auth, body: { ids: [app1.objectId], types: ['user', 'group'] } });
    assert.deepEqual(users.json['value'], []);
    const bad = await call('POST', '/v1.0/directoryObjects/getByIds', { auth, body: { ids: ['not-a-guid'] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json['error'].code, 'Request_BadRequest');
    assert.match(bad.json['error'].message, /Invalid object identifier 'not-a-guid'/);
    const noIds = await call('POST', '/v1.0/directoryObjects/getByIds', { auth, body: { types: [] } });
    assert.equal(noIds.status, 400);
    assert.match(noIds.json['error'].message, /'ids'/);
  });

  it('servicePrincipals filters by appId and by service principal name (az --assignee)', async () => {
    const auth = await tokenFor(mi);
    const byAppId = await call('GET', `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${app1.appId}'`)}`, { auth });
    assert.equal(byAppId.status, 200);
    assert.deepEqual(
      byAppId.json['value'].map((v: any) => v.id),
      [app1.objectId],
    );
    const bySpn = await call('GET', `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`servicePrincipalNames/any(c:c eq '${identityId}')`)}`, { auth });
    assert.deepEqual(
      bySpn.json['value'].map((v: any) => v.id),
      [mi.objectId],
    );
    const none = await call('GET', `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${randomIds.newGuid()}'`)}`, { auth });
    assert.deepEqual(none.json['value'], []);
    const unsupported = await call('GET', `/v1.0/servicePrincipals?$filter=${encodeURIComponent("startswith(displayName,'d')")}`, { auth });
    assert.equal(unsupported.status, 400);
    assert.equal(unsupported.json['error'].code, 'Request_UnsupportedQuery');
  });

  it('servicePrincipals/{id} returns one principal, and 404 Request_ResourceNotFound for an unknown id', async () => {
    const auth = await tokenFor(app1);
    const found = await call('GET', `/v1.0/servicePrincipals/${mi.objectId}`, { auth });
    assert.equal(found.status, 200);
    assert.equal(found.json['appId'], mi.appId);
    const missing = await call('GET', `/v1.0/servicePrincipals/${randomIds.newGuid()}`, { auth });
    assert.equal(missing.status, 404);
    assert.equal(missing.json['error'].code, 'Request_ResourceNotFound');
  });

  it('refuses a call without a token, or with a token for another audience, with 401 and a challenge', async () => {
    const none = await call('POST', '/v1.0/directoryObjects/getByIds', { body: { ids: [app1.objectId] } });
    assert.equal(none.status, 401);
    assert.equal(none.json['error'].code, 'InvalidAuthenticationToken');
    assert.match(String(none.headers['www-authenticate']), /^Bearer authorization_uri=/);
    const arm = await call('GET', `/v1.0/servicePrincipals/${app1.objectId}`, { auth: await tokenFor(app1, 'https://management.azure.com/') });
    assert.equal(arm.status, 401);
    assert.match(arm.json['error'].message, /audience/i);
    // And a Graph token does not open ARM.
    const armCall = await app.inject({ method: 'GET', url: '/subscriptions?api-version=2022-12-01', headers: { authorization: await tokenFor(app1) } });
    assert.equal(armCall.statusCode, 401);
  });

  it("never returns another tenant's principals", async () => {
    const auth = await tokenFor(app1);
    const byIds = await call('POST', '/v1.0/directoryObjects/getByIds', { auth, body: { ids: [foreign.objectId, app1.objectId] } });
    assert.deepEqual(
      byIds.json['value'].map((v: any) => v.id),
      [app1.objectId],
    );
    const byAppId = await call('GET', `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${foreign.appId}'`)}`, { auth });
    assert.deepEqual(byAppId.json['value'], []);
    assert.equal((await call('GET', `/v1.0/servicePrincipals/${foreign.objectId}`, { auth })).status, 404);
    // The other tenant's own caller sees it.
    const own = await call('GET', `/v1.0/servicePrincipals/${foreign.objectId}`, { auth: await tokenFor(foreign) });
    assert.equal(own.json['displayName'], 'foreign app');
  });

  it('answers a path it does not serve under /v1.0 with a Graph error, leaving other 404s to ARM', async () => {
    const res = await call('GET', '/v1.0/users', { auth: await tokenFor(app1) });
    assert.equal(res.status, 400);
    assert.equal(res.json['error'].code, 'BadRequest');
    assert.match(res.json['error'].message, /segment 'users'/);
    const elsewhere = await app.inject({ method: 'GET', url: '/nothing/here' });
    assert.equal(elsewhere.statusCode, 404);
    assert.equal(elsewhere.json().error.code, 'NotFound');
  });
});
