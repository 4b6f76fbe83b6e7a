/**
 * Names and ids of Microsoft.ManagedIdentity resources. Azure's rule for a user-assigned identity
 * name: 3 to 128 characters, letters, digits, hyphens and underscores, starting with a letter or digit
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftmanagedidentity).
 */
import { DomainError } from '../errors.js';
import { parseResourceId } from '../resource-id.js';

export const USER_ASSIGNED_IDENTITY_NAMESPACE = 'Microsoft.ManagedIdentity';
export const USER_ASSIGNED_IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';

const IDENTITY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;

/** Throws `InvalidResourceName` unless `name` is a valid user-assigned identity name. */
export function assertUserAssignedIdentityName(name: string): void {
  if (!IDENTITY_NAME.test(name)) {
    throw new DomainError(
      'InvalidResourceName',
      `Resource name '${name}' is invalid. The name of a user assigned identity must be 3 to 128 characters long, start with a letter or number, and contain only letters, numbers, hyphens and underscores.`,
      { target: 'resourceName' },
    );
  }
}

/** The parts of a user-assigned identity's ARM id. */
export interface UserAssignedIdentityRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/**
 * Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`;
 * undefined when `id` is anything else.
 */
export function parseUserAssignedIdentityId(id: string): UserAssignedIdentityRef | undefined {
  const parts = parseResourceId(id);
  if (!parts?.subscriptionId || !parts.resourceGroup || parts.namespace?.toLowerCase() !== 'microsoft.managedidentity') return undefined;
  if (parts.types.length !== 1 || parts.types[0]!.toLowerCase() !== 'userassignedidentities' || parts.names.length !== 1) return undefined;
  // The parent scope must be the group itself (no extension resource in between).
  if (parts.parentScope.toLowerCase() !== `/subscriptions/${parts.subscriptionId}/resourcegroups/${parts.resourceGroup}`.toLowerCase()) return undefined;
  return { subscriptionId: parts.subscriptionId, resourceGroup: parts.resourceGroup, name: parts.names[0]! };
}
