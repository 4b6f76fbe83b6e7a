/**
 * Subscriptions and tenants as a caller sees them: only those of the caller's own tenant, as ARM
 * shows a token the subscriptions of the tenant that issued it.
 */
import { DomainError } from '../errors.js';
import type { Subscription, Tenant } from '../model.js';
import type { SubscriptionRepository, TenantRepository } from '../ports.js';
import { assertSubscriptionId } from './names.js';

export interface SubscriptionServiceDeps {
  tenants: TenantRepository;
  subscriptions: SubscriptionRepository;
}

export interface SubscriptionService {
  /** Tenants the caller belongs to (its own). */
  listTenants(callerTenantId: string): Promise<Tenant[]>;
  listSubscriptions(callerTenantId: string): Promise<Subscription[]>;
  /**
   * The subscription, when it exists and belongs to the caller's tenant. Throws `InvalidSubscriptionId`
   * (not a GUID), `SubscriptionNotFound`, or `InvalidAuthenticationTokenTenant` (another tenant's).
   */
  get(subscriptionId: string, callerTenantId: string): Promise<Subscription>;
}

export function createSubscriptionService(deps: SubscriptionServiceDeps): SubscriptionService {
  return {
    async listTenants(callerTenantId) {
      const tenant = await deps.tenants.get(callerTenantId);
      return tenant ? [tenant] : [];
    },
    listSubscriptions: (callerTenantId) => deps.subscriptions.list(callerTenantId),
    async get(subscriptionId, callerTenantId) {
      assertSubscriptionId(subscriptionId);
      const subscription = await deps.subscriptions.get(subscriptionId);
      if (!subscription || subscription.state === 'Deleted') {
        throw new DomainError('SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
      }
      if (subscription.tenantId.toLowerCase() !== callerTenantId.toLowerCase()) {
        // ARM's answer to a token from another directory than the subscription's.
        throw new DomainError(
          'InvalidAuthenticationTokenTenant',
          `The access token is from the wrong issuer. It must match the tenant associated with subscription '${subscriptionId}'. Please use the authority for that tenant to get the token.`,
        );
      }
      return subscription;
    },
  };
}
