/**
 * Display text of Microsoft.ManagedIdentity's operations (`az provider operation show`). The list
 * itself is generated from the routes (src/providers/kit/operations.ts): only routed operations, plus
 * `assign/action`, which linked authorization checks when an identity is attached to a resource.
 */
import { ASSIGN_IDENTITY_ACTION } from '../../core/identities/linked-authorization.js';
import type { OperationDisplay } from '../kit/declaration.js';

export const MSI_OPERATIONS_PROVIDER = 'Managed Service Identity';

const op = (resource: string, operation: string, description: string): OperationDisplay => ({ resource, operation, description });

export const MSI_OPERATION_DISPLAY: Readonly<Record<string, OperationDisplay>> = {
  'Microsoft.ManagedIdentity/operations/read': op(
    'Operations',
    'Get Available Operations',
    'Lists the operations available on the Microsoft.ManagedIdentity resource provider.',
  ),
  'Microsoft.ManagedIdentity/identities/read': op(
    'Managed Service Identities',
    'Get Managed Service Identity',
    'Gets the system assigned identity of a resource.',
  ),
  'Microsoft.ManagedIdentity/userAssignedIdentities/read': op(
    'User Assigned Identities',
    'Get/List User Assigned Identities',
    'Gets an existing user assigned identity, or lists those of a resource group or subscription.',
  ),
  'Microsoft.ManagedIdentity/userAssignedIdentities/write': op(
    'User Assigned Identities',
    'Create/Update User Assigned Identity',
    'Creates a new user assigned identity or updates the tags of an existing one.',
  ),
  'Microsoft.ManagedIdentity/userAssignedIdentities/delete': op(
    'User Assigned Identities',
    'Delete User Assigned Identity',
    'Deletes an existing user assigned identity and its service principal.',
  ),
  [ASSIGN_IDENTITY_ACTION]: op('User Assigned Identities', 'Assign User Assigned Identity', 'Assigns an existing user assigned identity to a resource.'),
  'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read': op(
    'Federated Identity Credentials',
    'Get/List Federated Identity Credentials',
    'Gets or lists the federated identity credentials of a user assigned identity.',
  ),
  'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write': op(
    'Federated Identity Credentials',
    'Create/Update Federated Identity Credential',
    'Adds or updates a federated identity credential of a user assigned identity.',
  ),
  'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete': op(
    'Federated Identity Credentials',
    'Delete Federated Identity Credential',
    'Deletes a federated identity credential of a user assigned identity.',
  ),
};
