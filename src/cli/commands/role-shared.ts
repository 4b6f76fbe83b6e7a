/**
 * What `role assignment` and `role definition` share: az's flattened output (the SDK model with
 * `properties` lifted, `properties.type` as `roleType`, `resourceGroup` added when the id has one),
 * scope building from `--scope` / `-g`, and resolving `--role` by name, GUID or id.
 */
import type { ArmClient } from '../framework/arm-client.js';
import { CliError } from '../framework/errors.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (s: string) => GUID.test(s);

type Wire = { id?: string; name?: string; type?: string; properties?: Record<string, unknown> };

/** The resource group named in an ARM id, as az adds `resourceGroup` to its output. */
export function resourceGroupOf(id: string | undefined): string | undefined {
  return id ? /\/resourcegroups\/([^/]+)/i.exec(id)?.[1] : undefined;
}

/** A role assignment as az prints it. */
export function flattenAssignment(a: Wire): Record<string, unknown> {
  const out: Record<string, unknown> = { id: a.id, name: a.name, type: a.type, ...(a.properties ?? {}) };
  const rg = resourceGroupOf(String(a.properties?.['scope'] ?? ''));
  if (rg) out['resourceGroup'] = rg;
  return out;
}

/** A role definition as az prints it (`properties.type` becomes `roleType`). */
export function flattenDefinition(d: Wire): Record<string, unknown> {
  const { type: roleType, permissions, ...rest } = d.properties ?? {};
  const perms = ((permissions as Record<string, unknown>[] | undefined) ?? []).map((p) => ({ condition: null, conditionVersion: null, ...p }));
  return { id: d.id, name: d.name, type: d.type, ...rest, roleType, permissions: perms };
}

/** az's `_build_role_scope`: `--scope` wins, else the group, else the subscription. */
export function buildScope(arm: ArmClient, scope: string | undefined, resourceGroup: string | undefined): string {
  if (scope && resourceGroup) throw new CliError('Resource group and scope cannot both be specified.');
  if (scope) return scope.startsWith('/') ? scope : `/${scope}`;
  if (resourceGroup) return `/subscriptions/${arm.subscriptionId}/resourceGroups/${resourceGroup}`;
  return `/subscriptions/${arm.subscriptionId}`;
}

const definitionsPath = (scope: string) => `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleDefinitions`;

/** Role definitions visible at `scope`, flattened. */
export async function listDefinitions(arm: ArmClient, scope: string, filter?: string): Promise<Record<string, unknown>[]> {
  const raw = await arm.list<Wire>(definitionsPath(scope), { apiVersion: 'authorization', query: { $filter: filter } });
  return raw.map(flattenDefinition);
}

/** `--role` → role definition id: an id as given, a GUID at `scope`, or a role name (az `_resolve_role_id`). */
export async function resolveRoleId(arm: ArmClient, role: string, scope: string): Promise<string> {
  if (role.startsWith('/')) return role;
  if (isGuid(role)) return `${definitionsPath(scope.startsWith('/subscriptions/') ? `/subscriptions/${scope.split('/')[2]}` : scope)}/${role}`;
  const found = await listDefinitions(arm, scope, `roleName eq '${role.replace(/'/g, "''")}'`);
  if (found.length === 0) throw new CliError(`Role '${role}' doesn't exist.`);
  if (found.length > 1) throw new CliError(`Multiple roles match '${role}'. Please use role id instead.`);
  return String(found[0]!['id']);
}

export { definitionsPath };
