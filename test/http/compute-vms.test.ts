/**
 * Microsoft.Compute virtual machines as identity hosts through the ARM surface (in-process, real
 * SQLite store): long-running answers, the identity block in Compute's spelling, attach/detach with
 * PATCH, refused identities, deletes that take the system-assigned principal along.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isGuid } from '../../src/core/ids.js';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

const V = 'api-version=2024-07-01';
const MV = 'api-version=2024-11-30';

/** How many committed writes told host agents to re-read their identities. */
let notified = 0;

describe('Microsoft.Compute virtual machines', () => {
  let t: ArmTestApp;
  let group: string;
  let idA: string;
  let idB: string;
  const vmUrl = (name: string) => `${group}/providers/Microsoft.Compute/virtualMachines/${name}`;
  const req = (method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: t.auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const pathOf = (url: string) => {
    const u = new URL(url);
    return u.pathname + u.search;
  };

  const vmBody = (identity?: unknown) => ({
    location: 'westus2',
    tags: { role: 'web' },
    properties: {
      hardwareProfile: { vmSize: 'Standard_B1s' },
      storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } },
      osProfile: { computerName: 'web1', adminUsername: 'azureuser', adminPassword: 'S3cret!Passw0rd', customData: 'IyEvYmluL3No' },
      networkProfile: { networkInterfaces: [] },
      userData: 'c2VjcmV0',
      provisioningState: 'Failed',
    },
    ...(identity === undefined ? {} : { identity }),
  });

  before(async () => {
    t = await createArmTestApp('sqlite', {
      onIdentitiesChanged: () => {
        notified++;
      },
    });
    group = `/subscriptions/${t.subscriptionId}/resourceGroups/vms`;
    await req('PUT', `${group}?api-version=2025-04-01`, { location: 'westus2' });
    const mk = async (name: string) =>
      (await req('PUT', `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}?${MV}`, { location: 'westus2' })).json();
    idA = (await mk('id-a')).id;
    idB = (await mk('id-b')).id;
  });
  after(() => t.close());

  it('creates long-running: 201 Creating with Azure-AsyncOperation, the operation done, then Succeeded', async () => {
    const res = await req('PUT', `${vmUrl('web1')}?${V}`, vmBody({ type: 'SystemAssigned,UserAssigned', userAssignedIdentities: { [idA]: {} } }));
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body), ['id', 'name', 'type', 'location', 'tags', 'identity', 'properties']);
    assert.equal(body.id, vmUrl('web1'));
    assert.equal(body.type, 'Microsoft.Compute/virtualMachines');
    assert.equal(body.properties.provisioningState, 'Creating');
    assert.ok(isGuid(body.properties.vmId));
    assert.equal(body.identity.type, 'SystemAssigned, UserAssigned', "Compute's own spelling, whatever was sent");
    assert.equal(body.identity.tenantId, t.tenantId);
    const a = (await req('GET', `${idA}?${MV}`)).json();
    assert.deepEqual(body.identity.userAssignedIdentities, { [idA]: { principalId: a.properties.principalId, clientId: a.properties.clientId } });
    const system = await t.store.principals.getByResourceId(vmUrl('web1'));
    assert.equal(system?.objectId, body.identity.principalId);
    // Secrets are neither echoed nor stored.
    assert.deepEqual(body.properties.osProfile, { computerName: 'web1', adminUsername: 'azureuser' });
    assert.equal(body.properties.userData, undefined);
    assert.ok(!JSON.stringify((await t.store.resources.get(vmUrl('web1')))!.properties).includes('S3cret'));

    const poll = await req('GET', pathOf(res.headers['azure-asyncoperation'] as string));
    assert.equal(poll.statusCode, 200);
    assert.equal(poll.json().status, 'Succeeded');
    const got = await req('GET', `${vmUrl('WEB1')}?${V}`);
    assert.equal(got.json().properties.provisioningState, 'Succeeded');
    assert.deepEqual(got.json().identity, body.identity);
    assert.equal(got.json().properties.vmId, body.properties.vmId);
  });

  it('updates by PUT with 200 Updating; the system principal and vmId stay', async () => {
    const before = (await req('GET', `${vmUrl('web1')}?${V}`)).json();
    const res = await req(
      'PUT',
      `${vmUrl('web1')}?api-version=2026-03-01`,
      vmBody({ type: 'systemassigned, userassigned', userAssignedIdentities: { [idA]: {}, [idB]: {} } }),
    );
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().properties.provisioningState, 'Updating');
    assert.ok(res.headers['azure-asyncoperation']);
    assert.equal(res.json().identity.principalId, before.identity.principalId);
    assert.equal(res.json().properties.vmId, before.properties.vmId);
    assert.deepEqual(Object.keys(res.json().identity.userAssignedIdentities), [idA, idB]);
  });

  it('detaches with PATCH null, then drops the system identity and its principal', async () => {
    const before = notified;
    const detached = await req('PATCH', `${vmUrl('web1')}?${V}`, {
      identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [idA]: null } },
    });
    assert.equal(detached.statusCode, 200, detached.body);
    assert.equal(notified, before + 1, 'agents are woken once the detach is committed');
    assert.deepEqual(Object.keys(detached.json().identity.userAssignedIdentities), [idB]);
    const systemId = detached.json().identity.principalId;

    const userOnly = await req('PATCH', `${vmUrl('web1')}?${V}`, { identity: { type: 'UserAssigned' }, tags: { role: 'api' } });
    assert.deepEqual(userOnly.json().identity, { type: 'UserAssigned', userAssignedIdentities: detached.json().identity.userAssignedIdentities });
    assert.deepEqual(userOnly.json().tags, { role: 'api' });
    assert.equal(await t.store.principals.getByObjectId(t.tenantId, systemId), undefined, 'the system-assigned principal is gone');

    const none = await req('PATCH', `${vmUrl('web1')}?${V}`, { identity: { type: 'None' } });
    assert.equal(none.json().identity, undefined);
    assert.equal(none.json().properties.hardwareProfile.vmSize, 'Standard_B1s', 'a PATCH without properties keeps them');
  });

  it('merges PATCH properties as JSON merge patch, never storing secrets', async () => {
    await req('PUT', `${vmUrl('merge1')}?${V}`, vmBody());
    const res = await req('PATCH', `${vmUrl('merge1')}?${V}`, {
      properties: {
        hardwareProfile: { vmSize: 'Standard_D2s_v5' },
        osProfile: { adminPassword: 'Another-S3cret', computerName: null },
        networkProfile: null,
        vmId: 'forged',
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const p = res.json().properties;
    assert.equal(p.hardwareProfile.vmSize, 'Standard_D2s_v5');
    assert.deepEqual(p.osProfile, { adminUsername: 'azureuser' });
    assert.equal(p.networkProfile, undefined);
    assert.equal(p.storageProfile.imageReference.publisher, 'Canonical');
    assert.ok(isGuid(p.vmId), 'vmId is read-only');
    assert.ok(!JSON.stringify((await t.store.resources.get(vmUrl('merge1')))!.properties).includes('S3cret'));
  });

  it('refuses an unknown identity and a malformed request, creating nothing', async () => {
    const missing = `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope`;
    const cases: [string, unknown, number, string, RegExp][] = [
      ['bad-1', vmBody({ type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [missing]: {} } }), 400, 'FailedIdentityOperation', /was not found/],
      ['bad-2', vmBody({ type: 'Everything' }), 400, 'InvalidParameter', /identity.type/],
      [
        'bad-3',
        vmBody({ type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/x': {} } }),
        400,
        'InvalidParameter',
        /not a valid user assigned identity resource id/,
      ],
      ['bad-4', { ...vmBody(), location: undefined }, 400, 'LocationRequired', /location/],
      ['bad-5', { ...vmBody(), identity: 'SystemAssigned' }, 400, 'InvalidRequestContent', /identity/],
      ['_bad', vmBody(), 400, 'InvalidParameter', /entity name '_bad' is invalid/],
      ['bad-', vmBody(), 400, 'InvalidParameter', /validation rule/],
    ];
    for (const [name, body, status, code, message] of cases) {
      const res = await req('PUT', `${vmUrl(name)}?${V}`, body);
      assert.equal(res.statusCode, status, `${name}: ${res.body}`);
      assert.equal(res.json().error.code, code, res.body);
      assert.match(res.json().error.message, message);
      assert.equal(await t.store.resources.get(vmUrl(name)), undefined);
      assert.equal(await t.store.principals.getByResourceId(vmUrl(name)), undefined, `${name}: no principal left behind`);
    }
    const patchMissing = await req('PATCH', `${vmUrl('ghost')}?${V}`, { tags: {} });
    assert.equal(patchMissing.statusCode, 404);
    assert.equal(patchMissing.json().error.code, 'ResourceNotFound');
  });

  it('lists by group and by subscription', async () => {
    await req('PUT', `${vmUrl('web2')}?${V}`, vmBody({ type: 'UserAssigned', userAssignedIdentities: { [idB]: {} } }));
    const inGroup = (await req('GET', `${group}/providers/Microsoft.Compute/virtualMachines?${V}`)).json();
    assert.deepEqual(
      inGroup.value.map((v: { name: string }) => v.name),
      ['merge1', 'web1', 'web2'],
    );
    assert.equal(inGroup.value[2].identity.type, 'UserAssigned');
    const all = (await req('GET', `/subscriptions/${t.subscriptionId}/providers/Microsoft.Compute/virtualMachines?${V}&statusOnly=true`)).json();
    assert.ok(all.value.length >= 2);
  });

  it('deletes long-running with the system principal; 204 when absent', async () => {
    const created = (await req('PUT', `${vmUrl('doomed')}?${V}`, vmBody({ type: 'SystemAssigned' }))).json();
    const before = notified;
    const res = await req('DELETE', `${vmUrl('doomed')}?${V}`);
    assert.equal(res.statusCode, 202);
    assert.ok(res.headers['azure-asyncoperation'] && res.headers['location']);
    assert.equal(notified, before + 1);
    assert.equal((await req('GET', pathOf(res.headers['location'] as string))).statusCode, 200);
    assert.equal(await t.store.principals.getByObjectId(t.tenantId, created.identity.principalId), undefined);
    assert.equal((await req('GET', `${vmUrl('doomed')}?${V}`)).statusCode, 404);
    assert.equal((await req('DELETE', `${vmUrl('doomed')}?${V}`)).statusCode, 204);
    assert.ok(await t.store.principals.getByResourceId(idB), 'user-assigned identities outlive the VM');
    const deleteIdentity = await req('DELETE', `${idA}?${MV}`);
    assert.equal(deleteIdentity.statusCode, 200);
    assert.equal(notified, before + 2, 'deleting an identity wakes agents too');
  });
});
