/**
 * RBAC records: role definitions (built-in ones are data, custom ones are stored) and role
 * assignments. Shapes follow Microsoft.Authorization 2022-04-01 (`authorization-RoleDefinitionsCalls.json`,
 * `authorization-RoleAssignmentsCalls.json`) without the wire envelope.
 */

/** One permission block of a role: what it allows minus what it excludes, for control and data plane. */
export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export type RoleType = 'BuiltInRole' | 'CustomRole';

export interface RoleDefinition {
  /** The role's GUID (its ARM `name`), lower-case. Unique across the server, as in an Azure tenant. */
  name: string;
  roleName: string;
  description: string;
  roleType: RoleType;
  permissions: Permission[];
  /** Scopes the role may be assigned at (and below). Built-in roles: `['/']`. */
  assignableScopes: string[];
  createdOn: string | null;
  updatedOn: string | null;
  createdBy: string | null;
  updatedBy: string | null;
}

/** Azure's principal types; managed identities and applications are `ServicePrincipal`. */
export const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

export interface RoleAssignment {
  /** The assignment's GUID (its ARM `name`), lower-case. */
  name: string;
  /** The scope it is made at, as given (`/`, `/subscriptions/{s}`, …). */
  scope: string;
  /** GUID of the role definition, lower-case. */
  roleDefinitionName: string;
  /** Object id of the principal, lower-case. */
  principalId: string;
  principalType: PrincipalType;
  description: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
  updatedBy: string | null;
}

/** The ARM id of an assignment: `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`. */
export function roleAssignmentId(a: Pick<RoleAssignment, 'scope' | 'name'>): string {
  return `${a.scope === '/' ? '' : a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`;
}

/**
 * The ARM id of a role definition as seen from `scope`: ARM answers `/subscriptions/{s}/providers/…`
 * when read under a subscription and `/providers/…` at the root.
 */
export function roleDefinitionId(name: string, scope = '/'): string {
  const m = /^\/subscriptions\/[^/]+/i.exec(scope);
  return `${m ? m[0] : ''}/providers/Microsoft.Authorization/roleDefinitions/${name}`;
}
