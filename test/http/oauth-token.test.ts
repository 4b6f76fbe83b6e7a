import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { isoTime } from '../../src/core/clock.js';
import { clientSecretHasher } from '../../src/crypto/secrets.js';
import { BASE_URL, CLIENT_ID, createOAuthFixture, DOMAIN, form, OBJECT_ID, TENANT_ID, type OAuthFixture } from './oauth-fixture.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' };
const ARM = 'https://management.azure.com';

describe('token endpoints (client credentials)', () => {
  let f: OAuthFixture & { dispose(): Promise<void> };
  before(async () => {
    f = await createOAuthFixture();
  });
  after(() => f.dispose());

  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    f.app.inject({ method: 'POST', url: path, headers: { ...FORM, ...headers }, payload: form(fields) });
  const grant = (over: Record<string, string | undefined> = {}) =>
    Object.fromEntries(
      Object.entries({
        client_id: CLIENT_ID,
        client_secret: f.secret,
        grant_type: 'client_credentials',
        scope: `${ARM}/.default`,
        ...over,
      }).filter((e): e is [string, string] => e[1] !== undefined),
    );
  const jwks = async () => (await f.app.inject(`/${TENANT_ID}/discovery/v2.0/keys`)).json() as JSONWebKeySet;

  it('v2: issues a v1 RS256 token for ARM that verifies against the published JWKS', async () => {
    const res = await post(`/${TENANT_ID}/oauth2/v2.0/token?client-request-id=5e0b1f8a-0c8e-4a52-9d37-2f1b8d6a9c01`, grant());
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.deepEqual(Object.keys(body), ['token_type', 'expires_in', 'ext_expires_in', 'access_token']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3599);
    assert.equal(body.ext_expires_in, 3599);
    const header = decodeProtectedHeader(body.access_token);
    assert.deepEqual(header, { typ: 'JWT', alg: 'RS256', x5t: f.ring.current().kid, kid: f.ring.current().kid });
    const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(await jwks()), {
      algorithms: ['RS256'],
      issuer: `${BASE_URL}/${TENANT_ID}/`,
      audience: ARM,
    });
    assert.equal(payload.ver, '1.0');
    assert.equal(payload.appid, CLIENT_ID);
    assert.equal(payload.appidacr, '1');
    assert.equal(payload.oid, OBJECT_ID);
    assert.equal(payload.sub, OBJECT_ID);
    assert.equal(payload.tid, TENANT_ID);
    assert.equal(payload.idtyp, 'app');
    assert.equal(payload.idp, `${BASE_URL}/${TENANT_ID}/`);
    assert.equal(typeof payload.uti, 'string');
    const nowS = Date.now() / 1000;
    assert.ok(Math.abs(payload.exp! - nowS - 3599) < 5);
    const caller = await f.verifier.verify(body.access_token, ['https://management.azure.com/', 'https://management.core.windows.net/']);
    assert.equal(caller.objectId, OBJECT_ID);
  });

  it('every token is freshly signed', async () => {
    const [a, b] = await Promise.all([post(`/${TENANT_ID}/oauth2/v2.0/token`, grant()), post(`/${TENANT_ID}/oauth2/v2.0/token`, grant())]);
    assert.notEqual(a.json().access_token, b.json().access_token);
  });

  it('v1: resource=, every number as a string, the resource echoed', async () => {
    const res = await post(`/${TENANT_ID}/oauth2/token`, grant({ scope: undefined, resource: 'https://management.core.windows.net/' }));
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body), ['token_type', 'expires_in', 'ext_expires_in', 'expires_on', 'not_before', 'resource', 'access_token']);
    assert.equal(body.expires_in, '3599');
    assert.equal(body.resource, 'https://management.core.windows.net/');
    const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(await jwks()));
    assert.equal(payload.aud, 'https://management.core.windows.net/');
    assert.equal(String(payload.exp), body.expires_on);
    assert.equal(String(payload.nbf), body.not_before);
  });

  it('accepts the tenant’s domain and client_secret_basic', async () => {
    const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(f.secret)}`).toString('base64');
    const res = await post(`/${DOMAIN}/oauth2/v2.0/token`, { grant_type: 'client_credentials', scope: `${ARM}/.default` }, { authorization: `Basic ${basic}` });
    assert.equal(res.statusCode, 200, res.body);
    const { payload } = await jwtVerify(res.json().access_token, createLocalJWKSet(await jwks()));
    assert.equal(payload.tid, TENANT_ID);
  });

  it('refuses an expired secret', async () => {
    const expired = clientSecretHasher.generate();
    await f.store.clientSecrets.insert({
      id: 'eeeeeeee-1111-4222-8333-444455556666',
      tenantId: TENANT_ID,
      appId: CLIENT_ID,
      hash: clientSecretHasher.hash(expired),
      hint: expired.slice(0, 3),
      displayName: 'old',
      createdAt: isoTime(Date.now() - 2000),
      expiresAt: isoTime(Date.now() - 1000),
    });
    const res = await post(`/${TENANT_ID}/oauth2/v2.0/token`, grant({ client_secret: expired }));
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json().error_codes, [7000215]);
  });

  const cases: {
    name: string;
    path?: string;
    fields?: Record<string, string | undefined>;
    headers?: Record<string, string>;
    raw?: string;
    status: number;
    error: string;
    code: number;
    text: RegExp;
  }[] = [
    {
      name: 'unknown tenant',
      path: '/0b5c8c0e-0000-4000-8000-000000000000/oauth2/v2.0/token',
      status: 400,
      error: 'invalid_request',
      code: 90002,
      text: /Tenant '0b5c8c0e-0000-4000-8000-000000000000' not found/,
    },
    {
      name: 'unknown tenant domain',
      path: '/nowhere.example/oauth2/v2.0/token',
      status: 400,
      error: 'invalid_request',
      code: 90002,
      text: /Tenant 'nowhere.example' not found/,
    },
    {
      name: 'malformed tenant',
      path: '/not_a_tenant!/oauth2/v2.0/token',
      status: 400,
      error: 'invalid_request',
      code: 900023,
      text: /neither a valid DNS name/,
    },
    { name: 'common', path: '/common/oauth2/v2.0/token', status: 400, error: 'invalid_request', code: 50059, text: /No tenant-identifying information/ },
    {
      name: 'unknown client',
      fields: { client_id: '11111111-0000-4000-8000-000000000000' },
      status: 400,
      error: 'unauthorized_client',
      code: 700016,
      text: /Application with identifier '11111111-0000-4000-8000-000000000000' was not found in the directory '72f988bf/,
    },
    {
      name: 'wrong secret',
      fields: { client_secret: 'abc8Q~wrong' },
      status: 401,
      error: 'invalid_client',
      code: 7000215,
      text: /Invalid client secret provided/,
    },
    {
      name: 'no client authentication',
      fields: { client_secret: undefined },
      status: 401,
      error: 'invalid_client',
      code: 7000216,
      text: /'client_assertion', 'client_secret' or 'request' is required/,
    },
    { name: 'missing scope', fields: { scope: undefined }, status: 400, error: 'invalid_request', code: 900144, text: /parameter: 'scope'/ },
    {
      name: 'scope without /.default',
      fields: { scope: `${ARM}/user_impersonation` },
      status: 400,
      error: 'invalid_scope',
      code: 1002012,
      text: /must have a scope value with \/.default/,
    },
    {
      name: 'two resources',
      fields: { scope: `${ARM}/.default https://vault.azure.net/.default` },
      status: 400,
      error: 'invalid_scope',
      code: 70011,
      text: /exactly one resource/,
    },
    {
      name: 'unsupported grant',
      fields: { grant_type: 'password' },
      status: 400,
      error: 'unsupported_grant_type',
      code: 70003,
      text: /unsupported grant type 'password'/,
    },
    { name: 'missing grant_type', fields: { grant_type: undefined }, status: 400, error: 'invalid_request', code: 900144, text: /parameter: 'grant_type'/ },
    { name: 'missing client_id', fields: { client_id: undefined }, status: 400, error: 'invalid_request', code: 900144, text: /parameter: 'client_id'/ },
    {
      name: 'v1 without resource',
      path: `/${TENANT_ID}/oauth2/token`,
      fields: { scope: undefined },
      status: 400,
      error: 'invalid_request',
      code: 900144,
      text: /parameter: 'resource'/,
    },
    {
      name: 'a JSON body',
      raw: '{"grant_type":"client_credentials"}',
      headers: { 'content-type': 'application/json' },
      status: 400,
      error: 'invalid_request',
      code: 900144,
      text: /'grant_type'/,
    },
    { name: 'no body at all', raw: '', headers: { 'content-type': '' }, status: 400, error: 'invalid_request', code: 900144, text: /'grant_type'/ },
    {
      name: 'malformed Basic header',
      headers: { authorization: 'Basic !!!' },
      fields: { client_secret: undefined },
      status: 401,
      error: 'invalid_client',
      code: 7000216,
      text: /not valid Basic authentication/,
    },
  ];
  for (const c of cases) {
    it(`answers ${c.name} with AADSTS${c.code} in Entra’s error body`, async () => {
      const path = c.path ?? `/${TENANT_ID}/oauth2/v2.0/token`;
      const headers = { ...FORM, 'client-request-id': '9b4e2f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b', ...c.headers };
      const res = await f.app.inject({ method: 'POST', url: path, headers, payload: c.raw ?? form(grant(c.fields)) });
      assert.equal(res.statusCode, c.status, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ['correlation_id', 'error', 'error_codes', 'error_description', 'timestamp', 'trace_id']);
      assert.equal(body.error, c.error);
      assert.deepEqual(body.error_codes, [c.code]);
      assert.match(body.error_description, new RegExp(`^AADSTS${c.code}: `));
      assert.match(body.error_description, c.text);
      assert.match(
        body.error_description,
        / Trace ID: [0-9a-f-]{36} Correlation ID: 9b4e2f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
      );
      assert.equal(body.correlation_id, '9b4e2f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b');
      assert.match(body.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
      assert.ok(!res.body.includes(f.secret), 'the secret is never echoed');
    });
  }

  it('answers GET on a token endpoint with AADSTS900561', async () => {
    const res = await f.app.inject(`/${TENANT_ID}/oauth2/v2.0/token`);
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().error_codes, [900561]);
  });

  it('answers an oversized body with 413 and an OAuth body, not a crash', async () => {
    const res = await post(`/${TENANT_ID}/oauth2/v2.0/token`, grant({ scope: 'x'.repeat(5 * 1024 * 1024) }));
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error, 'invalid_request');
  });
});
