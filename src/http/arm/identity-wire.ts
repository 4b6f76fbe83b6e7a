/**
 * The ARM `identity` block (ManagedServiceIdentity) of a stored identity, in the resource type's own
 * spelling of `type` (see src/core/identities/identity-type.ts). Rendering is the surface's job; the
 * identity component in core decides what a resource holds.
 */
import type { ManagedServiceIdentityWire } from '../../contract/arm.js';
import type { IdentityRules } from '../../core/identities/identity-plan.js';
import { renderIdentityType } from '../../core/identities/identity-type.js';
import { readStoredIdentity } from '../../core/identities/stored-identity.js';

/** The block for `stored` (`ResourceRecord.identity`); undefined when the resource holds no identity. */
export function renderIdentity(rules: Pick<IdentityRules, 'typeSpelling'>, raw: Record<string, unknown> | null): ManagedServiceIdentityWire | undefined {
  const stored = readStoredIdentity(raw);
  const userAssigned = Object.entries(stored.userAssignedIdentities);
  if (!stored.systemAssigned && userAssigned.length === 0) return undefined;
  const wire: ManagedServiceIdentityWire = {
    type: renderIdentityType({ systemAssigned: stored.systemAssigned, userAssigned: userAssigned.length > 0 }, rules.typeSpelling),
  };
  if (stored.systemAssigned) {
    if (stored.principalId) wire.principalId = stored.principalId;
    if (stored.tenantId) wire.tenantId = stored.tenantId;
  }
  if (userAssigned.length > 0) {
    wire.userAssignedIdentities = Object.fromEntries(userAssigned.map(([id, v]) => [id, { principalId: v.principalId, clientId: v.clientId }]));
  }
  return wire;
}
