/**
 * Official SDKs, unmodified, against a Keyless server started as a user starts it:
 * `@azure/arm-msi` (user-assigned identities, system-assigned identity by scope, operations) and
 * `@azure/arm-compute` (a VM holding system- and user-assigned identities: create, detach, delete),
 * with `@azure/arm-resources` deleting the group that holds them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ComputeManagementClient, type VirtualMachine } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RG = 'mi-rg';

for (const engine of ['sqlite', 'postgres'] as const)
  describe(`arm-msi and arm-compute against \`keyless serve\` [${engine}]`, () => {
    let server: RunningKeyless;
    let database: TestDatabase | undefined;
    let msi: ManagedServiceIdentityClient;
    let compute: ComputeManagementClient;
    let resources: ResourceManagementClient;

    before(async () => {
      database = engine === 'postgres' ? await createTestDatabase() : undefined;
      server = await startKeyless({ via: 'node', ...(database ? { databaseUrl: database.url } : {}) });
      const b = server.bootstrap;
      const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
      msi = new ManagedServiceIdentityClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
      compute = new ComputeManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
      resources = new ResourceManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
      await resources.resourceGroups.createOrUpdate(RG, { location: 'westus2' });
    });
    after(async () => {
      await server?.dispose();
      await database?.drop();
    });

    it('creates, reads, updates, lists and deletes user-assigned identities', async () => {
      const a = await msi.userAssignedIdentities.createOrUpdate(RG, 'app-id', { location: 'westus2', tags: { team: 'a' } });
      assert.equal(a.type, 'Microsoft.ManagedIdentity/userAssignedIdentities');
      assert.equal(a.tenantId, server.bootstrap.tenantId);
      assert.match(a.principalId!, GUID);
      assert.match(a.clientId!, GUID);
      const b = await msi.userAssignedIdentities.createOrUpdate(RG, 'batch-id', { location: 'westus2', isolationScope: 'Regional' });
      assert.notEqual(b.principalId, a.principalId);
      assert.notEqual(b.clientId, a.clientId);
      assert.equal(b.isolationScope, 'Regional');

      const got = await msi.userAssignedIdentities.get(RG, 'app-id');
      assert.deepEqual([got.principalId, got.clientId, got.tags], [a.principalId, a.clientId, { team: 'a' }]);
      const updated = await msi.userAssignedIdentities.update(RG, 'app-id', { tags: { team: 'b' } });
      assert.deepEqual([updated.principalId, updated.tags], [a.principalId, { team: 'b' }]);

      const inGroup: string[] = [];
      for await (const i of msi.userAssignedIdentities.listByResourceGroup(RG)) inGroup.push(i.name!);
      assert.deepEqual(inGroup, ['app-id', 'batch-id']);
      const inSubscription: string[] = [];
      for await (const i of msi.userAssignedIdentities.listBySubscription()) inSubscription.push(i.principalId!);
      assert.ok(inSubscription.includes(a.principalId!) && inSubscription.includes(b.principalId!));

      await msi.userAssignedIdentities.delete(RG, 'batch-id');
      await assert.rejects(
        msi.userAssignedIdentities.get(RG, 'batch-id'),
        (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'ResourceNotFound',
      );
      await msi.userAssignedIdentities.delete(RG, 'batch-id'); // 204: nothing left, no error
    });

    it('lists the provider operations', async () => {
      const names: string[] = [];
      for await (const op of msi.operations.list()) names.push(op.name!);
      assert.ok(names.includes('Microsoft.ManagedIdentity/userAssignedIdentities/write'));
    });

    it('runs a VM with system- and user-assigned identities, detaches, deletes', async () => {
      const uami = await msi.userAssignedIdentities.get(RG, 'app-id');
      const vmParams: VirtualMachine = {
        location: 'westus2',
        identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [uami.id!]: {} } },
        hardwareProfile: { vmSize: 'Standard_B1s' },
        osProfile: { computerName: 'vm1', adminUsername: 'azureuser', adminPassword: 'N0t-a-real-Passw0rd' },
        storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } },
      };
      const vm = await compute.virtualMachines.beginCreateOrUpdateAndWait(RG, 'vm1', vmParams, { updateIntervalInMs: 10 });
      assert.equal(vm.provisioningState, 'Succeeded');
      assert.equal(vm.identity?.type, 'SystemAssigned, UserAssigned');
      assert.match(vm.identity!.principalId!, GUID);
      assert.equal(vm.identity!.tenantId, server.bootstrap.tenantId);
      assert.deepEqual(vm.identity!.userAssignedIdentities, { [uami.id!]: { principalId: uami.principalId, clientId: uami.clientId } });
      assert.equal(vm.osProfile?.adminPassword, undefined);
      assert.match(vm.vmId!, GUID);

      // The system-assigned identity by scope is the same principal, stable across reads.
      const scope = `/subscriptions/${server.bootstrap.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/vm1`;
      const sys = await msi.systemAssignedIdentities.getByScope(scope);
      assert.equal(sys.principalId, vm.identity!.principalId);
      assert.match(sys.clientId!, GUID);
      assert.equal((await compute.virtualMachines.get(RG, 'vm1')).identity?.principalId, vm.identity!.principalId);

      const listed: string[] = [];
      for await (const v of compute.virtualMachines.list(RG)) listed.push(v.name!);
      assert.deepEqual(listed, ['vm1']);
      const everywhere: string[] = [];
      for await (const v of compute.virtualMachines.listAll()) everywhere.push(v.id!);
      assert.ok(everywhere.some((id) => id.toLowerCase() === scope.toLowerCase()));

      // Detach the user-assigned identity (PATCH null), then drop the system one.
      const detached = await compute.virtualMachines
        .update(RG, 'vm1', { identity: { type: 'SystemAssigned', userAssignedIdentities: { [uami.id!]: null as never } } }, { updateIntervalInMs: 10 })
        .pollUntilDone();
      assert.deepEqual([detached.identity?.type, detached.identity?.userAssignedIdentities], ['SystemAssigned', undefined]);
      const none = await compute.virtualMachines.update(RG, 'vm1', { identity: { type: 'None' } }, { updateIntervalInMs: 10 }).pollUntilDone();
      assert.equal(none.identity, undefined);
      await assert.rejects(msi.systemAssignedIdentities.getByScope(scope), (e: { statusCode?: number }) => e.statusCode === 404);

      await compute.virtualMachines.update(RG, 'vm1', { identity: { type: 'SystemAssigned' } }, { updateIntervalInMs: 10 }).pollUntilDone();
      const fresh = await msi.systemAssignedIdentities.getByScope(scope);
      assert.notEqual(fresh.principalId, vm.identity!.principalId, 'a re-enabled system identity is a new principal');
      await compute.virtualMachines.delete(RG, 'vm1', { updateIntervalInMs: 10 }).pollUntilDone();
      await assert.rejects(compute.virtualMachines.get(RG, 'vm1'), (e: { statusCode?: number }) => e.statusCode === 404);
      await assert.rejects(msi.systemAssignedIdentities.getByScope(scope), (e: { statusCode?: number }) => e.statusCode === 404);
      assert.equal((await msi.userAssignedIdentities.get(RG, 'app-id')).principalId, uami.principalId, 'the user-assigned identity outlives the VM');
    });

    it('refuses a VM naming an identity that does not exist', async () => {
      const missing = `/subscriptions/${server.bootstrap.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/missing`;
      await assert.rejects(
        compute.virtualMachines.beginCreateOrUpdateAndWait(RG, 'vm-bad', {
          location: 'westus2',
          identity: { type: 'UserAssigned', userAssignedIdentities: { [missing]: {} } },
        }),
        (e: { statusCode?: number; code?: string }) => e.statusCode === 400 && e.code === 'FailedIdentityOperation',
      );
      await assert.rejects(compute.virtualMachines.get(RG, 'vm-bad'), (e: { statusCode?: number }) => e.statusCode === 404);
    });

    it('deleting the group removes its VMs, identities and their principals', async () => {
      await resources.resourceGroups.createOrUpdate('doomed-rg', { location: 'eastus' });
      const id = await msi.userAssignedIdentities.createOrUpdate('doomed-rg', 'gone-id', { location: 'eastus' });
      await compute.virtualMachines.beginCreateOrUpdateAndWait(
        'doomed-rg',
        'gone-vm',
        // The common-types spelling (no space) is accepted too, though the Compute SDK's type names only its own.
        { location: 'eastus', identity: { type: 'SystemAssigned,UserAssigned' as 'SystemAssigned, UserAssigned', userAssignedIdentities: { [id.id!]: {} } } },
        { updateIntervalInMs: 10 },
      );
      await resources.resourceGroups.beginDeleteAndWait('doomed-rg', { updateIntervalInMs: 10 });
      await resources.resourceGroups.createOrUpdate('doomed-rg', { location: 'eastus' });
      const vms: string[] = [];
      for await (const v of compute.virtualMachines.list('doomed-rg')) vms.push(v.name!);
      const ids: string[] = [];
      for await (const i of msi.userAssignedIdentities.listByResourceGroup('doomed-rg')) ids.push(i.name!);
      assert.deepEqual([vms, ids], [[], []]);
      const again = await msi.userAssignedIdentities.createOrUpdate('doomed-rg', 'gone-id', { location: 'eastus' });
      assert.notEqual(again.principalId, id.principalId, 'a new identity of the same name is a new principal');
    });
  });
