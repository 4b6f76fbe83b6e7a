/**
 * User-assigned identities (Microsoft.ManagedIdentity/userAssignedIdentities, ManagedIdentity.json
 * 2024-11-30) as a tracked type of the provider kit, and the system-assigned identity of any resource
 * read by scope. Each user-assigned identity is backed by a service principal of kind
 * `ManagedIdentity` whose `resourceId` is the identity's ARM id; the kit writes and deletes the two in
 * one transaction (the principal in `onCreate`, its removal by the kit's delete), so deleting an
 * identity stops its tokens at once.
 */
import { isoTime } from '../clock.js';
import { DomainError } from '../errors.js';
import type { ResourceRecord, ServicePrincipal } from '../model.js';
import type { Repositories } from '../ports.js';
import { parseResourceId } from '../resource-id.js';
import type { TrackedTypeSpec } from '../resources/tracked/spec.js';
import { assertUserAssignedIdentityName, USER_ASSIGNED_IDENTITY_NAMESPACE } from './identity-names.js';
import { readStoredIdentity } from './stored-identity.js';

/** `isolationScope` (2024-11-30): whether the identity may only be assigned to resources of its region. */
export type IsolationScope = 'None' | 'Regional';

/** A user-assigned identity's read-only identity properties, as stored in `properties`. */
export interface UserAssignedIdentityProperties {
  tenantId: string;
  principalId: string;
  clientId: string;
  isolationScope: IsolationScope;
}

/** The system-assigned identity of a resource, as SystemAssignedIdentities_GetByScope shows it. */
export interface SystemAssignedIdentityView {
  resource: ResourceRecord;
  principal: ServicePrincipal;
}

function parseIsolationScope(value: unknown): IsolationScope {
  if (typeof value === 'string') {
    if (value.toLowerCase() === 'none') return 'None';
    if (value.toLowerCase() === 'regional') return 'Regional';
  }
  throw new DomainError('InvalidParameter', `The value '${String(value)}' of 'properties.isolationScope' is not valid. Allowed values: 'None', 'Regional'.`, {
    target: 'properties.isolationScope',
  });
}

/** The identity properties of a stored user-assigned identity. */
export function userAssignedIdentityProperties(resource: ResourceRecord): UserAssignedIdentityProperties {
  const p = resource.properties;
  return {
    tenantId: String(p['tenantId']),
    principalId: String(p['principalId']),
    clientId: String(p['clientId']),
    isolationScope: p['isolationScope'] === 'Regional' ? 'Regional' : 'None',
  };
}

const IDENTITY_FIELDS = ['tenantId', 'principalId', 'clientId'] as const;

export const USER_ASSIGNED_IDENTITY_SPEC: TrackedTypeSpec = {
  namespace: USER_ASSIGNED_IDENTITY_NAMESPACE,
  type: 'userAssignedIdentities',
  label: 'user assigned identity',
  shape: 'tracked',
  assertName: assertUserAssignedIdentityName,
  properties: {
    // The principal behind the identity is the service's: clients cannot set it.
    readOnly: IDENTITY_FIELDS,
    write(properties, { existing }) {
      const requested = properties['isolationScope'];
      const isolationScope =
        requested === undefined || requested === null
          ? ((existing?.properties['isolationScope'] as IsolationScope | undefined) ?? 'None')
          : parseIsolationScope(requested);
      const kept = existing ? Object.fromEntries(IDENTITY_FIELDS.map((f) => [f, existing.properties[f]])) : {};
      return { ...kept, isolationScope };
    },
  },
  hooks: {
    async onCreate({ tx, resource, target, ids, clock }) {
      const principal: ServicePrincipal = {
        objectId: ids.newGuid(),
        appId: ids.newGuid(),
        tenantId: target.tenantId,
        displayName: resource.name,
        kind: 'ManagedIdentity',
        resourceId: resource.id,
        createdAt: isoTime(clock.now()),
      };
      await tx.principals.insert(principal);
      return {
        ...resource,
        properties: { tenantId: principal.tenantId, principalId: principal.objectId, clientId: principal.appId, ...resource.properties },
      };
    },
  },
};

/** SystemAssignedIdentities_GetByScope: the system-assigned identity of the resource at `scope`, in the caller's tenant. */
export async function findSystemAssignedIdentity(
  repos: Pick<Repositories, 'subscriptions' | 'resources' | 'principals'>,
  scope: string,
  callerTenantId: string,
): Promise<SystemAssignedIdentityView> {
  const parts = parseResourceId(scope);
  const absent = new DomainError(
    'ResourceNotFound',
    `The resource '${scope}' does not exist or has no system assigned identity. Enable one by setting 'identity.type' to 'SystemAssigned' on the resource.`,
  );
  if (!parts?.subscriptionId || !parts.namespace) throw absent;
  const subscription = await repos.subscriptions.get(parts.subscriptionId);
  if (!subscription || subscription.tenantId.toLowerCase() !== callerTenantId.toLowerCase()) {
    throw new DomainError('SubscriptionNotFound', `The subscription '${parts.subscriptionId}' could not be found.`);
  }
  const resource = await repos.resources.get(scope);
  if (!resource || !readStoredIdentity(resource.identity).systemAssigned) throw absent;
  const principal = await repos.principals.getByResourceId(resource.id);
  if (!principal) throw absent;
  return { resource, principal };
}
