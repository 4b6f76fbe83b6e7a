// Creates a resource group, a user-assigned identity and a VM holding it plus a system-assigned
// identity, through the ARM API of a running Keyless, with the unmodified Azure SDKs.
// Usage: node examples/create-vm.mjs [data-dir]   (default ./.keyless) — prints the VM's ARM id.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ComputeManagementClient } from '@azure/arm-compute';

const b = JSON.parse(readFileSync(join(process.argv[2] ?? '.keyless', 'bootstrap.json'), 'utf8'));
const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, {
  authorityHost: b.authorityHost,
  disableInstanceDiscovery: true,
});
const options = { endpoint: b.armEndpoint };
await new ResourceManagementClient(credential, b.subscriptionId, options).resourceGroups.createOrUpdate('myResourceGroup', { location: 'westus2' });
const identity = await new ManagedServiceIdentityClient(credential, b.subscriptionId, options).userAssignedIdentities.createOrUpdate(
  'myResourceGroup',
  'myIdentity',
  { location: 'westus2' },
);
const vm = await new ComputeManagementClient(credential, b.subscriptionId, options).virtualMachines.beginCreateOrUpdateAndWait('myResourceGroup', 'myVM', {
  location: 'westus2',
  hardwareProfile: { vmSize: 'Standard_B1s' },
  identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [identity.id]: {} } },
});
console.error(`user-assigned identity client id: ${identity.clientId}`);
console.log(vm.id);
