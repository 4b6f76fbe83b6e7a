/** Microsoft.Resources subscriptions and tenants (`subscriptions.json`): the caller's own tenant only. */
import type { SubscriptionService } from '../../core/resources/subscription-service.js';
import { defineRoute, type ArmRoute } from '../../http/arm/route.js';
import { SUBSCRIPTIONS_API_VERSIONS } from './api-versions.js';
import { toSubscriptionWire, toTenantWire } from './wire.js';

/** Subscription and tenant lists are one page with a total count, as ARM returns them. */
function counted<T>(value: T[]) {
  return { value, count: { type: 'Total' as const, value: value.length } };
}

export function subscriptionRoutes(subscriptions: SubscriptionService): ArmRoute<any>[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/subscriptions',
      operationId: 'Subscriptions_List',
      action: 'Microsoft.Resources/subscriptions/read',
      apiVersions: SUBSCRIPTIONS_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: counted((await subscriptions.listSubscriptions(ctx.caller.tenantId)).map(toSubscriptionWire)) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/subscriptions/{subscriptionId}',
      operationId: 'Subscriptions_Get',
      action: 'Microsoft.Resources/subscriptions/read',
      apiVersions: SUBSCRIPTIONS_API_VERSIONS,
      // The pipeline has already loaded and checked the subscription.
      handler: async (ctx) => ({ status: 200, body: toSubscriptionWire(ctx.subscription!) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants',
      operationId: 'Tenants_List',
      action: 'Microsoft.Resources/tenants/read',
      apiVersions: SUBSCRIPTIONS_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: counted((await subscriptions.listTenants(ctx.caller.tenantId)).map(toTenantWire)) }),
    }),
  ];
}
