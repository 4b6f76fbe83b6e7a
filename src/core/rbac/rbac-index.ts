/**
 * The in-memory RBAC index every decision reads: compiled roles by GUID and assignments by principal.
 * Writes through this server update it at once; changes made by other servers arrive through the
 * change feed (rbac-sync.ts). Scope strings are interned: a million assignments share a few thousand scopes.
 */
import { resourceKey } from '../resource-id.js';
import { compileRole, scopePrefix, type CompiledRole, type IndexedAssignment } from './evaluate.js';
import type { RoleAssignment, RoleDefinition } from './model.js';

interface Entry extends IndexedAssignment {
  principalId: string;
}

export interface RbacIndex {
  role(name: string): CompiledRole | undefined;
  roles(): IterableIterator<CompiledRole>;
  putRole(definition: RoleDefinition): void;
  removeRole(name: string): void;
  /** The principal's assignments (empty when none); the array is the index's own: do not change it. */
  assignmentsOf(principalId: string): readonly IndexedAssignment[];
  putAssignment(assignment: Pick<RoleAssignment, 'name' | 'scope' | 'roleDefinitionName' | 'principalId'>): void;
  removeAssignment(name: string): void;
  /** The principal an indexed assignment belongs to. */
  principalOf(name: string): string | undefined;
  stats(): { roles: number; principals: number; assignments: number };
}

const NONE: readonly IndexedAssignment[] = Object.freeze([]);

export function createRbacIndex(initialRoles: readonly RoleDefinition[] = []): RbacIndex {
  const roles = new Map<string, CompiledRole>();
  const byPrincipal = new Map<string, Entry[]>();
  const byName = new Map<string, Entry>();
  const scopes = new Map<string, { scope: string; prefix: string }>();
  for (const r of initialRoles) roles.set(r.name.toLowerCase(), compileRole(r));

  const intern = (scope: string) => {
    let s = scopes.get(scope);
    if (!s) {
      s = { scope, prefix: scopePrefix(resourceKey(scope)) };
      scopes.set(scope, s);
    }
    return s;
  };

  const removeAssignment = (name: string) => {
    const key = name.toLowerCase();
    const entry = byName.get(key);
    if (!entry) return;
    byName.delete(key);
    const list = byPrincipal.get(entry.principalId);
    if (!list) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) byPrincipal.delete(entry.principalId);
  };

  return {
    role: (name) => roles.get(name.toLowerCase()),
    roles: () => roles.values(),
    putRole(definition) {
      roles.set(definition.name.toLowerCase(), compileRole(definition));
    },
    removeRole(name) {
      roles.delete(name.toLowerCase());
    },
    assignmentsOf: (principalId) => byPrincipal.get(principalId.toLowerCase()) ?? NONE,
    putAssignment(a) {
      removeAssignment(a.name);
      const { scope, prefix } = intern(a.scope);
      const principalId = a.principalId.toLowerCase();
      const entry: Entry = { name: a.name.toLowerCase(), scope, prefix, roleName: a.roleDefinitionName.toLowerCase(), principalId };
      byName.set(entry.name, entry);
      const list = byPrincipal.get(principalId);
      if (list) list.push(entry);
      else byPrincipal.set(principalId, [entry]);
    },
    removeAssignment,
    principalOf: (name) => byName.get(name.toLowerCase())?.principalId,
    stats: () => ({ roles: roles.size, principals: byPrincipal.size, assignments: byName.size }),
  };
}
