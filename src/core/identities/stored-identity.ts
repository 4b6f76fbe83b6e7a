/**
 * How a tracked resource's managed identities are stored, in `ResourceRecord.identity`, whatever the
 * resource type. The ARM wire shape (ManagedServiceIdentity, with each provider's own spelling of
 * `type`) is rendered from this by the identity component; host agents and token issuing read it to
 * know which identities a resource holds at this moment.
 */
import type { ServicePrincipal } from '../model.js';
import type { PrincipalRepository } from '../ports.js';
import { resourceKey } from '../resource-id.js';

export interface StoredUserAssignedIdentity {
  /** Principal (object) id of the user-assigned identity at the time it was attached. */
  principalId: string;
  clientId: string;
}

export interface StoredResourceIdentity {
  /** A system-assigned identity is enabled; its principal has `resourceId` = the resource's id. */
  systemAssigned: boolean;
  /** Present when `systemAssigned`: the system-assigned principal. */
  principalId?: string;
  tenantId?: string;
  clientId?: string;
  /** Attached user-assigned identities by ARM id (in the case the caller gave). */
  userAssignedIdentities: Record<string, StoredUserAssignedIdentity>;
}

/** An identity a resource holds now, with the principal behind it. */
export interface HeldIdentity {
  system: boolean;
  principal: ServicePrincipal;
  /** The user-assigned identity's ARM id, or the host resource's id for the system-assigned one (`xms_mirid`). */
  resourceId: string;
}

/** Reads the stored block defensively (records written by older versions may lack fields). */
export function readStoredIdentity(raw: Record<string, unknown> | null | undefined): StoredResourceIdentity {
  const value = (raw ?? {}) as Partial<StoredResourceIdentity>;
  return {
    systemAssigned: value.systemAssigned === true,
    ...(value.principalId ? { principalId: value.principalId } : {}),
    ...(value.tenantId ? { tenantId: value.tenantId } : {}),
    ...(value.clientId ? { clientId: value.clientId } : {}),
    userAssignedIdentities: value.userAssignedIdentities && typeof value.userAssignedIdentities === 'object' ? value.userAssignedIdentities : {},
  };
}

/**
 * The identities a resource holds right now. A user-assigned identity counts only while its own
 * principal still exists (a deleted identity stops at once even if a resource still lists it).
 */
export async function heldIdentities(
  resource: { id: string; identity: Record<string, unknown> | null },
  principals: Pick<PrincipalRepository, 'getByResourceId'>,
): Promise<HeldIdentity[]> {
  const stored = readStoredIdentity(resource.identity);
  const held: HeldIdentity[] = [];
  if (stored.systemAssigned) {
    const principal = await principals.getByResourceId(resource.id);
    if (principal) held.push({ system: true, principal, resourceId: resource.id });
  }
  for (const id of Object.keys(stored.userAssignedIdentities)) {
    const principal = await principals.getByResourceId(id);
    if (principal) held.push({ system: false, principal, resourceId: principal.resourceId ?? id });
  }
  return held;
}

/** True when two ids name the same resource (ARM ids compare case-insensitively). */
export function sameResource(a: string, b: string): boolean {
  return resourceKey(a) === resourceKey(b);
}
