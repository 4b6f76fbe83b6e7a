/**
 * The IMDS surface over real HTTP: the exact success body of azure-wire-contracts.md §1.1 (with a
 * real JWT checked against the test authority's JWKS) and every refusal, each as IMDS's JSON error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { TEST_ISSUER } from '../support/agent-upstream.js';
import { imdsPath, MANAGEMENT, startAgentFixture, type AgentFixture } from './fixture.js';

const METADATA = { Metadata: 'true' };

describe('agent IMDS endpoint', () => {
  let fx: AgentFixture;
  const uami = { clientId: '', objectId: '', resourceId: '' };
  before(async () => {
    fx = await startAgentFixture();
    const identity = fx.upstream.newUserAssigned('app-id');
    fx.upstream.assign(identity);
    Object.assign(uami, identity);
  });
  after(() => fx.close());

  it('issues the system-assigned token with every value a string and the resource echoed', async () => {
    const res = await fx.get(imdsPath({ 'api-version': '2018-02-01', resource: MANAGEMENT }), METADATA);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(Object.keys(res.json).sort(), [
      'access_token',
      'client_id',
      'expires_in',
      'expires_on',
      'ext_expires_in',
      'not_before',
      'refresh_token',
      'resource',
      'token_type',
    ]);
    for (const value of Object.values(res.json)) assert.equal(typeof value, 'string');
    assert.equal(res.json.resource, MANAGEMENT);
    assert.equal(res.json.token_type, 'Bearer');
    assert.equal(res.json.refresh_token, '');
    assert.equal(res.json.client_id, fx.upstream.system.clientId);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(Number(res.json.expires_on) - (now + 86400)) < 5);
    assert.ok(Math.abs(Number(res.json.expires_in) - 86400) < 5);
    const { payload } = await jwtVerify(res.json.access_token as string, createLocalJWKSet(fx.upstream.jwks), { issuer: TEST_ISSUER, audience: MANAGEMENT });
    assert.equal(payload.oid, fx.upstream.system.objectId);
    assert.equal(payload.appid, fx.upstream.system.clientId);
    assert.equal(payload.xms_mirid, fx.upstream.system.resourceId);
    assert.equal(String(payload.exp), res.json.expires_on);
  });

  it('serves the trailing-slash, lower-cased form MSAL sends, for each selector', async () => {
    const selectors = { client_id: uami.clientId, object_id: uami.objectId, msi_res_id: uami.resourceId.toLowerCase(), mi_res_id: uami.resourceId };
    for (const [name, value] of Object.entries(selectors)) {
      const res = await fx.get(imdsPath({ 'api-version': '2018-02-01', resource: 'https://vault.azure.net', [name]: value }, true), METADATA);
      assert.equal(res.status, 200, `${name}: ${res.body}`);
      assert.equal(res.json.client_id, uami.clientId, name);
      assert.equal(res.json.resource, 'https://vault.azure.net');
      const { payload } = await jwtVerify(res.json.access_token as string, createLocalJWKSet(fx.upstream.jwks), { audience: 'https://vault.azure.net' });
      assert.equal(payload.oid, uami.objectId);
    }
  });

  it('answers the SDK probe (no query, no Metadata header) with IMDS 400 JSON', async () => {
    const res = await fx.get('/metadata/identity/oauth2/token', { Accept: 'application/json' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
  });

  it('refuses each malformed request with 400 JSON and no upstream call', async () => {
    const before = fx.upstream.calls.length;
    const ok = { 'api-version': '2018-02-01', resource: MANAGEMENT };
    const cases: Array<[string, string, Record<string, string>, string]> = [
      ['Metadata: false', imdsPath(ok), { Metadata: 'false' }, 'Required metadata header not specified'],
      ['no api-version', imdsPath({ resource: MANAGEMENT }), METADATA, 'Required api-version parameter not specified'],
      [
        'api-version too old',
        imdsPath({ ...ok, 'api-version': '2017-12-01' }),
        METADATA,
        "Invalid api-version '2017-12-01'. The identity endpoint accepts 2018-02-01 or later",
      ],
      [
        'api-version from the future',
        imdsPath({ ...ok, 'api-version': '2999-01-01' }),
        METADATA,
        "Invalid api-version '2999-01-01'. The identity endpoint accepts 2018-02-01 or later",
      ],
      [
        'api-version garbage',
        imdsPath({ ...ok, 'api-version': 'latest' }),
        METADATA,
        "Invalid api-version 'latest'. The identity endpoint accepts 2018-02-01 or later",
      ],
      ['no resource', imdsPath({ 'api-version': '2018-02-01' }), METADATA, 'Required audience parameter not specified'],
      [
        'two selectors',
        imdsPath({ ...ok, client_id: uami.clientId, object_id: uami.objectId }),
        METADATA,
        'Only one of client_id, object_id, msi_res_id, mi_res_id may be specified',
      ],
      ['empty selector', imdsPath({ ...ok, client_id: '' }), METADATA, "The 'client_id' parameter must not be empty"],
      ['repeated resource', `${imdsPath(ok)}&resource=https%3A%2F%2Fvault.azure.net`, METADATA, "The 'resource' parameter must not be repeated"],
      [
        'X-Forwarded-For',
        imdsPath(ok),
        { ...METADATA, 'X-Forwarded-For': '10.0.0.1' },
        'Requests with an X-Forwarded-For or Forwarded header are not accepted',
      ],
      ['unknown client_id', imdsPath({ ...ok, client_id: '3c5b2a1e-0000-4000-8000-000000000000' }), METADATA, 'Identity not found'],
      ['unknown msi_res_id', imdsPath({ ...ok, msi_res_id: `${uami.resourceId}-other` }), METADATA, 'Identity not found'],
    ];
    for (const [name, path, headers, description] of cases) {
      const res = await fx.get(path, headers);
      assert.equal(res.status, 400, name);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', name);
      assert.deepEqual(res.json, { error: 'invalid_request', error_description: description }, name);
    }
    assert.equal(fx.upstream.calls.length, before, 'refused locally');
  });

  it('maps server refusals: unknown audience → invalid_resource, unreachable → 500 JSON', async () => {
    const unknown = await fx.get(imdsPath({ 'api-version': '2019-08-01', resource: 'https://nowhere.example' }), METADATA);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error, 'invalid_resource');
    assert.match(unknown.json.error_description as string, /^AADSTS500011: .*nowhere\.example/);
    fx.upstream.failWith = 'Unavailable';
    try {
      const down = await fx.get(imdsPath({ 'api-version': '2018-02-01', resource: 'https://storage.azure.com/' }), METADATA);
      assert.equal(down.status, 500);
      assert.deepEqual(down.json, { error: 'unknown', error_description: 'Failed to retrieve token from the Keyless server. Try again later.' });
    } finally {
      fx.upstream.failWith = undefined;
    }
  });

  it('answers other methods and paths with JSON', async () => {
    const res = await fx.get('/metadata/instance?api-version=2021-02-01', METADATA);
    assert.equal(res.status, 404);
    assert.equal(res.json.error, 'not_found');
    const post = await fx.get(imdsPath({ 'api-version': '2018-02-01', resource: MANAGEMENT }), METADATA, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET');
    assert.equal(post.json.error, 'invalid_request');
  });
});
