/** The Microsoft.ManagedIdentity provider: user-assigned identities, system-assigned identity by scope, operations. */
import type { UserAssignedIdentityService } from '../../core/identities/user-assigned-identity-service.js';
import type { ArmProvider } from '../../http/arm/route.js';
import { userAssignedIdentityRoutes } from './routes.js';

export interface ManagedIdentityServices {
  identities: UserAssignedIdentityService;
}

export function managedIdentityProvider(services: ManagedIdentityServices): ArmProvider {
  return { namespace: 'Microsoft.ManagedIdentity', routes: userAssignedIdentityRoutes(services.identities) };
}
