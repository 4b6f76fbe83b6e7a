/**
 * The ARM request pipeline: request ids, bearer authentication with WWW-Authenticate, routing,
 * api-version checks, subscription scope, and the subscriptions/tenants routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

describe('ARM pipeline', () => {
  let t: ArmTestApp;
  before(async () => {
    t = await createArmTestApp();
  });
  after(() => t.close());
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { authorization: t.auth, ...headers } });

  it('sets a fresh x-ms-request-id and echoes the client request id as correlation id, also on errors', async () => {
    const a = await get('/subscriptions?api-version=2022-12-01', { 'x-ms-client-request-id': 'c0ffee00-0000-4000-8000-000000000001' });
    const b = await get('/subscriptions?api-version=2022-12-01');
    assert.match(a.headers['x-ms-request-id'] as string, /^[0-9a-f-]{36}$/);
    assert.notEqual(a.headers['x-ms-request-id'], b.headers['x-ms-request-id']);
    assert.equal(a.headers['x-ms-correlation-request-id'], 'c0ffee00-0000-4000-8000-000000000001');
    assert.match(b.headers['x-ms-correlation-request-id'] as string, /^[0-9a-f-]{36}$/);
    const failed = await t.app.inject({ method: 'GET', url: '/subscriptions?api-version=2022-12-01', headers: { 'x-ms-correlation-request-id': 'corr-1' } });
    assert.equal(failed.statusCode, 401);
    assert.equal(failed.headers['x-ms-correlation-request-id'], 'corr-1');
    assert.ok(failed.headers['x-ms-request-id']);
    const injected = await get('/subscriptions?api-version=2022-12-01', { 'x-ms-client-request-id': 'bad id with spaces' });
    assert.match(injected.headers['x-ms-correlation-request-id'] as string, /^[0-9a-f-]{36}$/, 'unsafe ids are not echoed');
  });

  describe('authentication', () => {
    const cases: [string, () => Promise<Record<string, string>>, string, string][] = [
      ['no header', async () => ({}), 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing."],
      [
        'not Bearer',
        async () => ({ authorization: 'Basic dXNlcjpwYXNz' }),
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      ],
      ['garbage token', async () => ({ authorization: 'Bearer not.a.jwt' }), 'InvalidAuthenticationToken', 'The access token is invalid.'],
      [
        'foreign signature',
        async () => ({ authorization: `Bearer ${await t.tokens.forge(t.tenantId)}` }),
        'InvalidAuthenticationToken',
        'The access token is invalid.',
      ],
      [
        'wrong audience',
        async () => ({ authorization: `Bearer ${await t.tokens.issue(t.tenantId, { aud: 'https://vault.azure.net' })}` }),
        'InvalidAuthenticationTokenAudience',
        '',
      ],
      [
        'expired',
        async () => ({ authorization: `Bearer ${await t.tokens.issue(t.tenantId, {}, { expiresInSeconds: -120 })}` }),
        'ExpiredAuthenticationToken',
        '',
      ],
    ];
    for (const [name, headers, code, message] of cases) {
      it(`401 ${code} for ${name}, with WWW-Authenticate`, async () => {
        const res = await t.app.inject({ method: 'GET', url: '/subscriptions?api-version=2022-12-01', headers: await headers() });
        assert.equal(res.statusCode, 401);
        const body = res.json() as { error: { code: string; message: string } };
        assert.equal(body.error.code, code);
        if (message) assert.equal(body.error.message, message);
        assert.equal(
          res.headers['www-authenticate'],
          `Bearer authorization_uri="https://keyless.test:8443/${t.tenantId}", error="invalid_token", error_description="${body.error.message.replace(/"/g, '\\"')}"`,
        );
      });
    }

    it('accepts every ARM audience form', async () => {
      for (const aud of ['https://management.azure.com', 'https://management.core.windows.net/', 'https://management.core.windows.net']) {
        const res = await get('/tenants?api-version=2022-12-01', { authorization: `Bearer ${await t.tokens.issue(t.tenantId, { aud })}` });
        assert.equal(res.statusCode, 200, aud);
      }
    });
  });

  it('lists the caller tenant subscriptions with the documented shape and count', async () => {
    const res = await get('/subscriptions?api-version=2022-12-01');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      value: [
        {
          id: `/subscriptions/${t.subscriptionId}`,
          authorizationSource: 'RoleBased',
          managedByTenants: [],
          tags: {},
          subscriptionId: t.subscriptionId,
          tenantId: t.tenantId,
          displayName: 'Keyless Subscription',
          state: 'Enabled',
          subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
        },
      ],
      count: { type: 'Total', value: 1 },
    });
    const one = await get(`/subscriptions/${t.subscriptionId.toUpperCase()}?api-version=2016-06-01`);
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().subscriptionId, t.subscriptionId);
  });

  it('lists the caller tenant', async () => {
    const res = await get('/tenants?api-version=2020-01-01');
    assert.deepEqual(res.json(), {
      value: [
        {
          id: `/tenants/${t.tenantId}`,
          tenantId: t.tenantId,
          tenantCategory: 'Home',
          displayName: 'Keyless Directory',
          defaultDomain: 'keyless.local',
          domains: ['keyless.local'],
          tenantType: 'AAD',
        },
      ],
      count: { type: 'Total', value: 1 },
    });
  });

  it('refuses subscriptions that are missing, malformed or of another tenant', async () => {
    const missing = await get('/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups?api-version=2021-04-01');
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), {
      error: { code: 'SubscriptionNotFound', message: "The subscription '00000000-0000-0000-0000-000000000000' could not be found." },
    });
    const malformed = await get('/subscriptions/not-a-guid/resourcegroups?api-version=2021-04-01');
    assert.equal(malformed.statusCode, 400);
    assert.deepEqual(malformed.json(), {
      error: { code: 'InvalidSubscriptionId', message: "The provided subscription identifier 'not-a-guid' is malformed or invalid.", target: 'subscriptionId' },
    });
    const foreign = await get(`/subscriptions/${t.otherSubscriptionId}/resourcegroups?api-version=2021-04-01`);
    assert.equal(foreign.statusCode, 401);
    assert.equal(foreign.json().error.code, 'InvalidAuthenticationTokenTenant');
  });

  it('requires a supported api-version per resource type', async () => {
    const missing = await get(`/subscriptions/${t.subscriptionId}/resourcegroups`);
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json(), {
      error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' },
    });
    const wrong = await get(`/subscriptions/${t.subscriptionId}/resourcegroups?api-version=2022-12-01`);
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().error.code, 'InvalidApiVersionParameter');
    assert.match(
      wrong.json().error.message,
      /^The api-version '2022-12-01' is invalid\. The supported versions are '2025-04-01, 2024-11-01, .*2018-05-01.*'\.$/,
    );
    for (const v of ['2025-04-01', '2024-11-01', '2022-09-01', '2021-04-01', '2019-05-10', '2018-05-01']) {
      assert.equal((await get(`/subscriptions/${t.subscriptionId}/resourcegroups?api-version=${v}`)).statusCode, 200, v);
    }
    assert.equal((await get(`/subscriptions/${t.subscriptionId}/resourcegroups?API-VERSION=2021-04-01`)).statusCode, 200, 'query names are case-insensitive');
  });

  it('answers unknown routes, namespaces and methods like ARM', async () => {
    const route = await get(`/subscriptions/${t.subscriptionId}/whatever?api-version=2021-04-01`);
    assert.equal(route.statusCode, 404);
    assert.equal(route.json().error.code, 'InvalidRoute');
    const ns = await get(`/subscriptions/${t.subscriptionId}/providers/Microsoft.Nope/things?api-version=2021-04-01`);
    assert.equal(ns.statusCode, 400);
    assert.equal(ns.json().error.code, 'NoRegisteredProviderFound');
    const method = await t.app.inject({
      method: 'POST',
      url: `/subscriptions/${t.subscriptionId}/resourcegroups?api-version=2021-04-01`,
      headers: { authorization: t.auth },
    });
    assert.equal(method.statusCode, 405);
    assert.equal(method.headers['allow'], 'GET');
    assert.equal(method.json().error.code, 'MethodNotAllowed');
  });
});
