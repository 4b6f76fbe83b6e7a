/**
 * The resources AKS's seeds point at (in-process, real SQLite store): a virtual network with inline
 * and separately written subnets (address ranges checked), a cluster whose pool names a subnet, and a
 * container registry with its global name check.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

const NV = 'api-version=2022-01-01';
const AV = 'api-version=2022-02-01-preview';

describe('virtual networks, subnets and registries for AKS', () => {
  let t: ArmTestApp;
  let group: string;
  const req = (method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: t.auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });

  before(async () => {
    t = await createArmTestApp('sqlite');
    group = `/subscriptions/${t.subscriptionId}/resourceGroups/net`;
    await req('PUT', `${group}?api-version=2021-04-01`, { location: 'westus2' });
  });
  after(() => t.close());

  it('a network with an inline subnet; subnets written on their own; ranges checked', async () => {
    const vnet = `${group}/providers/Microsoft.Network/virtualNetworks/vnet1`;
    const created = await req('PUT', `${vnet}?${NV}`, {
      location: 'westus2',
      properties: { addressSpace: { addressPrefixes: ['10.0.0.0/8'] }, subnets: [{ name: 'default', properties: { addressPrefix: '10.240.0.0/16' } }] },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().properties.subnets[0].id, `${vnet}/subnets/default`);
    const subnet = await req('GET', `${vnet}/subnets/default?${NV}`);
    assert.equal(subnet.statusCode, 200);
    assert.equal(subnet.json().properties.addressPrefix, '10.240.0.0/16');
    const second = await req('PUT', `${vnet}/subnets/aks?${NV}`, { properties: { addressPrefix: '10.241.0.0/16' } });
    assert.equal(second.statusCode, 201, second.body);
    assert.deepEqual(
      (await req('GET', `${vnet}?${NV}`)).json().properties.subnets.map((s: any) => s.name),
      ['default', 'aks'],
    );
    const outside = await req('PUT', `${vnet}/subnets/bad?${NV}`, { properties: { addressPrefix: '192.168.0.0/24' } });
    assert.equal(outside.statusCode, 400);
    assert.match(outside.json().error.message, /outside the IP address range of virtual network 'vnet1'/);
    assert.equal((await req('GET', `${vnet}/subnets/bad?${NV}`)).statusCode, 404);

    const cluster = await req('PUT', `${group}/providers/Microsoft.ContainerService/managedClusters/netaks?api-version=2022-11-01`, {
      location: 'westus2',
      identity: { type: 'SystemAssigned' },
      properties: {
        dnsPrefix: 'netaks',
        agentPoolProfiles: [{ name: 'np', count: 1, mode: 'System', vnetSubnetID: `${vnet}/subnets/aks` }],
        networkProfile: { networkPlugin: 'azure', serviceCidr: '10.2.0.0/24', dnsServiceIP: '10.2.0.10' },
      },
    });
    assert.equal(cluster.statusCode, 201, cluster.body);
    const badDns = await req('PUT', `${group}/providers/Microsoft.ContainerService/managedClusters/netaks2?api-version=2022-11-01`, {
      location: 'westus2',
      properties: {
        dnsPrefix: 'netaks2',
        agentPoolProfiles: [{ name: 'np', count: 1, mode: 'System' }],
        networkProfile: { networkPlugin: 'azure', serviceCidr: '10.2.0.0/24', dnsServiceIP: '10.3.0.10' },
      },
    });
    assert.equal(badDns.statusCode, 400);
    assert.match(badDns.json().error.message, /not within the service address range/);
  });

  it('registries: sku required, login server, global names, name check', async () => {
    const url = `${group}/providers/Microsoft.ContainerRegistry/registries/myRegistry01`;
    assert.equal((await req('PUT', `${url}?${AV}`, { location: 'westus2' })).statusCode, 400);
    const created = await req('PUT', `${url}?${AV}`, { location: 'westus2', sku: { name: 'Basic' } });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().properties.loginServer, 'myregistry01.azurecr.io');
    assert.deepEqual(created.json().sku, { name: 'Basic', tier: 'Basic' });
    const check = await req('POST', `/subscriptions/${t.subscriptionId}/providers/Microsoft.ContainerRegistry/checkNameAvailability?${AV}`, {
      name: 'MYREGISTRY01',
      type: 'Microsoft.ContainerRegistry/registries',
    });
    assert.deepEqual(check.json(), { nameAvailable: false, reason: 'AlreadyExists', message: 'The registry MYREGISTRY01 is already in use.' });
    await req('PUT', `/subscriptions/${t.subscriptionId}/resourceGroups/other?api-version=2021-04-01`, { location: 'westus2' });
    const dup = await req(
      'PUT',
      `/subscriptions/${t.subscriptionId}/resourceGroups/other/providers/Microsoft.ContainerRegistry/registries/myregistry01?${AV}`,
      { location: 'westus2', sku: { name: 'Basic' } },
    );
    assert.equal(dup.statusCode, 409);
  });
});
