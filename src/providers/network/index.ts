/** The Microsoft.Network provider, as far as AKS needs it: virtual networks and subnets. */
import { regional, type ProviderDeclaration } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';
import { SUBNET_SPEC, toSubnetWire, toVirtualNetworkWire, VIRTUAL_NETWORK_SPEC } from './virtual-networks.js';

/** Network RP stable versions; Debian's az 2.45 sends 2022-01-01, newer SDKs 2024-2025 ones. */
export const NETWORK_API_VERSIONS = [
  '2025-05-01',
  '2025-03-01',
  '2025-01-01',
  '2024-10-01',
  '2024-07-01',
  '2024-05-01',
  '2024-03-01',
  '2024-01-01',
  '2023-11-01',
  '2023-09-01',
  '2023-06-01',
  '2023-05-01',
  '2023-04-01',
  '2023-02-01',
  '2022-11-01',
  '2022-09-01',
  '2022-07-01',
  '2022-05-01',
  '2022-01-01',
  '2021-08-01',
  '2021-05-01',
  '2021-02-01',
  '2020-11-01',
] as const;

export function networkProvider(deps: ProviderDeps): ProviderDeclaration {
  return trackedProvider(deps, {
    namespace: 'Microsoft.Network',
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [regional('virtualNetworks', NETWORK_API_VERSIONS), regional('virtualNetworks/subnets', NETWORK_API_VERSIONS)],
    tracked: [
      {
        spec: VIRTUAL_NETWORK_SPEC,
        apiVersions: NETWORK_API_VERSIONS,
        params: { name: 'virtualNetworkName' },
        operationIds: {
          createOrUpdate: 'VirtualNetworks_CreateOrUpdate',
          update: 'VirtualNetworks_UpdateTags',
          get: 'VirtualNetworks_Get',
          delete: 'VirtualNetworks_Delete',
          list: 'VirtualNetworks_List',
          listBySubscription: 'VirtualNetworks_ListAll',
        },
        // Network answers PUT with the body and Azure-AsyncOperation, DELETE with 202.
        write: 'async-operation',
        delete: 'accepted',
        render: toVirtualNetworkWire,
      },
      {
        spec: SUBNET_SPEC,
        apiVersions: NETWORK_API_VERSIONS,
        params: { parents: ['virtualNetworkName'], name: 'subnetName' },
        operationIds: { createOrUpdate: 'Subnets_CreateOrUpdate', get: 'Subnets_Get', delete: 'Subnets_Delete', list: 'Subnets_List' },
        write: 'async-operation',
        delete: 'accepted',
        render: toSubnetWire,
      },
    ],
  });
}
