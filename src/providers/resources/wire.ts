/**
 * Domain records → Microsoft.Resources wire shapes (src/contract/arm.ts), field for field as the
 * REST specs and the `@azure/arm-resources` mappers read them.
 */
import type { ArmErrorDetail, GenericResourceWire, OperationStatusWire, ResourceGroupWire, SubscriptionWire, TenantWire } from '../../contract/arm.js';
import type { ManagedServiceIdentityWire } from '../../contract/arm.js';
import type { IdentityRules } from '../../core/identities/identity-plan.js';
import { renderIdentity } from '../../http/arm/identity-wire.js';
import type { OperationRecord, ResourceGroup, ResourceRecord, Subscription, Tenant } from '../../core/model.js';
import { resourceGroupResourceId, subscriptionResourceId } from '../../core/resource-id.js';

export function toResourceGroupWire(group: ResourceGroup): ResourceGroupWire {
  return {
    id: resourceGroupResourceId(group.subscriptionId, group.name),
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    ...(group.managedBy ? { managedBy: group.managedBy } : {}),
    tags: group.tags,
    properties: { provisioningState: group.provisioningState },
  };
}

/** A resource type's identity rules as its provider declares them (undefined: the type holds none). */
export type IdentityRulesOf = (resourceType: string) => Pick<IdentityRules, 'typeSpelling'> | undefined;

/** The ARM identity block of any resource type, as its own provider renders it. */
function identityOf(resource: ResourceRecord, rulesOf: IdentityRulesOf): { identity?: ManagedServiceIdentityWire } {
  const rules = rulesOf(resource.type);
  const identity = rules ? renderIdentity(rules, resource.identity) : undefined;
  return identity ? { identity } : {};
}

/** `$expand` may ask for `createdTime`, `changedTime`, `provisioningState` (comma-separated). */
export function toGenericResourceWire(resource: ResourceRecord, expand: ReadonlySet<string>, rulesOf: IdentityRulesOf): GenericResourceWire {
  return {
    id: resource.id,
    name: resource.name,
    type: resource.type,
    location: resource.location,
    tags: resource.tags,
    ...(resource.kind ? { kind: resource.kind } : {}),
    ...(resource.sku ? { sku: resource.sku } : {}),
    ...identityOf(resource, rulesOf),
    ...(expand.has('createdtime') ? { createdTime: resource.createdAt } : {}),
    ...(expand.has('changedtime') ? { changedTime: resource.updatedAt } : {}),
    ...(expand.has('provisioningstate') ? { provisioningState: resource.provisioningState } : {}),
  };
}

export function toSubscriptionWire(subscription: Subscription): SubscriptionWire {
  return {
    id: subscriptionResourceId(subscription.id),
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    tags: {},
    subscriptionId: subscription.id,
    tenantId: subscription.tenantId,
    displayName: subscription.displayName,
    state: subscription.state,
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  };
}

export function toTenantWire(tenant: Tenant): TenantWire {
  return {
    id: `/tenants/${tenant.id}`,
    tenantId: tenant.id,
    tenantCategory: 'Home',
    displayName: tenant.displayName,
    defaultDomain: tenant.defaultDomain,
    domains: [tenant.defaultDomain],
    tenantType: 'AAD',
  };
}

/** The `Azure-AsyncOperation` status body. */
export function toOperationStatusWire(operation: OperationRecord, url: string): OperationStatusWire {
  const error: ArmErrorDetail | undefined = operation.error ?? undefined;
  return {
    id: url,
    name: operation.id,
    status: operation.status,
    startTime: operation.startTime,
    ...(operation.endTime ? { endTime: operation.endTime } : {}),
    ...(error ? { error } : {}),
  };
}
