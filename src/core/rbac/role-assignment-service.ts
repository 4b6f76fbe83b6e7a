/**
 * Role assignments: create (PUT with a GUID name), get, delete, list with the spec's filters. Every
 * write goes to the store and the change feed in one transaction, then into this server's index, so
 * it is effective here at once and on other servers at their next poll.
 */
import { isoTime, type Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { isGuid } from '../ids.js';
import type { Page, PageRequest } from '../model.js';
import type { Store } from '../ports.js';
import { resourceKey } from '../resource-id.js';
import type { AccessService } from './access-service.js';
import type { AssignmentFilter } from './filters.js';
import { PRINCIPAL_TYPES, type PrincipalType, type RoleAssignment } from './model.js';
import type { RbacIndex } from './rbac-index.js';
import { ancestorKeys, checkScope, scopeContains } from './scopes.js';

export interface RoleAssignmentInput {
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
  description?: string | null;
  condition?: string | null;
  conditionVersion?: string | null;
}

/** Who is writing: the caller's object id and tenant. */
export interface Actor {
  objectId: string;
  tenantId: string;
}

export interface RoleAssignmentService {
  create(actor: Actor, scope: string, name: string, input: RoleAssignmentInput): Promise<{ assignment: RoleAssignment; created: boolean }>;
  get(scope: string, name: string): Promise<RoleAssignment>;
  /** The deleted assignment, or undefined when there was none (ARM answers 204). */
  delete(scope: string, name: string): Promise<RoleAssignment | undefined>;
  list(scope: string, filter: AssignmentFilter, page: PageRequest): Promise<Page<RoleAssignment>>;
}

export interface RoleAssignmentDeps {
  store: Store;
  index: RbacIndex;
  access: AccessService;
  clock: Clock;
  /**
   * `azure` (default): holding `roleAssignments/write` at the scope (checked before the handler) is
   * enough to grant any role there. `strict`: the granter must also hold every permission of the role.
   */
  grantRule?: 'azure' | 'strict';
}

/** The GUID at the end of `.../roleDefinitions/{guid}` (or a bare GUID). */
export function roleDefinitionName(roleDefinitionId: string): string | undefined {
  const m = /(?:^|\/providers\/Microsoft\.Authorization\/roleDefinitions\/)([0-9a-f-]{36})\/?$/i.exec(roleDefinitionId.trim());
  return m && isGuid(m[1]!) ? m[1]!.toLowerCase() : undefined;
}

function checkName(name: string): string {
  if (!isGuid(name)) throw new DomainError('InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
  return name.toLowerCase();
}

export function createRoleAssignmentService(deps: RoleAssignmentDeps): RoleAssignmentService {
  const { store, index, access } = deps;

  async function validate(actor: Actor, scope: string, input: RoleAssignmentInput) {
    if ((input.condition ?? '') !== '' || (input.conditionVersion ?? '') !== '') {
      throw new DomainError(
        'ConditionNotSupported',
        'Role assignment conditions (ABAC) are not supported by Keyless: remove `condition` and `conditionVersion`, or scope the assignment more narrowly instead.',
        { target: 'properties.condition' },
      );
    }
    const roleName = roleDefinitionName(input.roleDefinitionId);
    if (!roleName)
      throw new DomainError(
        'InvalidRoleDefinitionId',
        `The role definition ID '${input.roleDefinitionId}' is not valid: expected '/subscriptions/{id}/providers/Microsoft.Authorization/roleDefinitions/{guid}'.`,
        { target: 'properties.roleDefinitionId' },
      );
    const role = index.role(roleName)?.definition;
    if (!role) throw new DomainError('RoleDefinitionDoesNotExist', `The specified role definition with ID '${roleName}' does not exist.`);
    if (!role.assignableScopes.some((s) => scopeContains(s, scope))) {
      throw new DomainError(
        'InvalidAssignableScope',
        `The role '${role.roleName}' cannot be assigned at scope '${scope}': its assignable scopes are ${role.assignableScopes.map((s) => `'${s}'`).join(', ')}.`,
      );
    }
    if (!isGuid(input.principalId))
      throw new DomainError('InvalidParameter', `The principal id '${input.principalId}' is not a GUID.`, { target: 'properties.principalId' });
    let principalType = input.principalType as PrincipalType | undefined;
    if (principalType !== undefined && !PRINCIPAL_TYPES.includes(principalType)) {
      throw new DomainError('InvalidParameter', `The principal type '${input.principalType}' is not valid; use one of ${PRINCIPAL_TYPES.join(', ')}.`, {
        target: 'properties.principalType',
      });
    }
    if (principalType === undefined) {
      // Azure checks the directory unless the type is given (which skips the check for replication delay).
      const principal = await store.principals.getByObjectId(actor.tenantId, input.principalId);
      if (!principal) {
        throw new DomainError(
          'PrincipalNotFound',
          `Principal ${input.principalId.replace(/-/g, '').toLowerCase()} does not exist in the directory ${actor.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
        );
      }
      principalType = 'ServicePrincipal';
    }
    // Strict rule (opt-in): no principal can hand out more than it holds itself at this scope
    // (docs/adr/0005-rbac.md). Azure's rule asks only for roleAssignments/write, checked before.
    const missing = deps.grantRule === 'strict' ? access.missingToGrant(actor.objectId, scope, role) : [];
    if (missing.length > 0) {
      throw new DomainError(
        'AuthorizationFailed',
        `The client '${actor.objectId}' with object id '${actor.objectId}' does not have authorization to assign role '${role.roleName}' over scope '${scope}': it would grant permissions the client does not hold there (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}).`,
      );
    }
    return { roleName, principalType };
  }

  return {
    async create(actor, rawScope, rawName, input) {
      const scope = checkScope(rawScope);
      const name = checkName(rawName);
      const { roleName, principalType } = await validate(actor, scope, input);
      const principalId = input.principalId.toLowerCase();
      const now = isoTime(deps.clock.now());
      const result = await store.transaction(async (tx) => {
        const existing = await tx.roleAssignments.get(name);
        if (existing) {
          if (resourceKey(existing.scope) !== resourceKey(scope) || existing.principalId !== principalId || existing.roleDefinitionName !== roleName) {
            throw new DomainError('RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.');
          }
          const updated: RoleAssignment = {
            ...existing,
            principalType,
            description: input.description ?? existing.description,
            updatedOn: now,
            updatedBy: actor.objectId,
          };
          await tx.roleAssignments.update(updated);
          await tx.rbacChanges.record('assignment', name);
          return { assignment: updated, created: false };
        }
        const twin = await tx.roleAssignments.find(principalId, roleName, scope);
        if (twin)
          throw new DomainError(
            'RoleAssignmentExists',
            `The role assignment already exists. The ID of the existing role assignment is ${twin.name.replace(/-/g, '')}.`,
          );
        const assignment: RoleAssignment = {
          name,
          scope,
          roleDefinitionName: roleName,
          principalId,
          principalType,
          description: input.description ?? null,
          createdOn: now,
          updatedOn: now,
          createdBy: actor.objectId,
          updatedBy: actor.objectId,
        };
        try {
          await tx.roleAssignments.insert(assignment);
        } catch (e) {
          // A concurrent identical assignment won the race (unique principal/role/scope).
          throw new DomainError('RoleAssignmentExists', 'The role assignment already exists.', { cause: e });
        }
        await tx.rbacChanges.record('assignment', name);
        return { assignment, created: true };
      });
      index.putAssignment(result.assignment);
      return result;
    },
    async get(rawScope, rawName) {
      const name = checkName(rawName);
      const found = await store.roleAssignments.get(name);
      if (!found || resourceKey(found.scope) !== resourceKey(normalizeOrRoot(rawScope))) {
        throw new DomainError('RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
      }
      return found;
    },
    async delete(rawScope, rawName) {
      const name = checkName(rawName);
      const deleted = await store.transaction(async (tx) => {
        const found = await tx.roleAssignments.get(name);
        if (!found || resourceKey(found.scope) !== resourceKey(normalizeOrRoot(rawScope))) return undefined;
        await tx.roleAssignments.delete(name);
        await tx.rbacChanges.record('assignment', name);
        return found;
      });
      if (deleted) index.removeAssignment(name);
      return deleted;
    },
    async list(rawScope, filter, page) {
      const scope = checkScope(rawScope);
      const key = resourceKey(scope);
      return store.roleAssignments.list(
        {
          atScopeKeys: ancestorKeys(key),
          ...(filter.atScope ? {} : { belowScopeKey: key }),
          ...(filter.principalId === undefined ? {} : { principalId: filter.principalId }),
        },
        page,
      );
    },
  };
}

function normalizeOrRoot(scope: string): string {
  return scope === '' ? '/' : scope;
}
