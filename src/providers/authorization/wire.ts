/** Microsoft.Authorization wire shapes (2022-04-01): role assignments, role definitions, permissions. */
import { roleAssignmentId, roleDefinitionId, type Permission, type RoleAssignment, type RoleDefinition } from '../../core/rbac/model.js';

export const AUTHORIZATION_API_VERSIONS = [
  '2022-04-01',
  '2022-05-01-preview',
  '2022-01-01-preview',
  '2020-10-01-preview',
  '2020-10-01',
  '2020-08-01-preview',
  '2020-04-01-preview',
  '2020-03-01-preview',
  '2018-09-01-preview',
  '2018-07-01',
  '2018-01-01-preview',
  '2017-05-01',
  '2015-07-01',
] as const;

export function toRoleAssignmentWire(a: RoleAssignment) {
  return {
    id: roleAssignmentId(a),
    name: a.name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId: roleDefinitionId(a.roleDefinitionName, a.scope),
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: null,
      conditionVersion: null,
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: a.createdBy,
      updatedBy: a.updatedBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description,
    },
  };
}

export function toPermissionWire(p: Permission) {
  return { actions: p.actions, notActions: p.notActions, dataActions: p.dataActions, notDataActions: p.notDataActions };
}

/** A role definition as read at `scope` (its id carries the subscription of that scope, as ARM does). */
export function toRoleDefinitionWire(d: RoleDefinition, scope: string) {
  return {
    id: roleDefinitionId(d.name, scope),
    name: d.name,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: d.roleName,
      type: d.roleType,
      description: d.description,
      assignableScopes: d.assignableScopes,
      permissions: d.permissions.map(toPermissionWire),
      createdOn: d.createdOn,
      updatedOn: d.updatedOn,
      createdBy: d.createdBy,
      updatedBy: d.updatedBy,
    },
  };
}
