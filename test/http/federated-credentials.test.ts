/**
 * Federated identity credentials of user-assigned identities through the ARM surface (in-process,
 * real stores on both engines): exact bodies, Azure's rules and errors, paging, the 20-per-identity
 * limit, issuer + subject uniqueness, concurrent writes under one identity answered 409, cascade with
 * the identity, and refusals that write nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';
import { ENGINES } from '../support/stores.js';

const V = 'api-version=2024-11-30';
const ISSUER = 'https://oidc.example.test/tenant/cluster/';
const AUD = ['api://AzureADTokenExchange'];

for (const engine of ENGINES) {
  describe(`federated identity credentials (ARM, ${engine})`, () => {
    let t: ArmTestApp;
    const identity = (name: string) =>
      `/subscriptions/${t.subscriptionId}/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
    const fic = (id: string, name: string) => `${identity(id)}/federatedIdentityCredentials/${name}`;
    const req = (method: string, url: string, payload?: unknown) =>
      t.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: t.auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const body = (subject: string, extra: Record<string, unknown> = {}) => ({ properties: { issuer: ISSUER, subject, audiences: AUD, ...extra } });

    before(async () => {
      t = await createArmTestApp(engine);
      assert.equal((await req('PUT', `/subscriptions/${t.subscriptionId}/resourceGroups/rg1?api-version=2025-04-01`, { location: 'westus2' })).statusCode, 201);
      for (const name of ['id-a', 'id-b', 'id-limit']) assert.equal((await req('PUT', `${identity(name)}?${V}`, { location: 'westus2' })).statusCode, 201);
    });
    after(() => t.close());

    it('creates with 201 and the spec body, replaces with 200, reads, lists and deletes (200, then 204)', async () => {
      const created = await req('PUT', `${fic('id-a', 'web')}?${V}`, body('system:serviceaccount:default:web'));
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(created.json(), {
        id: fic('id-a', 'web'),
        name: 'web',
        type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials',
        properties: { issuer: ISSUER, subject: 'system:serviceaccount:default:web', audiences: AUD },
      });
      const replaced = await req('PUT', `${fic('id-a', 'web')}?api-version=2022-01-31-preview`, body('system:serviceaccount:default:web2'));
      assert.equal(replaced.statusCode, 200);
      assert.equal(replaced.json().properties.subject, 'system:serviceaccount:default:web2');
      const read = await req('GET', `${fic('id-a', 'web')}?api-version=2023-01-31`);
      assert.deepEqual(read.json(), replaced.json());
      const list = await req('GET', `${identity('id-a')}/federatedIdentityCredentials?${V}`);
      assert.equal(list.statusCode, 200);
      assert.deepEqual(
        list.json().value.map((v: { name: string }) => v.name),
        ['web'],
      );
      assert.equal((await req('DELETE', `${fic('id-a', 'web')}?${V}`)).statusCode, 200);
      assert.equal((await req('DELETE', `${fic('id-a', 'web')}?${V}`)).statusCode, 204);
      assert.equal((await req('GET', `${fic('id-a', 'web')}?${V}`)).statusCode, 404);
    });

    it('refuses what Azure refuses, with BadRequest and a message naming the rule, and writes nothing', async () => {
      const cases: [name: string, payload: unknown, status: number, code: string, message: RegExp][] = [
        ['no-props', {}, 400, 'BadRequest', /empty properties/],
        ['no-subject', { properties: { issuer: ISSUER, audiences: AUD } }, 400, 'BadRequest', /must specify 'properties.subject'/],
        ['no-issuer', { properties: { subject: 's', audiences: AUD } }, 400, 'BadRequest', /must specify 'properties.issuer'/],
        ['http-issuer', { properties: { issuer: 'http://oidc.example.test/', subject: 's', audiences: AUD } }, 400, 'BadRequest', /must use https/],
        ['rel-issuer', { properties: { issuer: 'oidc.example.test', subject: 's', audiences: AUD } }, 400, 'BadRequest', /absolute https URL/],
        ['two-aud', { properties: { issuer: ISSUER, subject: 's', audiences: ['a', 'b'] } }, 400, 'BadRequest', /exactly one audience/],
        ['no-aud', { properties: { issuer: ISSUER, subject: 's', audiences: [] } }, 400, 'BadRequest', /exactly one audience/],
        ['long-subject', { properties: { issuer: ISSUER, subject: 's'.repeat(601), audiences: AUD } }, 400, 'BadRequest', /at most 600/],
        ['space-subject', { properties: { issuer: ISSUER, subject: ' s', audiences: AUD } }, 400, 'BadRequest', /whitespace/],
        [
          'cme',
          { properties: { issuer: ISSUER, subject: 's', audiences: AUD, claimsMatchingExpression: { value: 'x', languageVersion: 1 } } },
          400,
          'BadRequest',
          /not supported/,
        ],
        ['ab', body('s'), 400, 'BadRequest', /name 'ab' is invalid/],
        ['-abc', body('s'), 400, 'BadRequest', /is invalid/],
        ['has.dot', body('s'), 400, 'BadRequest', /is invalid/],
        ['a'.repeat(121), body('s'), 400, 'BadRequest', /is invalid/],
      ];
      for (const [name, payload, status, code, message] of cases) {
        const res = await req('PUT', `${fic('id-a', name)}?${V}`, payload);
        assert.equal(res.statusCode, status, `${name}: ${res.body}`);
        assert.equal(res.json().error.code, code, res.body);
        assert.match(res.json().error.message, message, name);
      }
      const missingParent = await req('PUT', `${fic('nobody', 'web')}?${V}`, body('s'));
      assert.equal(missingParent.statusCode, 404);
      const oldApi = await req('PUT', `${fic('id-a', 'web')}?api-version=2018-11-30`, body('s'));
      assert.equal(oldApi.statusCode, 400, 'federated credentials did not exist in 2018-11-30');
      assert.equal((await req('GET', `${identity('id-a')}/federatedIdentityCredentials?${V}`)).json().value.length, 0, 'nothing was written');
    });

    it('keeps issuer + subject unique per identity (other identities may reuse them), exact strings compared', async () => {
      assert.equal((await req('PUT', `${fic('id-a', 'one')}?${V}`, body('sub-1'))).statusCode, 201);
      const clash = await req('PUT', `${fic('id-a', 'two')}?${V}`, body('sub-1'));
      assert.equal(clash.statusCode, 400);
      assert.match(clash.json().error.message, /Issuer and subject combination already exists for this Managed Identity/);
      assert.equal((await req('PUT', `${fic('id-b', 'two')}?${V}`, body('sub-1'))).statusCode, 201, 'another identity may trust the same pair');
      // A trailing slash or a case change is another issuer (matching is exact).
      assert.equal(
        (await req('PUT', `${fic('id-a', 'three')}?${V}`, { properties: { issuer: ISSUER.slice(0, -1), subject: 'sub-1', audiences: AUD } })).statusCode,
        201,
      );
      assert.equal((await req('PUT', `${fic('id-a', 'one')}?${V}`, body('sub-1'))).statusCode, 200, 'replacing a credential with itself is no clash');
    });

    it('allows 20 credentials per identity and refuses the 21st, writing nothing', async () => {
      for (let i = 0; i < 20; i++) assert.equal((await req('PUT', `${fic('id-limit', `c${String(i).padStart(2, '0')}`)}?${V}`, body(`s${i}`))).statusCode, 201);
      const over = await req('PUT', `${fic('id-limit', 'c20')}?${V}`, body('s20'));
      assert.equal(over.statusCode, 400);
      assert.match(over.json().error.message, /maximum allowed \(20\)/);
      assert.equal((await req('GET', `${fic('id-limit', 'c20')}?${V}`)).statusCode, 404);
      // Paging: $top and the nextLink's skip token.
      const first = await req('GET', `${identity('id-limit')}/federatedIdentityCredentials?${V}&$top=15`);
      assert.equal(first.json().value.length, 15);
      const next = new URL(first.json().nextLink);
      const second = await req('GET', `${next.pathname}${next.search}`);
      assert.equal(second.json().value.length, 5);
      assert.equal(second.json().nextLink, undefined);
    });

    it('answers concurrent writes under one identity with 409, never more than the limit or a duplicate', async () => {
      await req('PUT', `${identity('id-race')}?${V}`, { location: 'westus2' });
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => req('PUT', `${fic('id-race', `race${i}`)}?${V}`, body('same-subject'))));
      const statuses = answers.map((a) => a.statusCode).sort();
      assert.equal(statuses.filter((s) => s === 201).length, 1, `exactly one wins: ${statuses}`);
      assert.ok(
        statuses.every((s) => s === 201 || s === 400 || s === 409),
        String(statuses),
      );
      assert.equal((await req('GET', `${identity('id-race')}/federatedIdentityCredentials?${V}`)).json().value.length, 1);
    });

    it("goes with its identity, and is not listed among the group's resources", async () => {
      await req('PUT', `${identity('id-gone')}?${V}`, { location: 'westus2' });
      assert.equal((await req('PUT', `${fic('id-gone', 'web')}?${V}`, body('s'))).statusCode, 201);
      const resources = await req('GET', `/subscriptions/${t.subscriptionId}/resourceGroups/rg1/resources?api-version=2021-04-01`);
      assert.ok(
        !resources.json().value.some((r: { type: string }) => /federatedIdentityCredentials/i.test(r.type)),
        'child resources are not top-level resources',
      );
      assert.equal((await req('DELETE', `${identity('id-gone')}?${V}`)).statusCode, 200);
      assert.equal(await t.store.resources.get(fic('id-gone', 'web')), undefined);
      // A new identity of the same name starts with no credentials.
      await req('PUT', `${identity('id-gone')}?${V}`, { location: 'westus2' });
      assert.equal((await req('GET', `${identity('id-gone')}/federatedIdentityCredentials?${V}`)).json().value.length, 0);
    });
  });
}
