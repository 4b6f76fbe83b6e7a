/**
 * `Resources_List` (`GET /subscriptions/{s}/resources`) with the `$filter` az sends to turn a name into
 * a resource id (`resourceType eq '…' and name eq '…'`, az hdinsight's `get_resource_id_by_name`):
 * case-insensitive matches, other subscriptions never listed, unsupported filters a clear 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

describe('Resources_List with $filter', () => {
  let t: ArmTestApp;
  const call = async (url: string, auth = t.auth, payload?: unknown) => {
    const res = await t.app.inject({
      method: payload === undefined ? 'GET' : 'PUT',
      url,
      headers: { authorization: auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
    return { status: res.statusCode, body: JSON.parse(res.body) };
  };
  before(async () => {
    t = await createArmTestApp('sqlite');
    const g = `/subscriptions/${t.subscriptionId}/resourceGroups`;
    assert.equal((await call(`${g}/rg1?api-version=2021-04-01`, t.auth, { location: 'westus2' })).status, 201);
    assert.equal((await call(`${g}/rg2?api-version=2021-04-01`, t.auth, { location: 'westus2' })).status, 201);
    for (const [rg, name] of [
      ['rg1', 'MyMSI'],
      ['rg2', 'other'],
      ['rg2', 'mymsi2'],
    ]) {
      assert.equal(
        (await call(`${g}/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}?api-version=2023-01-31`, t.auth, { location: 'westus2' }))
          .status,
        201,
      );
    }
  });
  after(async () => {
    await t?.close();
  });

  it('finds a resource by type and name across groups, case-insensitively', async () => {
    const filter = encodeURIComponent("resourceType eq 'microsoft.managedidentity/userassignedidentities' and name eq 'mymsi'");
    const r = await call(`/subscriptions/${t.subscriptionId}/resources?$filter=${filter}&api-version=2021-04-01`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.value.map((v: { id: string }) => v.id),
      [`/subscriptions/${t.subscriptionId}/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/MyMSI`],
    );
    const all = await call(`/subscriptions/${t.subscriptionId}/resources?api-version=2021-04-01`);
    assert.deepEqual(all.body.value.map((v: { name: string }) => v.name).sort(), ['MyMSI', 'mymsi2', 'other']);
  });

  it('lists nothing of another tenant and refuses filters it does not understand', async () => {
    const other = await call(`/subscriptions/${t.otherSubscriptionId}/resources?api-version=2021-04-01`);
    assert.ok([401, 403, 404].includes(other.status), String(other.status));
    assert.equal(other.body.value, undefined);
    const bad = await call(`/subscriptions/${t.subscriptionId}/resources?$filter=${encodeURIComponent("location eq 'westus2'")}&api-version=2021-04-01`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'InvalidParameter');
    assert.match(bad.body.error.message, /name eq '<name>'/);
  });
});
