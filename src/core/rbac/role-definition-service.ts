/**
 * Role definitions: the built-in roles (data, read-only) and custom roles with `assignableScopes`.
 * Writing a custom role needs `roleDefinitions/write` at every scope it is (or was) assignable at,
 * and its permissions must be ones the writer holds there: otherwise a principal could write a role
 * that it then assigns (or has assigned) to grant itself more.
 */
import { isoTime, type Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { isGuid } from '../ids.js';
import type { Store } from '../ports.js';
import type { AccessService } from './access-service.js';
import { isValidActionPattern } from './action-pattern.js';
import type { DefinitionFilter } from './filters.js';
import type { Actor } from './role-assignment-service.js';
import type { Permission, RoleDefinition } from './model.js';
import type { RbacIndex } from './rbac-index.js';
import { checkScope, scopeContains } from './scopes.js';

export interface RoleDefinitionInput {
  roleName?: string;
  description?: string;
  type?: string;
  permissions?: Partial<Permission>[];
  assignableScopes?: string[];
}

export interface RoleDefinitionService {
  get(name: string): RoleDefinition;
  list(scope: string, filter: DefinitionFilter): RoleDefinition[];
  createOrUpdate(actor: Actor, scope: string, name: string, input: RoleDefinitionInput): Promise<{ definition: RoleDefinition; created: boolean }>;
  delete(actor: Actor, scope: string, name: string): Promise<RoleDefinition | undefined>;
}

const LIMITS = { roleName: 512, description: 2048, patterns: 500, scopes: 100 };

function checkName(name: string): string {
  if (!isGuid(name)) throw new DomainError('InvalidRoleDefinitionId', `The role definition ID '${name}' is not valid: it must be a GUID.`);
  return name.toLowerCase();
}

function checkPatterns(list: unknown, field: string): string[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.length > LIMITS.patterns || !list.every((p) => typeof p === 'string')) {
    throw new DomainError('InvalidActionOrNotAction', `'${field}' must be an array of at most ${LIMITS.patterns} strings.`, { target: field });
  }
  for (const p of list as string[]) {
    if (!isValidActionPattern(p))
      throw new DomainError(
        'InvalidActionOrNotAction',
        `The action '${p}' in '${field}' is not valid: use 'Namespace/resourceType/operation' with '*' wildcards.`,
        { target: field },
      );
  }
  return list as string[];
}

function checkInput(input: RoleDefinitionInput): Pick<RoleDefinition, 'roleName' | 'description' | 'permissions' | 'assignableScopes'> {
  const roleName = input.roleName?.trim() ?? '';
  if (roleName === '' || roleName.length > LIMITS.roleName)
    throw new DomainError('InvalidParameter', `'properties.roleName' is required (1 to ${LIMITS.roleName} characters).`, { target: 'properties.roleName' });
  if (input.type !== undefined && input.type.toLowerCase() !== 'customrole')
    throw new DomainError('InvalidParameter', `Only custom roles can be written: 'properties.type' must be 'CustomRole'.`, { target: 'properties.type' });
  const description = input.description ?? '';
  if (description.length > LIMITS.description)
    throw new DomainError('InvalidParameter', `'properties.description' is longer than ${LIMITS.description} characters.`, {
      target: 'properties.description',
    });
  const blocks = input.permissions ?? [];
  if (!Array.isArray(blocks) || blocks.length === 0)
    throw new DomainError('InvalidParameter', "'properties.permissions' must hold at least one permission block.", { target: 'properties.permissions' });
  const permissions = blocks.map((b, i) => ({
    actions: checkPatterns(b?.actions, `properties.permissions[${i}].actions`),
    notActions: checkPatterns(b?.notActions, `properties.permissions[${i}].notActions`),
    dataActions: checkPatterns(b?.dataActions, `properties.permissions[${i}].dataActions`),
    notDataActions: checkPatterns(b?.notDataActions, `properties.permissions[${i}].notDataActions`),
  }));
  const scopes = input.assignableScopes ?? [];
  if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > LIMITS.scopes || !scopes.every((s) => typeof s === 'string')) {
    throw new DomainError('InvalidAssignableScope', `'properties.assignableScopes' must list 1 to ${LIMITS.scopes} scopes.`, {
      target: 'properties.assignableScopes',
    });
  }
  return { roleName, description, permissions, assignableScopes: [...new Set(scopes.map((s) => checkScope(s, 'properties.assignableScopes')))] };
}

export function createRoleDefinitionService(deps: { store: Store; index: RbacIndex; access: AccessService; clock: Clock }): RoleDefinitionService {
  const { store, index, access } = deps;
  const all = () => [...index.roles()].map((r) => r.definition);

  /** The writer needs `action` and every permission of the role at each scope. */
  function checkWriter(actor: Actor, action: string, scopes: string[], permissions: Permission[] | undefined) {
    for (const scope of scopes) {
      if (!access.can(actor.objectId, action, scope)) throw access.denied(actor.objectId, action, scope);
      const missing = permissions ? access.missingToGrant(actor.objectId, scope, { permissions }) : [];
      if (missing.length > 0) {
        throw new DomainError(
          'AuthorizationFailed',
          `The client '${actor.objectId}' with object id '${actor.objectId}' does not have authorization to write a role granting ${missing.slice(0, 5).join(', ')} over scope '${scope}': a custom role may only hold permissions its writer holds at each assignable scope.`,
        );
      }
    }
  }

  return {
    get(rawName) {
      const name = checkName(rawName);
      const role = index.role(name);
      if (!role) throw new DomainError('RoleDefinitionDoesNotExist', `The specified role definition with ID '${name}' does not exist.`);
      return role.definition;
    },
    list(rawScope, filter) {
      const scope = checkScope(rawScope);
      return all()
        .filter((d) => {
          if (filter.type !== undefined && d.roleType !== filter.type) return false;
          if (filter.roleName !== undefined && d.roleName.toLowerCase() !== filter.roleName.toLowerCase()) return false;
          // A role is listed where it can be assigned; with atScopeAndBelow() also where it can be assigned below.
          return d.assignableScopes.some((s) => scopeContains(s, scope) || (filter.atScopeAndBelow && scopeContains(scope, s)));
        })
        .sort((a, b) => a.roleName.localeCompare(b.roleName));
    },
    async createOrUpdate(actor, rawScope, rawName, input) {
      checkScope(rawScope);
      const name = checkName(rawName);
      const existing = index.role(name)?.definition;
      if (existing?.roleType === 'BuiltInRole')
        throw new DomainError('InvalidRoleDefinitionId', `The role definition '${name}' is a built-in role and cannot be changed.`);
      const fields = checkInput(input);
      const clash = all().find((d) => d.roleName.toLowerCase() === fields.roleName.toLowerCase() && d.name !== name);
      if (clash)
        throw new DomainError(
          'RoleDefinitionWithSameNameExists',
          `A role definition cannot be updated with a name that already exists: '${fields.roleName}' (${clash.name}).`,
        );
      checkWriter(actor, 'Microsoft.Authorization/roleDefinitions/write', fields.assignableScopes, fields.permissions);
      if (existing) checkWriter(actor, 'Microsoft.Authorization/roleDefinitions/write', existing.assignableScopes, existing.permissions);
      const now = isoTime(deps.clock.now());
      const definition: RoleDefinition = {
        name,
        roleType: 'CustomRole',
        ...fields,
        createdOn: existing?.createdOn ?? now,
        createdBy: existing?.createdBy ?? actor.objectId,
        updatedOn: now,
        updatedBy: actor.objectId,
      };
      await store.transaction(async (tx) => {
        if (existing) await tx.roleDefinitions.update(definition);
        else await tx.roleDefinitions.insert(definition);
        await tx.rbacChanges.record('definition', name);
      });
      index.putRole(definition);
      return { definition, created: existing === undefined };
    },
    async delete(actor, rawScope, rawName) {
      checkScope(rawScope);
      const name = checkName(rawName);
      const existing = index.role(name)?.definition;
      if (!existing) return undefined;
      if (existing.roleType === 'BuiltInRole')
        throw new DomainError('InvalidRoleDefinitionId', `The role definition '${name}' is a built-in role and cannot be deleted.`);
      checkWriter(actor, 'Microsoft.Authorization/roleDefinitions/delete', existing.assignableScopes, undefined);
      await store.transaction(async (tx) => {
        if ((await tx.roleAssignments.countByRole(name)) > 0) {
          throw new DomainError(
            'RoleDefinitionHasAssignments',
            `There are existing role assignments referencing role '${existing.roleName}'; delete them first.`,
          );
        }
        await tx.roleDefinitions.delete(name);
        await tx.rbacChanges.record('definition', name);
      });
      index.removeRole(name);
      return existing;
    },
  };
}
