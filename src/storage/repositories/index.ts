/** Every repository over one connection source. */
import type { Repositories } from '../../core/ports.js';
import { createApplicationRepository } from './applications.js';
import { createBlobRepository, createStorageAccountKeyRepository } from './blobs.js';
import { createClientSecretRepository } from './client-secrets.js';
import { createHostCredentialRepository } from './host-credentials.js';
import { createMetaRepository } from './meta.js';
import { createOperationRepository } from './operations.js';
import { createPrincipalRepository } from './principals.js';
import { createResourceGroupRepository } from './resource-groups.js';
import { createResourceRepository } from './resources.js';
import { createRbacChangeRepository } from './rbac-changes.js';
import { createRegistrationRepository } from './registrations.js';
import { createRoleAssignmentRepository } from './role-assignments.js';
import { createRoleDefinitionRepository } from './role-definitions.js';
import type { DbSource } from './shared.js';
import { createSigningKeyRepository } from './signing-keys.js';
import { createSubscriptionRepository } from './subscriptions.js';
import { createTenantRepository } from './tenants.js';
import { createVaultObjectRepository } from './vault-objects.js';
import { createAppFederatedCredentialRepository } from './app-federated-credentials.js';
import { createKustoRepository } from './kusto.js';
import { createActivityEventRepository, createSignInEventRepository } from './activity.js';

/** Builds the repositories; each query asks `db` which connection to use. */
export function createRepositories(db: DbSource): Repositories {
  return {
    tenants: createTenantRepository(db),
    subscriptions: createSubscriptionRepository(db),
    principals: createPrincipalRepository(db),
    clientSecrets: createClientSecretRepository(db),
    resourceGroups: createResourceGroupRepository(db),
    resources: createResourceRepository(db),
    signingKeys: createSigningKeyRepository(db),
    operations: createOperationRepository(db),
    meta: createMetaRepository(db),
    hostCredentials: createHostCredentialRepository(db),
    roleDefinitions: createRoleDefinitionRepository(db),
    roleAssignments: createRoleAssignmentRepository(db),
    rbacChanges: createRbacChangeRepository(db),
    registrations: createRegistrationRepository(db),
    applications: createApplicationRepository(db),
    blobs: createBlobRepository(db),
    storageAccountKeys: createStorageAccountKeyRepository(db),
    vaultObjects: createVaultObjectRepository(db),
    appFederatedCredentials: createAppFederatedCredentialRepository(db),
    kusto: createKustoRepository(db),
    activityEvents: createActivityEventRepository(db),
    signInEvents: createSignInEventRepository(db),
  };
}
