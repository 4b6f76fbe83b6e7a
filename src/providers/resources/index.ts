/** The Microsoft.Resources provider: subscriptions, tenants, resource groups and operation status. */
import type { OperationService } from '../../core/resources/operation-service.js';
import type { ResourceGroupService } from '../../core/resources/resource-group-service.js';
import type { SubscriptionService } from '../../core/resources/subscription-service.js';
import type { ArmProvider } from '../../http/arm/route.js';
import { operationRoutes } from './operation-routes.js';
import { resourceGroupRoutes } from './resource-group-routes.js';
import { subscriptionRoutes } from './subscription-routes.js';

export interface ResourcesServices {
  subscriptions: SubscriptionService;
  resourceGroups: ResourceGroupService;
  operations: Pick<OperationService, 'get'>;
}

export function resourcesProvider(services: ResourcesServices): ArmProvider {
  return {
    namespace: 'Microsoft.Resources',
    routes: [
      ...subscriptionRoutes(services.subscriptions),
      ...resourceGroupRoutes(services.resourceGroups),
      ...operationRoutes(services.operations),
    ],
  };
}
