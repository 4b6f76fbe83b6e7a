/**
 * What `vm` and `vm identity` share: paths, az's flattened VM output, identity reference resolution
 * (a name means a user-assigned identity in the VM's group, `[system]` the system-assigned one), and
 * az's `_construct_identity_info` summary.
 */
import type { ArmClient } from '../framework/arm-client.js';
import { resolveRoleId } from './role-shared.js';
import { randomUUID } from 'node:crypto';

export type VmWire = {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  type: string;
  identity?: { type?: string; principalId?: string; tenantId?: string; userAssignedIdentities?: Record<string, { principalId?: string; clientId?: string }> };
  properties?: Record<string, unknown>;
};

export const SYSTEM = '[system]';

export const vmPath = (arm: ArmClient, group: string, name: string) =>
  `/subscriptions/${arm.subscriptionId}/resourceGroups/${encodeURIComponent(group)}/providers/Microsoft.Compute/virtualMachines/${encodeURIComponent(name)}`;

/** A user-assigned identity's id from a name (in `group`) or an id. */
export function identityId(arm: ArmClient, group: string, ref: string): string {
  return ref.startsWith('/')
    ? ref
    : `/subscriptions/${arm.subscriptionId}/resourceGroups/${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${ref}`;
}

/** The VM as az prints it: `properties` lifted to the top level, `resourceGroup` added. */
export function flattenVm(vm: VmWire): Record<string, unknown> {
  const { properties, ...rest } = vm;
  return { ...rest, ...(properties ?? {}), resourceGroup: /\/resourcegroups\/([^/]+)/i.exec(vm.id)?.[1] };
}

/** az's identity summary after create / assign. */
export function identityInfo(vm: VmWire, scope: string | undefined, role: string | undefined) {
  const info: Record<string, unknown> = {};
  if (scope) {
    info['scope'] = scope;
    info['role'] = role;
  }
  info['userAssignedIdentities'] = Object.fromEntries(
    Object.entries(vm.identity?.userAssignedIdentities ?? {}).map(([id, v]) => [id, { clientId: v.clientId, principalId: v.principalId }]),
  );
  info['systemAssignedIdentity'] = vm.identity?.principalId ?? '';
  return info;
}

/** Assigns `role` at `scope` to the VM's system-assigned identity, as `--role/--scope` do in az. */
export async function assignRoleToSystemIdentity(arm: ArmClient, vm: VmWire, role: string, scope: string): Promise<void> {
  const principalId = vm.identity?.principalId;
  if (!principalId) return;
  const roleDefinitionId = await resolveRoleId(arm, role, scope);
  const path = `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`;
  await arm.call('PUT', path, { apiVersion: 'authorization', body: { properties: { roleDefinitionId, principalId, principalType: 'ServicePrincipal' } } });
}

/** Compute's identity `type` for a system flag and a count of user-assigned identities. */
export function identityType(system: boolean, users: number): string {
  if (system && users > 0) return 'SystemAssigned, UserAssigned';
  if (system) return 'SystemAssigned';
  return users > 0 ? 'UserAssigned' : 'None';
}
