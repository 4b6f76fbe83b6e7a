/**
 * Microsoft.ManagedIdentity through the ARM surface (in-process requests, real SQLite store, real
 * RS256 tokens): exact bodies of ManagedIdentity.json 2024-11-30, errors, paging, the system-assigned
 * identity by scope, and the operations list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isGuid } from '../../src/core/ids.js';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

const V = 'api-version=2024-11-30';
const CV = 'api-version=2024-07-01';

describe('Microsoft.ManagedIdentity ARM routes', () => {
  let t: ArmTestApp;
  let group: string;
  const uami = (name: string, rg = 'rg1') =>
    `/subscriptions/${t.subscriptionId}/resourcegroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
  const req = (method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: t.auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });

  before(async () => {
    t = await createArmTestApp('sqlite');
    group = `/subscriptions/${t.subscriptionId}/resourceGroups/rg1`;
    assert.equal((await req('PUT', `${group}?api-version=2025-04-01`, { location: 'westus2' })).statusCode, 201);
  });
  after(() => t.close());

  it('creates with 201 and the spec body, updates with 200 keeping principal and client ids', async () => {
    const created = await req('PUT', `${uami('web-id')}?${V}`, { location: 'West US 2', tags: { key1: 'value1' } });
    assert.equal(created.statusCode, 201);
    const body = created.json();
    assert.deepEqual(Object.keys(body), ['id', 'name', 'type', 'location', 'tags', 'properties']);
    assert.equal(body.id, uami('web-id'), 'the id echoes the path, `resourcegroups` included');
    assert.deepEqual(
      { ...body, properties: undefined },
      {
        id: uami('web-id'),
        name: 'web-id',
        type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
        location: 'westus2',
        tags: { key1: 'value1' },
        properties: undefined,
      },
    );
    assert.equal(body.properties.tenantId, t.tenantId);
    assert.ok(isGuid(body.properties.principalId) && isGuid(body.properties.clientId));
    assert.equal(body.properties.isolationScope, 'None');
    const principal = await t.store.principals.getByResourceId(`${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web-id`);
    assert.deepEqual([principal?.objectId, principal?.appId], [body.properties.principalId, body.properties.clientId]);

    const updated = await req('PUT', `${uami('WEB-ID')}?${V}`, { location: 'westus2', properties: { isolationScope: 'Regional', principalId: 'ignored' } });
    assert.equal(updated.statusCode, 200);
    assert.deepEqual(updated.json().properties, { ...body.properties, isolationScope: 'Regional' });
    assert.deepEqual(updated.json().tags, {});
    assert.equal(updated.json().name, 'web-id', 'the name keeps the case it was created with');

    const old = await req('GET', `${uami('web-id')}?api-version=2018-11-30`);
    assert.equal(old.statusCode, 200);
    assert.deepEqual(Object.keys(old.json().properties), ['tenantId', 'principalId', 'clientId', 'clientSecretUrl'], 'no isolationScope before 2024-11-30');
    // `az identity create` prints clientSecretUrl (seed 003): the identity's credentials URL, shaped as Azure's.
    const secretUrl = new URL(old.json().properties.clientSecretUrl);
    assert.equal(secretUrl.pathname, `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web-id/credentials`);
    assert.deepEqual([...secretUrl.searchParams.keys()], ['tid', 'oid', 'aid']);
    assert.equal(secretUrl.searchParams.get('oid'), body.properties.principalId);
  });

  it('answers errors as Azure does', async () => {
    const cases: [method: string, url: string, body: unknown, status: number, code: string, message?: RegExp][] = [
      ['PUT', `${uami('ab')}?${V}`, { location: 'westus2' }, 400, 'InvalidResourceName', /3 to 128 characters/],
      ['PUT', `${uami('-abc')}?${V}`, { location: 'westus2' }, 400, 'InvalidResourceName'],
      ['PUT', `${uami('a'.repeat(129))}?${V}`, { location: 'westus2' }, 400, 'InvalidResourceName'],
      ['PUT', `${uami('has.dot')}?${V}`, { location: 'westus2' }, 400, 'InvalidResourceName'],
      ['PUT', `${uami('no-location')}?${V}`, {}, 400, 'LocationRequired'],
      ['PUT', `${uami('bad-scope')}?${V}`, { location: 'westus2', properties: { isolationScope: 'Global' } }, 400, 'InvalidParameter', /'None', 'Regional'/],
      ['PUT', `${uami('bad-tags')}?${V}`, { location: 'westus2', tags: { a: 1 } }, 400, 'InvalidRequestContent', /tags\.a/],
      ['PUT', `${uami('no-group', 'nope')}?${V}`, { location: 'westus2' }, 404, 'ResourceGroupNotFound', /Resource group 'nope' could not be found/],
      ['PUT', `${uami('old-api')}?api-version=2015-08-31-preview`, { location: 'westus2' }, 400, 'InvalidApiVersionParameter'],
      [
        'GET',
        `${uami('missing')}?${V}`,
        undefined,
        404,
        'ResourceNotFound',
        /The Resource 'Microsoft.ManagedIdentity\/userAssignedIdentities\/missing' under resource group 'rg1' was not found/,
      ],
      ['PATCH', `${uami('missing')}?${V}`, { tags: {} }, 404, 'ResourceNotFound'],
      ['GET', `${uami('x', 'nope')}?${V}`, undefined, 404, 'ResourceGroupNotFound'],
    ];
    for (const [method, url, body, status, code, message] of cases) {
      const res = await req(method, url, body);
      assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error.code, code, res.body);
      if (message) assert.match(res.json().error.message, message);
    }
    assert.equal((await req('GET', `${uami('no-location')}?${V}`)).statusCode, 404, 'nothing was created by a refused PUT');
  });

  it('patches tags; the location cannot change', async () => {
    await req('PUT', `${uami('patch-me')}?${V}`, { location: 'eastus', tags: { a: '1' } });
    const patched = await req('PATCH', `${uami('patch-me')}?${V}`, { tags: { b: '2' } });
    assert.equal(patched.statusCode, 200);
    assert.deepEqual([patched.json().tags, patched.json().location], [{ b: '2' }, 'eastus']);
    const moved = await req('PATCH', `${uami('patch-me')}?${V}`, { location: 'westus' });
    assert.equal(moved.statusCode, 409);
    assert.equal(moved.json().error.code, 'InvalidResourceLocation');
  });

  it('lists by group and by subscription, page by page', async () => {
    await req('PUT', `/subscriptions/${t.subscriptionId}/resourceGroups/rg2?api-version=2025-04-01`, { location: 'westus2' });
    for (const name of ['list-a', 'list-b']) await req('PUT', `${uami(name, 'rg2')}?${V}`, { location: 'westus2' });
    const first = await req(
      'GET',
      `/subscriptions/${t.subscriptionId}/resourceGroups/rg2/providers/Microsoft.ManagedIdentity/userAssignedIdentities?${V}&$top=1`,
    );
    assert.equal(first.statusCode, 200);
    assert.deepEqual(
      first.json().value.map((i: { name: string }) => i.name),
      ['list-a'],
    );
    const next = new URL(first.json().nextLink);
    const second = await req('GET', next.pathname + next.search);
    assert.deepEqual(
      second.json().value.map((i: { name: string }) => i.name),
      ['list-b'],
    );
    assert.equal(second.json().nextLink, undefined);
    assert.equal(second.json().value[0].type, 'Microsoft.ManagedIdentity/userAssignedIdentities');

    const all = await req('GET', `/subscriptions/${t.subscriptionId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?${V}`);
    const names = all.json().value.map((i: { name: string }) => i.name);
    for (const name of ['web-id', 'patch-me', 'list-a', 'list-b']) assert.ok(names.includes(name), name);
    const missingGroup = await req(
      'GET',
      `/subscriptions/${t.subscriptionId}/resourceGroups/nope/providers/Microsoft.ManagedIdentity/userAssignedIdentities?${V}`,
    );
    assert.equal(missingGroup.json().error.code, 'ResourceGroupNotFound');
  });

  it('deletes with 200 and the principal with it, then 204', async () => {
    const created = (await req('PUT', `${uami('short-lived')}?${V}`, { location: 'westus2' })).json();
    const removed = await req('DELETE', `${uami('short-lived')}?${V}`);
    assert.equal(removed.statusCode, 200);
    assert.equal(removed.body, '');
    assert.equal(await t.store.principals.getByObjectId(t.tenantId, created.properties.principalId), undefined);
    assert.equal((await req('DELETE', `${uami('short-lived')}?${V}`)).statusCode, 204);
    assert.equal((await req('GET', `${uami('short-lived')}?${V}`)).statusCode, 404);
  });

  it('shows the system-assigned identity of a resource by scope, 404 when it has none', async () => {
    const vm = `${group}/providers/Microsoft.Compute/virtualMachines/vm-sys`;
    const put = await req('PUT', `${vm}?${CV}`, { location: 'westus2', tags: { t: '1' }, identity: { type: 'SystemAssigned' } });
    assert.equal(put.statusCode, 201);
    const res = await req('GET', `/${vm}/providers/Microsoft.ManagedIdentity/identities/default?${V}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      id: `${vm}/providers/Microsoft.ManagedIdentity/identities/default`,
      name: 'default',
      type: 'Microsoft.ManagedIdentity/identities',
      location: 'westus2',
      tags: { t: '1' },
      properties: { tenantId: t.tenantId, principalId: put.json().identity.principalId, clientId: res.json().properties.clientId },
    });
    const principal = await t.store.principals.getByResourceId(vm);
    assert.equal(principal?.appId, res.json().properties.clientId);

    await req('PUT', `${vm}-none?${CV}`, { location: 'westus2' });
    for (const scope of [`${vm}-none`, `${vm}-absent`, `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web-id`]) {
      const absent = await req('GET', `${scope}/providers/Microsoft.ManagedIdentity/identities/default?${V}`);
      assert.equal(absent.statusCode, 404, scope);
      assert.equal(absent.json().error.code, 'ResourceNotFound');
    }
    const foreign = await req(
      'GET',
      `/subscriptions/${t.otherSubscriptionId}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm-sys/providers/Microsoft.ManagedIdentity/identities/default?${V}`,
    );
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json().error.code, 'SubscriptionNotFound');
  });

  it('lists the provider operations with display text', async () => {
    const res = await req('GET', `/providers/Microsoft.ManagedIdentity/operations?${V}`);
    assert.equal(res.statusCode, 200);
    const ops = res.json().value as { name: string; display: Record<string, string> }[];
    const names = ops.map((o) => o.name);
    for (const action of ['read', 'write', 'delete', 'assign/action'])
      assert.ok(names.includes(`Microsoft.ManagedIdentity/userAssignedIdentities/${action}`), action);
    assert.ok(names.includes('Microsoft.ManagedIdentity/identities/read'));
    for (const op of ops) assert.deepEqual(Object.keys(op.display).sort(), ['description', 'operation', 'provider', 'resource']);
  });
});
