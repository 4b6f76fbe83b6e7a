/** The Microsoft.ManagedIdentity provider: user-assigned identities, system-assigned identity by scope, operations. */
import { USER_ASSIGNED_IDENTITY_SPEC } from '../../core/identities/user-assigned-identities.js';
import { ASSIGN_IDENTITY_ACTION } from '../../core/identities/linked-authorization.js';
import { global, regional, type ProviderDeclaration } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';
import { MSI_API_VERSIONS } from './api-versions.js';
import { MSI_OPERATION_DISPLAY, MSI_OPERATIONS_PROVIDER } from './operations.js';
import { systemAssignedIdentityRoute } from './routes.js';
import { toUserAssignedIdentityWire } from './wire.js';
import { FEDERATED_IDENTITY_CREDENTIAL_SPEC, FIC_API_VERSIONS, toFederatedIdentityCredentialWire } from './federated-identity-credentials.js';

export function managedIdentityProvider(deps: ProviderDeps): ProviderDeclaration {
  return trackedProvider(deps, {
    namespace: 'Microsoft.ManagedIdentity',
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [
      regional('userAssignedIdentities', MSI_API_VERSIONS),
      global('Identities', MSI_API_VERSIONS),
      global('operations', MSI_API_VERSIONS),
      regional('userAssignedIdentities/federatedIdentityCredentials', FIC_API_VERSIONS),
    ],
    tracked: [
      {
        spec: USER_ASSIGNED_IDENTITY_SPEC,
        apiVersions: MSI_API_VERSIONS,
        params: { name: 'resourceName' },
        operationIds: {
          createOrUpdate: 'UserAssignedIdentities_CreateOrUpdate',
          update: 'UserAssignedIdentities_Update',
          get: 'UserAssignedIdentities_Get',
          delete: 'UserAssignedIdentities_Delete',
          list: 'UserAssignedIdentities_ListByResourceGroup',
          listBySubscription: 'UserAssignedIdentities_ListBySubscription',
        },
        // Synchronous: 201/200 on PUT, 200 (204 when absent) on DELETE.
        write: 'sync',
        delete: 'sync',
        render: toUserAssignedIdentityWire,
      },
      {
        // A child type (issue 14): `{identity}/federatedIdentityCredentials/{name}`, synchronous as Azure.
        spec: FEDERATED_IDENTITY_CREDENTIAL_SPEC,
        apiVersions: FIC_API_VERSIONS,
        params: { parents: ['resourceName'], name: 'federatedIdentityCredentialResourceName' },
        operationIds: {
          createOrUpdate: 'FederatedIdentityCredentials_CreateOrUpdate',
          get: 'FederatedIdentityCredentials_Get',
          delete: 'FederatedIdentityCredentials_Delete',
          list: 'FederatedIdentityCredentials_List',
        },
        write: 'sync',
        delete: 'sync',
        render: toFederatedIdentityCredentialWire,
      },
    ],
    routes: [systemAssignedIdentityRoute(deps.store)],
    operations: { provider: MSI_OPERATIONS_PROVIDER, display: MSI_OPERATION_DISPLAY, extraActions: [ASSIGN_IDENTITY_ACTION] },
    operationsApiVersions: MSI_API_VERSIONS,
  });
}
