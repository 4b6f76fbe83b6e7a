import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { BASE_URL, CLIENT_ID, createOAuthFixture, DOMAIN, form, TENANT_ID, type OAuthFixture } from './oauth-fixture.js';

type Fixture = OAuthFixture & { dir: string; dispose(): Promise<void> };
const ARM = 'https://management.azure.com/';

describe('discovery and JWKS', () => {
  let f: Fixture;
  before(async () => {
    f = await createOAuthFixture();
  });
  after(() => f.dispose());

  it('v2 document: what MSAL requires, on this server’s base URL', async () => {
    const res = await f.app.inject(`/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.issuer, `${BASE_URL}/${TENANT_ID}/v2.0`);
    assert.equal(doc.token_endpoint, `${BASE_URL}/${TENANT_ID}/oauth2/v2.0/token`);
    assert.equal(doc.authorization_endpoint, `${BASE_URL}/${TENANT_ID}/oauth2/v2.0/authorize`);
    assert.equal(doc.jwks_uri, `${BASE_URL}/${TENANT_ID}/discovery/v2.0/keys`);
    assert.equal(doc.end_session_endpoint, `${BASE_URL}/${TENANT_ID}/oauth2/v2.0/logout`);
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256']);
    assert.ok(doc.token_endpoint_auth_methods_supported.includes('client_secret_post'));
    assert.ok(doc.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
  });

  it('v1 document: v1 issuer and endpoints', async () => {
    const doc = (await f.app.inject(`/${TENANT_ID}/.well-known/openid-configuration`)).json();
    assert.equal(doc.issuer, `${BASE_URL}/${TENANT_ID}/`);
    assert.equal(doc.token_endpoint, `${BASE_URL}/${TENANT_ID}/oauth2/token`);
    assert.equal(doc.jwks_uri, `${BASE_URL}/${TENANT_ID}/discovery/keys`);
  });

  it('resolves a domain to the tenant id, and answers common with the {tenantid} template', async () => {
    const byDomain = (await f.app.inject(`/${DOMAIN}/v2.0/.well-known/openid-configuration`)).json();
    assert.equal(byDomain.token_endpoint, `${BASE_URL}/${TENANT_ID}/oauth2/v2.0/token`);
    const common = (await f.app.inject('/common/v2.0/.well-known/openid-configuration')).json();
    assert.equal(common.issuer, `${BASE_URL}/{tenantid}/v2.0`);
    assert.equal(common.token_endpoint, `${BASE_URL}/common/oauth2/v2.0/token`);
    const organizations = await f.app.inject('/Organizations/v2.0/.well-known/openid-configuration');
    assert.equal(organizations.statusCode, 200);
  });

  it('answers an unknown tenant with invalid_tenant AADSTS90002', async () => {
    const res = await f.app.inject('/0b5c8c0e-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration');
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_tenant');
    assert.deepEqual(res.json().error_codes, [90002]);
  });

  it('serves the same keys at every JWKS path; v2 keys name their issuer', async () => {
    const paths = [
      `/${TENANT_ID}/discovery/v2.0/keys`,
      `/${TENANT_ID}/discovery/keys`,
      '/common/discovery/keys',
      '/common/discovery/v2.0/keys',
      '/discovery/keys',
    ];
    const sets = await Promise.all(paths.map(async (p) => (await f.app.inject(p)).json() as { keys: { kid: string; issuer?: string }[] }));
    const kids = sets.map((s) => s.keys.map((k) => k.kid).join(','));
    assert.equal(new Set(kids).size, 1);
    assert.equal(sets[0]!.keys.length, 2, 'current and next');
    assert.equal(sets[0]!.keys[0]!.issuer, `${BASE_URL}/${TENANT_ID}/v2.0`);
    assert.equal(sets[1]!.keys[0]!.issuer, undefined);
    assert.equal(sets[3]!.keys[0]!.issuer, `${BASE_URL}/{tenantid}/v2.0`);
  });
});

describe('a token from the endpoint, checked the way a resource server does', () => {
  let f: Fixture;
  let base = '';
  before(async () => {
    f = await createOAuthFixture({ baseUrl: () => base });
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
  });
  after(() => f.dispose());

  async function tokenOverHttp(): Promise<string> {
    const doc = (await (await fetch(`${base}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
    const res = await fetch(doc.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: form({ client_id: CLIENT_ID, client_secret: f.secret, grant_type: 'client_credentials', scope: `${ARM}.default` }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('verifies against the JWKS fetched from jwks_uri over HTTP', async () => {
    const token = await tokenOverHttp();
    const doc = (await (await fetch(`${base}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(doc.jwks_uri)), {
      algorithms: ['RS256'],
      issuer: `${base}/${TENANT_ID}/`,
      audience: 'https://management.azure.com',
    });
    assert.equal(payload.tid, TENANT_ID);
  });

  it('still verifies after the store is closed and reopened (a restart)', async () => {
    const token = await tokenOverHttp();
    const kidsBefore = f.ring.jwks().keys.map((k) => k.kid);
    await f.close();
    const restarted = await createOAuthFixture({ dir: f.dir, baseUrl: () => base });
    try {
      const jwks = (await restarted.app.inject(`/${TENANT_ID}/discovery/v2.0/keys`)).json() as JSONWebKeySet;
      assert.deepEqual(
        jwks.keys.map((k) => k.kid),
        kidsBefore,
      );
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: `${base}/${TENANT_ID}/`, audience: 'https://management.azure.com' });
      assert.equal(payload.appid, CLIENT_ID);
      const caller = await restarted.verifier.verify(token, [ARM]);
      assert.equal(caller.appId, CLIENT_ID);
    } finally {
      await restarted.close();
    }
  });
});
