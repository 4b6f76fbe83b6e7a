/**
 * The README's walkthrough, end to end through ARM with unmodified SDKs: a resource group
 * (@azure/arm-resources), a user-assigned identity (@azure/arm-msi), a VM holding it and a
 * system-assigned identity (@azure/arm-compute); `npx keyless agent` on that VM; then a workload's
 * ManagedIdentityCredential gets verified tokens for both identities. Detaching the identity (ARM
 * PATCH) and deleting an identity (ARM DELETE) stop its tokens at the agent within 1 s.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { ComputeManagementClient, type VirtualMachine } from '@azure/arm-compute';
import { ManagedServiceIdentityClient, type Identity } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { runSdkClients, startAgentProcess, type RunningAgent } from './agent-process.js';

describe('walkthrough: identities through ARM, tokens through the agent', () => {
  let kl: RunningKeyless;
  let agent: RunningAgent;
  let compute: ComputeManagementClient;
  let msi: ManagedServiceIdentityClient;
  let vm: VirtualMachine;
  let app: Identity;
  let spare: Identity;
  let jwks: JSONWebKeySet;
  let resources: ResourceManagementClient;
  const rg = 'walkthrough-rg';

  before(async () => {
    kl = await startKeyless();
    const b = kl.bootstrap;
    const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
    resources = new ResourceManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
    msi = new ManagedServiceIdentityClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
    compute = new ComputeManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
    await resources.resourceGroups.createOrUpdate(rg, { location: 'westus2' });
    app = await msi.userAssignedIdentities.createOrUpdate(rg, 'app-identity', { location: 'westus2' });
    spare = await msi.userAssignedIdentities.createOrUpdate(rg, 'spare-identity', { location: 'westus2' });
    vm = await compute.virtualMachines.beginCreateOrUpdateAndWait(
      rg,
      'vm1',
      {
        location: 'westus2',
        hardwareProfile: { vmSize: 'Standard_B1s' },
        identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [app.id!]: {}, [spare.id!]: {} } },
      },
      { updateIntervalInMs: 50 },
    );
    const discovery = (await (await fetch(`${b.authorityHost}/${b.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    jwks = (await (await fetch(discovery.jwks_uri)).json()) as JSONWebKeySet;
    agent = await startAgentProcess(['--data-dir', kl.dataDir, '--resource', vm.id!, '--port', '0']);
  });
  after(async () => {
    await agent?.stop();
    await kl?.dispose();
  });

  it('the VM holds a system-assigned and two user-assigned identities', () => {
    assert.equal(vm.identity?.type, 'SystemAssigned, UserAssigned');
    assert.match(vm.identity?.principalId ?? '', /^[0-9a-f-]{36}$/);
    const attached = vm.identity?.userAssignedIdentities ?? {};
    assert.equal(Object.keys(attached).length, 2);
    const entry = Object.entries(attached).find(([id]) => id.toLowerCase() === app.id!.toLowerCase())?.[1];
    assert.equal(entry?.clientId, app.clientId);
    assert.equal(entry?.principalId, app.principalId);
  });

  it('the group lists the VM with its identity in the ARM shape', async () => {
    const listed = [];
    for await (const r of resources.resources.listByResourceGroup(rg)) listed.push(r);
    const found = listed.find((r) => r.type === 'Microsoft.Compute/virtualMachines');
    assert.equal(found?.identity?.type, 'SystemAssigned, UserAssigned');
    assert.equal(found?.identity?.principalId, vm.identity!.principalId);
    assert.equal(listed.filter((r) => r.type === 'Microsoft.ManagedIdentity/userAssignedIdentities').length, 2);
  });

  it('ManagedIdentityCredential gets verified tokens for the system and the user-assigned identity', async () => {
    const results = await runSdkClients({ AZURE_POD_IDENTITY_AUTHORITY_HOST: agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST }, [
      { client: 'mic', kind: 'system', resource: 'https://vault.azure.net' },
      { client: 'mic', kind: 'clientId', value: app.clientId!, resource: 'https://storage.azure.com' },
    ]);
    const [system, user] = results;
    assert.ok(system?.ok && user?.ok, JSON.stringify(results));
    const keys = createLocalJWKSet(jwks);
    const s = (await jwtVerify(system.token!, keys, { audience: 'https://vault.azure.net' })).payload;
    assert.equal(s.oid, vm.identity!.principalId);
    assert.equal(String(s.xms_mirid).toLowerCase(), vm.id!.toLowerCase());
    const u = (await jwtVerify(user.token!, keys, { audience: 'https://storage.azure.com' })).payload;
    assert.equal(u.oid, app.principalId);
    assert.equal(u.appid, app.clientId);
    assert.equal(u.tid, kl.bootstrap.tenantId);
    assert.equal(String(u.xms_mirid).toLowerCase(), app.id!.toLowerCase());
  });

  async function refusedWithin(clientId: string, change: () => Promise<unknown>): Promise<number> {
    const url = `${agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&client_id=${clientId}`;
    const ask = async () => (await fetch(url, { headers: { Metadata: 'true' } })).status;
    assert.equal(await ask(), 200, 'a token is cached before the change');
    await change();
    const start = performance.now();
    let status = 200;
    while (status === 200 && performance.now() - start < 5000) status = await ask();
    assert.equal(status, 400, 'refused with "Identity not found"');
    return performance.now() - start;
  }

  it('detaching the identity through ARM stops its tokens at the agent within 1 s', async () => {
    const elapsed = await refusedWithin(app.clientId!, () =>
      compute.virtualMachines.beginUpdateAndWait(
        rg,
        'vm1',
        {
          identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [app.id!]: null as never } },
        },
        { updateIntervalInMs: 50 },
      ),
    );
    assert.ok(elapsed < 1000, `refused ${elapsed.toFixed(0)} ms after the ARM call returned`);
  });

  it('deleting an identity through ARM stops its tokens at the agent within 1 s', async () => {
    const elapsed = await refusedWithin(spare.clientId!, () => msi.userAssignedIdentities.delete(rg, 'spare-identity'));
    assert.ok(elapsed < 1000, `refused ${elapsed.toFixed(0)} ms after the ARM call returned`);
  });
});
