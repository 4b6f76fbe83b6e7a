/**
 * ARM wire shapes (camelCase, as Azure sends them), shared by the server and the CLI. Field lists
 * follow the REST specs and the `@azure/arm-resources` mappers.
 */

/** ARM's error envelope (common-types `ErrorResponse`). */
export interface ArmErrorBody {
  error: ArmErrorDetail;
}

export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorDetail[];
  additionalInfo?: { type: string; info: Record<string, unknown> }[];
}

/** A page of a collection: `nextLink` is an absolute URL, absent on the last page. */
export interface ArmList<T> {
  value: T[];
  nextLink?: string;
}

/** Microsoft.Resources `ResourceGroup`. */
export interface ResourceGroupWire {
  id: string;
  name: string;
  type: 'Microsoft.Resources/resourceGroups';
  location: string;
  managedBy?: string;
  tags: Record<string, string>;
  properties: { provisioningState: string };
}

/** `GenericResourceExpanded` as listed by `GET …/resourceGroups/{rg}/resources`. */
export interface GenericResourceWire {
  id: string;
  name: string;
  type: string;
  location: string;
  tags: Record<string, string>;
  kind?: string;
  sku?: Record<string, unknown>;
  /** ManagedServiceIdentity, rendered in the resource type's own spelling of `type`. */
  identity?: { type: string; principalId?: string; tenantId?: string; userAssignedIdentities?: Record<string, { principalId: string; clientId: string }> };
  createdTime?: string;
  changedTime?: string;
  provisioningState?: string;
}

/** Microsoft.Resources `Subscription` (2022-12-01). */
export interface SubscriptionWire {
  id: string;
  authorizationSource: 'RoleBased';
  managedByTenants: { tenantId: string }[];
  tags: Record<string, string>;
  subscriptionId: string;
  tenantId: string;
  displayName: string;
  state: string;
  subscriptionPolicies: { locationPlacementId: string; quotaId: string; spendingLimit: 'On' | 'Off' | 'CurrentPeriodOff' };
}

/** Microsoft.Resources `TenantIdDescription` (2022-12-01). */
export interface TenantWire {
  id: string;
  tenantId: string;
  tenantCategory: 'Home';
  displayName: string;
  defaultDomain: string;
  domains: string[];
  tenantType: 'AAD';
}

/** Subscription and tenant lists carry a total count. */
export interface ArmCountedList<T> extends ArmList<T> {
  count: { type: 'Total'; value: number };
}

/** The body behind an `Azure-AsyncOperation` URL. */
export interface OperationStatusWire {
  id: string;
  name: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  startTime: string;
  endTime?: string;
  error?: ArmErrorDetail;
}

/** ManagedServiceIdentity (common-types v3+), `type` in the resource provider's own spelling. */
export interface ManagedServiceIdentityWire {
  type: string;
  principalId?: string;
  tenantId?: string;
  userAssignedIdentities?: Record<string, { principalId: string; clientId: string }>;
}

/** The envelope of a tracked resource (common-types `TrackedResource`) as the provider kit answers it. */
export interface TrackedResourceWire<P = Record<string, unknown>> {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
  kind?: string;
  sku?: Record<string, unknown>;
  identity?: ManagedServiceIdentityWire;
  properties: P;
}
