/** The Microsoft.Compute provider: virtual machines as hosts of managed identities. */
import type { ProviderDeclaration } from '../kit/declaration.js';
import { regional } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';
import { COMPUTE_API_VERSIONS } from './api-versions.js';
import { VIRTUAL_MACHINE_SPEC, VIRTUAL_MACHINE_TYPE } from './virtual-machines.js';

export function computeProvider(deps: ProviderDeps): ProviderDeclaration {
  return trackedProvider(deps, {
    namespace: 'Microsoft.Compute',
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [regional('virtualMachines', COMPUTE_API_VERSIONS)],
    tracked: [
      {
        spec: VIRTUAL_MACHINE_SPEC,
        apiVersions: COMPUTE_API_VERSIONS,
        params: { name: 'vmName' },
        operationIds: {
          createOrUpdate: 'VirtualMachines_CreateOrUpdate',
          update: 'VirtualMachines_Update',
          get: 'VirtualMachines_Get',
          delete: 'VirtualMachines_Delete',
          list: 'VirtualMachines_List',
          listBySubscription: 'VirtualMachines_ListAll',
        },
        // Compute answers writes with `Azure-AsyncOperation` only, deletes with 202 + polling headers.
        write: 'async-operation',
        delete: 'accepted',
      },
    ],
    // A VM's workloads may use every identity it holds.
    hostTypes: [{ resourceType: VIRTUAL_MACHINE_TYPE, apiVersions: COMPUTE_API_VERSIONS, label: 'virtual machine' }],
    features: ['EncryptionAtHost', 'UseStandardSecurityType'],
  });
}
