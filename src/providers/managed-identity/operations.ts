/**
 * Operations_List of Microsoft.ManagedIdentity: the RBAC actions the provider defines, with the
 * display text the portal and `az provider operation show` print. The names are the actions Keyless
 * routes check (and `assign/action`, which attaching an identity to a resource requires).
 */
const PROVIDER = 'Managed Service Identity';

interface OperationWire {
  name: string;
  display: { provider: string; resource: string; operation: string; description: string };
}

function op(name: string, resource: string, operation: string, description: string): OperationWire {
  return { name: `Microsoft.ManagedIdentity/${name}`, display: { provider: PROVIDER, resource, operation, description } };
}

/** Every operation, in the order Azure lists them (by resource, then read/write/delete/actions). */
export const MSI_OPERATIONS: readonly OperationWire[] = [
  op('operations/read', 'Operations', 'Get Available Operations', 'Lists the operations available on the Microsoft.ManagedIdentity resource provider.'),
  op('identities/read', 'Managed Service Identities', 'Get Managed Service Identity', 'Gets the system assigned identity of a resource.'),
  op('userAssignedIdentities/read', 'User Assigned Identities', 'Get/List User Assigned Identities', 'Gets an existing user assigned identity, or lists those of a resource group or subscription.'),
  op('userAssignedIdentities/write', 'User Assigned Identities', 'Create/Update User Assigned Identity', 'Creates a new user assigned identity or updates the tags of an existing one.'),
  op('userAssignedIdentities/delete', 'User Assigned Identities', 'Delete User Assigned Identity', 'Deletes an existing user assigned identity and its service principal.'),
  op('userAssignedIdentities/assign/action', 'User Assigned Identities', 'Assign User Assigned Identity', 'Assigns an existing user assigned identity to a resource.'),
  op('userAssignedIdentities/federatedIdentityCredentials/read', 'Federated Identity Credentials', 'Get/List Federated Identity Credentials', 'Gets or lists the federated identity credentials of a user assigned identity.'),
  op('userAssignedIdentities/federatedIdentityCredentials/write', 'Federated Identity Credentials', 'Create/Update Federated Identity Credential', 'Adds or updates a federated identity credential of a user assigned identity.'),
  op('userAssignedIdentities/federatedIdentityCredentials/delete', 'Federated Identity Credentials', 'Delete Federated Identity Credential', 'Deletes a federated identity credential of a user assigned identity.'),
];
