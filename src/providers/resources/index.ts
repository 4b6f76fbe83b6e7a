/** The Microsoft.Resources provider: subscriptions, tenants, resource groups and operation status. */
import type { OperationService } from '../../core/resources/operation-service.js';
import type { ResourceGroupService } from '../../core/resources/resource-group-service.js';
import type { SubscriptionService } from '../../core/resources/subscription-service.js';
import { global, type ProviderDeclaration } from '../kit/declaration.js';
import { RESOURCES_API_VERSIONS, SUBSCRIPTIONS_API_VERSIONS } from './api-versions.js';
import { operationRoutes } from './operation-routes.js';
import { resourceGroupRoutes } from './resource-group-routes.js';
import { subscriptionRoutes } from './subscription-routes.js';
import type { IdentityRulesOf } from './wire.js';

export interface ResourcesServices {
  subscriptions: SubscriptionService;
  resourceGroups: ResourceGroupService;
  operations: Pick<OperationService, 'get'>;
  /** Each resource type's identity rules, for the generic resource list (from the provider declarations). */
  identityRulesOf?: IdentityRulesOf;
}

export function resourcesProvider(services: ResourcesServices): ProviderDeclaration {
  return {
    namespace: 'Microsoft.Resources',
    registrationPolicy: 'RegistrationFree',
    resourceTypes: [
      global('tenants', SUBSCRIPTIONS_API_VERSIONS),
      global('subscriptions', SUBSCRIPTIONS_API_VERSIONS),
      global('resourceGroups', RESOURCES_API_VERSIONS),
      global('subscriptions/resourceGroups', RESOURCES_API_VERSIONS),
      global('operationStatuses', RESOURCES_API_VERSIONS),
    ],
    routes: [
      ...subscriptionRoutes(services.subscriptions),
      ...resourceGroupRoutes(services.resourceGroups, services.identityRulesOf ?? (() => undefined)),
      ...operationRoutes(services.operations),
    ],
    // Listing one's tenants and polling an operation one was handed (the URL carries an unguessable id).
    openActions: ['Microsoft.Resources/tenants/read', 'Microsoft.Resources/subscriptions/operationresults/read'],
  };
}
