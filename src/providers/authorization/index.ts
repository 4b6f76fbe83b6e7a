/** The Microsoft.Authorization provider: role assignments, role definitions, permissions, access checks. */
import type { Rbac } from '../../core/rbac/rbac.js';
import type { ArmProvider } from '../../http/arm/route.js';
import { accessRoutes } from './access-routes.js';
import { roleAssignmentRoutes } from './role-assignment-routes.js';
import { roleDefinitionRoutes } from './role-definition-routes.js';

export { createArmAuthorizer, createAttachAuthorizer } from './authorizer.js';

export function authorizationProvider(rbac: Pick<Rbac, 'assignments' | 'definitions' | 'access'>): ArmProvider {
  return {
    namespace: 'Microsoft.Authorization',
    routes: [...roleAssignmentRoutes(rbac.assignments), ...roleDefinitionRoutes(rbac.definitions), ...accessRoutes(rbac.access)],
  };
}
