/**
 * The reusable identity component for tracked resources (ManagedServiceIdentity). A resource type
 * declares its {@link IdentityRules}; its service calls {@link ResourceIdentities.apply} inside the
 * transaction that writes the resource, {@link ResourceIdentities.render} to answer, and
 * {@link ResourceIdentities.release} when the resource is deleted. The system-assigned identity's
 * lifecycle is the resource's: its principal is created when enabled and deleted when disabled or
 * when the resource goes (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/overview).
 */
import { isoTime, type Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { ServicePrincipal } from '../model.js';
import type { Repositories, VerifiedCaller } from '../ports.js';
import { resourceKey } from '../resource-id.js';
import { USER_ASSIGNED_IDENTITY_TYPE } from './identity-names.js';
import { planIdentity, type IdentityRules, type IdentityWriteMode, type ManagedServiceIdentityRequest } from './identity-plan.js';
import { renderIdentityType } from './identity-type.js';
import { readStoredIdentity, type StoredResourceIdentity, type StoredUserAssignedIdentity } from './stored-identity.js';

/**
 * Checks that `caller` may attach the user-assigned identity `identityResourceId` to a resource
 * (Azure: `Microsoft.ManagedIdentity/userAssignedIdentities/*\/assign/action`, held by Managed Identity
 * Operator); throws a DomainError (`LinkedAuthorizationFailed`) to refuse.
 */
export type AuthorizeAttach = (caller: VerifiedCaller, identityResourceId: string) => Promise<void>;

export interface ResourceIdentitiesDeps {
  ids: IdGenerator;
  clock: Clock;
  /** Called for every newly attached user-assigned identity; absent = allowed. */
  authorizeAttach?: AuthorizeAttach;
}

/** The resource that holds the identities. */
export interface IdentityHost {
  /** Its ARM id: the system-assigned principal's `resourceId` (`xms_mirid`). */
  id: string;
  /** Its name: the system-assigned principal's display name, as Azure names it. */
  name: string;
  /** The tenant of its subscription: identities live in that tenant's directory. */
  tenantId: string;
}

export interface ApplyIdentityInput {
  rules: IdentityRules;
  host: IdentityHost;
  /** `ResourceRecord.identity` as stored now (null for a new resource). */
  current: Record<string, unknown> | null;
  /** The `identity` the client sent (undefined when left out). */
  request: ManagedServiceIdentityRequest | null | undefined;
  mode: IdentityWriteMode;
  /** Who asks; handed to `authorizeAttach`. */
  caller?: VerifiedCaller;
}

/** ManagedServiceIdentity as ARM answers it. */
export interface ManagedServiceIdentityWire {
  type: string;
  principalId?: string;
  tenantId?: string;
  userAssignedIdentities?: Record<string, { principalId: string; clientId: string }>;
}

export interface ResourceIdentities {
  /**
   * Applies a PUT/PATCH identity request through `tx` (the transaction writing the resource):
   * creates or deletes the system-assigned principal, checks and records newly attached
   * user-assigned identities. Returns the block to store in `ResourceRecord.identity` (null: none).
   */
  apply(tx: Repositories, input: ApplyIdentityInput): Promise<Record<string, unknown> | null>;
  /** The ARM `identity` block in the resource type's spelling; undefined when it holds none. */
  render(rules: IdentityRules, stored: Record<string, unknown> | null): ManagedServiceIdentityWire | undefined;
  /** Deletes the managed-identity principals of a deleted resource (and of anything below it). */
  release(tx: Repositories, resourceId: string): Promise<number>;
}

/** The 400 Azure gives when an attached identity cannot be used (absent, or of another tenant). */
function identityNotFound(host: IdentityHost, id: string): DomainError {
  return new DomainError('FailedIdentityOperation',
    `Identity operation for resource '${host.id}' failed: the user assigned identity '${id}' was not found. Create it first, or check the resource id.`,
    { target: 'identity.userAssignedIdentities' });
}

export function createResourceIdentities(deps: ResourceIdentitiesDeps): ResourceIdentities {
  async function resolveAttached(tx: Repositories, host: IdentityHost, id: string, caller: VerifiedCaller | undefined): Promise<StoredUserAssignedIdentity> {
    if (caller && deps.authorizeAttach) await deps.authorizeAttach(caller, id);
    const resource = await tx.resources.get(id);
    const principal = resource && resource.type.toLowerCase() === USER_ASSIGNED_IDENTITY_TYPE.toLowerCase()
      ? await tx.principals.getByResourceId(id) : undefined;
    if (!principal || principal.tenantId.toLowerCase() !== host.tenantId.toLowerCase()) throw identityNotFound(host, id);
    return { principalId: principal.objectId, clientId: principal.appId };
  }

  async function systemPrincipal(tx: Repositories, host: IdentityHost, enabled: boolean): Promise<ServicePrincipal | undefined> {
    const existing = await tx.principals.getByResourceId(host.id);
    if (!enabled) {
      if (existing) await tx.principals.delete(existing.tenantId, existing.objectId);
      return undefined;
    }
    if (existing && resourceKey(existing.resourceId ?? '') === resourceKey(host.id)) return existing;
    const principal: ServicePrincipal = {
      objectId: deps.ids.newGuid(), appId: deps.ids.newGuid(), tenantId: host.tenantId, displayName: host.name,
      kind: 'ManagedIdentity', resourceId: host.id, createdAt: isoTime(deps.clock.now()),
    };
    await tx.principals.insert(principal);
    return principal;
  }

  return {
    async apply(tx, input) {
      const current = readStoredIdentity(input.current);
      const plan = planIdentity(input.rules, current, input.request, input.mode);
      const userAssignedIdentities: Record<string, StoredUserAssignedIdentity> = { ...plan.kept };
      for (const id of plan.attach) userAssignedIdentities[id] = await resolveAttached(tx, input.host, id, input.caller);
      const system = await systemPrincipal(tx, input.host, plan.systemAssigned);
      if (!system && Object.keys(userAssignedIdentities).length === 0) return null;
      const stored: StoredResourceIdentity = {
        systemAssigned: system !== undefined,
        ...(system ? { principalId: system.objectId, tenantId: system.tenantId, clientId: system.appId } : {}),
        userAssignedIdentities,
      };
      return { ...stored };
    },
    render: (rules, raw) => renderStoredIdentity(raw, rules.typeSpelling),
    release: (tx, resourceId) => tx.principals.deleteByResourceScope(resourceId),
  };
}

/**
 * The ARM `identity` block (ManagedServiceIdentity) of a stored identity, in the given spelling of
 * `type`; undefined when the resource holds no identity.
 */
export function renderStoredIdentity(raw: Record<string, unknown> | null, spelling: IdentityRules['typeSpelling']): ManagedServiceIdentityWire | undefined {
  const stored = readStoredIdentity(raw);
  const userAssigned = Object.entries(stored.userAssignedIdentities);
  if (!stored.systemAssigned && userAssigned.length === 0) return undefined;
  const wire: ManagedServiceIdentityWire = { type: renderIdentityType({ systemAssigned: stored.systemAssigned, userAssigned: userAssigned.length > 0 }, spelling) };
  if (stored.systemAssigned) {
    if (stored.principalId) wire.principalId = stored.principalId;
    if (stored.tenantId) wire.tenantId = stored.tenantId;
  }
  if (userAssigned.length > 0) {
    wire.userAssignedIdentities = Object.fromEntries(userAssigned.map(([id, v]) => [id, { principalId: v.principalId, clientId: v.clientId }]));
  }
  return wire;
}

/**
 * Older resource providers spell the combined type with a space (`SystemAssigned, UserAssigned`);
 * newer ones use common-types' `SystemAssigned,UserAssigned` (azure-wire-contracts §4.2).
 */
const SPACED_SPELLING_TYPES = new Set([
  'microsoft.compute/virtualmachines', 'microsoft.compute/virtualmachinescalesets', 'microsoft.kusto/clusters', 'microsoft.hdinsight/clusters',
]);

export function identitySpellingOf(resourceType: string): IdentityRules['typeSpelling'] {
  return SPACED_SPELLING_TYPES.has(resourceType.toLowerCase()) ? 'spaced' : 'compact';
}
