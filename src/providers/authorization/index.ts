/** The Microsoft.Authorization provider: role assignments, role definitions, permissions, access checks. */
import type { Rbac } from '../../core/rbac/rbac.js';
import { global, type ProviderDeclaration } from '../kit/declaration.js';
import { accessRoutes, SELF_SERVICE_ACTIONS } from './access-routes.js';
import { roleAssignmentRoutes } from './role-assignment-routes.js';
import { roleDefinitionRoutes } from './role-definition-routes.js';
import { AUTHORIZATION_API_VERSIONS } from './wire.js';

export { createArmAuthorizer } from './authorizer.js';

export function authorizationProvider(rbac: Pick<Rbac, 'assignments' | 'definitions' | 'access'>): ProviderDeclaration {
  return {
    namespace: 'Microsoft.Authorization',
    registrationPolicy: 'RegistrationFree',
    resourceTypes: [
      global('roleAssignments', AUTHORIZATION_API_VERSIONS),
      global('roleDefinitions', AUTHORIZATION_API_VERSIONS),
      global('permissions', AUTHORIZATION_API_VERSIONS),
    ],
    routes: [...roleAssignmentRoutes(rbac.assignments), ...roleDefinitionRoutes(rbac.definitions), ...accessRoutes(rbac.access)],
    // Role definitions describe the tenant, not its resources; one's own permissions and access checks are self-service.
    openActions: [...SELF_SERVICE_ACTIONS, 'Microsoft.Authorization/roleDefinitions/read'],
  };
}
