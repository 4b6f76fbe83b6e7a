/**
 * Azure's built-in role definitions, as data: real GUIDs, actions, notActions, dataActions and
 * notDataActions (reference table azure-wire-contracts.md §4.5; Microsoft revises some roles from
 * time to time). Built-in roles are assignable everywhere (`assignableScopes: ['/']`) and read-only.
 */
import type { Permission, RoleDefinition } from './model.js';

const SUPPORT = 'Microsoft.Support/*';
const AUTH_READ = 'Microsoft.Authorization/*/read';
const ALERT_RULES = 'Microsoft.Insights/alertRules/*';
const DEPLOYMENTS = 'Microsoft.Resources/deployments/*';
const RG_READ = 'Microsoft.Resources/subscriptions/resourceGroups/read';
const KEY_VAULT_CONTROL = [
  AUTH_READ,
  ALERT_RULES,
  DEPLOYMENTS,
  RG_READ,
  SUPPORT,
  'Microsoft.KeyVault/checkNameAvailability/read',
  'Microsoft.KeyVault/deletedVaults/read',
  'Microsoft.KeyVault/locations/*/read',
  'Microsoft.KeyVault/vaults/*/read',
  'Microsoft.KeyVault/operations/read',
];
const BLOB = 'Microsoft.Storage/storageAccounts/blobServices';

function role(name: string, roleName: string, description: string, p: Partial<Permission>): RoleDefinition {
  return {
    name,
    roleName,
    description,
    roleType: 'BuiltInRole',
    permissions: [{ actions: p.actions ?? [], notActions: p.notActions ?? [], dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] }],
    assignableScopes: ['/'],
    createdOn: null,
    updatedOn: null,
    createdBy: null,
    updatedBy: null,
  };
}

/** Every built-in role this server knows, by ascending role name. */
export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  role('7f951dda-4ed3-4680-a7ca-43fe172d538d', 'AcrPull', 'acr pull', { actions: ['Microsoft.ContainerRegistry/registries/pull/read'] }),
  role('8311e382-0749-4cb8-b61a-304f252e45ec', 'AcrPush', 'acr push', {
    actions: ['Microsoft.ContainerRegistry/registries/pull/read', 'Microsoft.ContainerRegistry/registries/push/write'],
  }),
  role(
    'b24988ac-6180-42a0-ab88-20f7382dd24c',
    'Contributor',
    'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    {
      actions: ['*'],
      notActions: [
        'Microsoft.Authorization/*/Delete',
        'Microsoft.Authorization/*/Write',
        'Microsoft.Authorization/elevateAccess/Action',
        'Microsoft.Blueprint/blueprintAssignments/write',
        'Microsoft.Blueprint/blueprintAssignments/delete',
        'Microsoft.Compute/galleries/share/action',
        'Microsoft.Purview/consents/write',
        'Microsoft.Purview/consents/delete',
        'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
        'Microsoft.Subscription/cancel/action',
        'Microsoft.Subscription/enable/action',
      ],
    },
  ),
  role(
    'befefa01-2a29-4197-83a8-272ff33ce314',
    'DNS Zone Contributor',
    'Lets you manage DNS zones and record sets in Azure DNS, but does not let you control who has access to them.',
    {
      actions: [AUTH_READ, ALERT_RULES, 'Microsoft.Network/dnsZones/*', 'Microsoft.ResourceHealth/availabilityStatuses/read', DEPLOYMENTS, RG_READ, SUPPORT],
    },
  ),
  role(
    '8d8d5a11-05d3-4bda-a417-a08778121c7c',
    'HDInsight Domain Services Contributor',
    'Can Read, Create, Modify and Delete Domain Services related operations needed for HDInsight Enterprise Security Package',
    {
      actions: ['Microsoft.AAD/*/read', 'Microsoft.AAD/domainServices/*/read', 'Microsoft.AAD/domainServices/oucontainer/*'],
    },
  ),
  role(
    '00482a5a-887f-4fb3-b363-3b7fe8e74483',
    'Key Vault Administrator',
    'Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets.',
    {
      actions: KEY_VAULT_CONTROL,
      dataActions: ['Microsoft.KeyVault/vaults/*'],
    },
  ),
  role('14b46e9e-c2b7-41b4-b07b-48a6ebf60603', 'Key Vault Crypto Officer', 'Perform any action on the keys of a key vault, except manage permissions.', {
    actions: KEY_VAULT_CONTROL,
    dataActions: ['Microsoft.KeyVault/vaults/keys/*', 'Microsoft.KeyVault/vaults/keyrotationpolicies/*'],
  }),
  role('e147488a-f6f5-4113-8e2d-b22465e65bf6', 'Key Vault Crypto Service Encryption User', 'Read metadata of keys and perform wrap/unwrap operations.', {
    actions: ['Microsoft.EventGrid/eventSubscriptions/write', 'Microsoft.EventGrid/eventSubscriptions/read', 'Microsoft.EventGrid/eventSubscriptions/delete'],
    dataActions: ['Microsoft.KeyVault/vaults/keys/read', 'Microsoft.KeyVault/vaults/keys/wrap/action', 'Microsoft.KeyVault/vaults/keys/unwrap/action'],
  }),
  role('12338af0-0e69-4776-bea7-57ae8d297424', 'Key Vault Crypto User', 'Perform cryptographic operations using keys.', {
    dataActions: [
      'Microsoft.KeyVault/vaults/keys/read',
      'Microsoft.KeyVault/vaults/keys/update/action',
      'Microsoft.KeyVault/vaults/keys/backup/action',
      'Microsoft.KeyVault/vaults/keys/encrypt/action',
      'Microsoft.KeyVault/vaults/keys/decrypt/action',
      'Microsoft.KeyVault/vaults/keys/wrap/action',
      'Microsoft.KeyVault/vaults/keys/unwrap/action',
      'Microsoft.KeyVault/vaults/keys/sign/action',
      'Microsoft.KeyVault/vaults/keys/verify/action',
    ],
  }),
  role('21090545-7ca7-4776-b22c-e363652d74d2', 'Key Vault Reader', 'Read metadata of key vaults and its certificates, keys, and secrets.', {
    actions: KEY_VAULT_CONTROL,
    dataActions: ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
  }),
  role('b86a8fe4-44ce-4948-aee5-eccb2c155cd7', 'Key Vault Secrets Officer', 'Perform any action on the secrets of a key vault, except manage permissions.', {
    actions: KEY_VAULT_CONTROL,
    dataActions: ['Microsoft.KeyVault/vaults/secrets/*'],
  }),
  role('4633458b-17de-408a-b874-0445c86b69e6', 'Key Vault Secrets User', 'Read secret contents.', {
    dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
  }),
  role('e40ec5ca-96e0-45a2-b4ff-59039f2c2b59', 'Managed Identity Contributor', 'Create, Read, Update, and Delete User Assigned Identity', {
    actions: [
      'Microsoft.ManagedIdentity/userAssignedIdentities/read',
      'Microsoft.ManagedIdentity/userAssignedIdentities/write',
      'Microsoft.ManagedIdentity/userAssignedIdentities/delete',
      'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read',
      'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
      'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete',
      'Microsoft.ManagedIdentity/userAssignedIdentities/revokeTokens/action',
      AUTH_READ,
      ALERT_RULES,
      RG_READ,
      DEPLOYMENTS,
      SUPPORT,
    ],
  }),
  role('f1a07417-d97a-45cb-824c-7a7467783830', 'Managed Identity Operator', 'Read and Assign User Assigned Identity', {
    actions: [
      'Microsoft.ManagedIdentity/userAssignedIdentities/*/read',
      'Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action',
      AUTH_READ,
      ALERT_RULES,
      RG_READ,
      DEPLOYMENTS,
      SUPPORT,
    ],
  }),
  role('3913510d-42f4-4e42-8a64-420c390055eb', 'Monitoring Metrics Publisher', 'Enables publishing metrics against Azure resources', {
    actions: ['Microsoft.Insights/Register/Action', SUPPORT, RG_READ],
    dataActions: ['Microsoft.Insights/Metrics/Write', 'Microsoft.Insights/Telemetry/Write'],
  }),
  role('4d97b98b-1d4f-4787-a291-c67834d212e7', 'Network Contributor', 'Lets you manage networks, but not access to them.', {
    actions: [AUTH_READ, ALERT_RULES, 'Microsoft.Network/*', 'Microsoft.ResourceHealth/availabilityStatuses/read', DEPLOYMENTS, RG_READ, SUPPORT],
  }),
  role('8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'Owner', 'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.', {
    actions: ['*'],
  }),
  role(
    'b12aa53e-6015-4669-85d0-8515ebb3ae7f',
    'Private DNS Zone Contributor',
    'Lets you manage private DNS zone resources, but not the virtual networks they are linked to.',
    {
      actions: [
        ALERT_RULES,
        DEPLOYMENTS,
        RG_READ,
        SUPPORT,
        'Microsoft.Network/privateDnsZones/*',
        'Microsoft.Network/privateDnsOperationResults/*',
        'Microsoft.Network/privateDnsOperationStatuses/*',
        'Microsoft.Network/virtualNetworks/read',
        'Microsoft.Network/virtualNetworks/join/action',
        AUTH_READ,
      ],
    },
  ),
  role('acdd72a7-3385-48ef-bd42-f606fba81ae7', 'Reader', 'View all resources, but does not allow you to make any changes.', { actions: ['*/read'] }),
  role(
    'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
    'Role Based Access Control Administrator',
    'Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.',
    {
      actions: ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete', '*/read', SUPPORT],
    },
  ),
  role(
    'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    'Storage Blob Data Contributor',
    'Allows for read, write and delete access to Azure Storage blob containers and data',
    {
      actions: [`${BLOB}/containers/delete`, `${BLOB}/containers/read`, `${BLOB}/containers/write`, `${BLOB}/generateUserDelegationKey/action`],
      dataActions: [
        `${BLOB}/containers/blobs/delete`,
        `${BLOB}/containers/blobs/read`,
        `${BLOB}/containers/blobs/write`,
        `${BLOB}/containers/blobs/move/action`,
        `${BLOB}/containers/blobs/add/action`,
      ],
    },
  ),
  role(
    'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    'Storage Blob Data Owner',
    'Allows for full access to Azure Storage blob containers and data, including assigning POSIX access control.',
    {
      actions: [`${BLOB}/containers/*`, `${BLOB}/generateUserDelegationKey/action`],
      dataActions: [`${BLOB}/containers/blobs/*`],
    },
  ),
  role('2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', 'Storage Blob Data Reader', 'Allows for read access to Azure Storage blob containers and data', {
    actions: [`${BLOB}/containers/read`, `${BLOB}/generateUserDelegationKey/action`],
    dataActions: [`${BLOB}/containers/blobs/read`],
  }),
  role('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', 'User Access Administrator', 'Lets you manage user access to Azure resources.', {
    actions: ['*/read', 'Microsoft.Authorization/*', SUPPORT],
  }),
];

/** GUIDs of roles other code refers to by name. */
export const ROLE_IDS = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  userAccessAdministrator: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  rbacAdministrator: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  managedIdentityOperator: 'f1a07417-d97a-45cb-824c-7a7467783830',
  managedIdentityContributor: 'e40ec5ca-96e0-45a2-b4ff-59039f2c2b59',
} as const;
