/**
 * Decisions over the in-memory index: the fast yes/no every ARM call asks, the explained decision of
 * the access-check API, effective permissions, and the escalation rule (a principal may only hand out
 * permissions it holds itself at that scope).
 */
import { DomainError } from '../errors.js';
import { resourceKey } from '../resource-id.js';
import { patternCovers, patternsIntersect } from './action-pattern.js';
import { evaluateAccess, isAllowed, scopePrefix, type AccessDecision } from './evaluate.js';
import type { Permission, RoleDefinition } from './model.js';
import type { RbacIndex } from './rbac-index.js';

export interface AccessService {
  /** True when the principal may perform `action` (a data action when `data`) at `scope`. */
  can(principalId: string, action: string, scope: string, data?: boolean): boolean;
  /** The decision with its explanation. */
  check(request: { principalId: string; action: string; scope: string; dataAction: boolean }): AccessDecision;
  /** True when an assignment at or below `scope` grants `action` somewhere below (lists are then filtered). */
  grantsBelow(principalId: string, action: string, scope: string): boolean;
  /** True when the principal holds any assignment at, above or below `scope`. */
  hasAssignmentAround(principalId: string, scope: string): boolean;
  /** The permission blocks of every role assigned to the principal at or above `scope`. */
  permissions(principalId: string, scope: string): Permission[];
  /** What of `role` the principal does not hold itself at `scope`; empty when it may hand the role out. */
  missingToGrant(principalId: string, scope: string, role: Pick<RoleDefinition, 'permissions'>): string[];
  /** Azure's AuthorizationFailed for this principal, action and scope. */
  denied(principalId: string, action: string, scope: string): DomainError;
}

/** ARM's message, verbatim in form (azure-wire-contracts.md §4.4). */
export function authorizationFailedMessage(principalId: string, action: string, scope: string): string {
  return `The client '${principalId}' with object id '${principalId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`;
}

/** True when one of the holder's blocks grants everything pattern `p` (minus `excluded`) grants. */
function holds(blocks: Permission[], p: string, excluded: string[], data: boolean): boolean {
  return blocks.some((b) => {
    const allow = data ? b.dataActions : b.actions;
    const deny = data ? b.notDataActions : b.notActions;
    if (!allow.some((q) => patternCovers(q, p))) return false;
    return deny.every((n) => !patternsIntersect(n, p) || excluded.some((r) => patternCovers(r, n)));
  });
}

export function createAccessService(index: RbacIndex): AccessService {
  const roles = (name: string) => index.role(name);
  // Every ARM request asks with its path; normalising it (split, decode, join) costs more than the
  // decision itself, so the prefixes of recent scopes are kept.
  const prefixes = new Map<string, string>();
  const prefixOf = (scope: string) => {
    let prefix = prefixes.get(scope);
    if (prefix === undefined) {
      prefix = scopePrefix(resourceKey(scope));
      if (prefixes.size >= 50_000) prefixes.clear();
      prefixes.set(scope, prefix);
    }
    return prefix;
  };

  const permissions = (principalId: string, scope: string): Permission[] => {
    const prefix = prefixOf(scope);
    const out: Permission[] = [];
    for (const a of index.assignmentsOf(principalId)) {
      if (!prefix.startsWith(a.prefix)) continue;
      const role = index.role(a.roleName);
      if (role) out.push(...role.definition.permissions);
    }
    return out;
  };

  return {
    can: (principalId, action, scope, data = false) => isAllowed(index.assignmentsOf(principalId), roles, action.toLowerCase(), prefixOf(scope), data),
    check: (r) =>
      evaluateAccess(
        { principalId: r.principalId, action: r.action, scopePrefix: prefixOf(r.scope), dataAction: r.dataAction },
        index.assignmentsOf(r.principalId),
        roles,
      ),
    grantsBelow(principalId, action, scope) {
      const prefix = prefixOf(scope);
      const lower = action.toLowerCase();
      return index.assignmentsOf(principalId).some((a) => a.prefix.startsWith(prefix) && index.role(a.roleName)?.verdict(lower, false) === 'granted');
    },
    hasAssignmentAround(principalId, scope) {
      const prefix = prefixOf(scope);
      return index.assignmentsOf(principalId).some((a) => a.prefix.startsWith(prefix) || prefix.startsWith(a.prefix));
    },
    permissions,
    missingToGrant(principalId, scope, role) {
      const mine = permissions(principalId, scope);
      const missing: string[] = [];
      for (const block of role.permissions) {
        for (const p of block.actions) if (!holds(mine, p, block.notActions, false)) missing.push(p);
        for (const p of block.dataActions) if (!holds(mine, p, block.notDataActions, true)) missing.push(`${p} (data action)`);
      }
      return [...new Set(missing)];
    },
    denied: (principalId, action, scope) => new DomainError('AuthorizationFailed', authorizationFailedMessage(principalId, action, scope)),
  };
}
