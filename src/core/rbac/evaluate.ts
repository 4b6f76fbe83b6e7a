/**
 * The RBAC decision, as a pure function over in-memory data: deny by default; an assignment counts
 * when it was made at the requested scope or above it (root → subscription → resource group →
 * resource → child resource); its role grants an action when some permission block lists it in
 * `actions` and not in `notActions` (`dataActions`/`notDataActions` for data actions). No I/O here.
 */
import { compileActionPattern, type ActionMatcher } from './action-pattern.js';
import type { Permission, RoleDefinition } from './model.js';

/** Why one permission block does or does not grant an action. */
type BlockVerdict = 'granted' | 'excluded' | 'absent';

interface CompiledBlock {
  allow: ActionMatcher[];
  deny: ActionMatcher[];
}

/** A role definition with its patterns compiled and its verdicts cached per action. */
export interface CompiledRole {
  definition: RoleDefinition;
  /** 'granted' when the role grants the (lower-cased) action, else why not. */
  verdict(actionLower: string, data: boolean): BlockVerdict;
}

const MAX_CACHED_ACTIONS = 4096;

function compileBlocks(permissions: Permission[], data: boolean): CompiledBlock[] {
  return permissions.map((p) => ({
    allow: (data ? p.dataActions : p.actions).map(compileActionPattern),
    deny: (data ? p.notDataActions : p.notActions).map(compileActionPattern),
  }));
}

/** Compiles a role once; the server keeps one per definition. */
export function compileRole(definition: RoleDefinition): CompiledRole {
  const blocks = { control: compileBlocks(definition.permissions, false), data: compileBlocks(definition.permissions, true) };
  const caches = { control: new Map<string, BlockVerdict>(), data: new Map<string, BlockVerdict>() };
  return {
    definition,
    verdict(actionLower, data) {
      const cache = data ? caches.data : caches.control;
      let v = cache.get(actionLower);
      if (v !== undefined) return v;
      v = 'absent';
      for (const block of data ? blocks.data : blocks.control) {
        if (!block.allow.some((m) => m(actionLower))) continue;
        if (block.deny.some((m) => m(actionLower))) {
          v = 'excluded';
          continue;
        }
        v = 'granted';
        break;
      }
      if (cache.size >= MAX_CACHED_ACTIONS) cache.clear();
      cache.set(actionLower, v);
      return v;
    },
  };
}

/** An assignment as the evaluator sees it: who, which role, where. */
export interface IndexedAssignment {
  name: string;
  /** The scope as given, for explanations. */
  scope: string;
  /** resourceKey(scope) followed by `/` (`/` for the root): a request scope is within it when it starts with it. */
  prefix: string;
  roleName: string;
}

/** The scope key a decision compares against: lower-case, single slashes, ending in `/`. */
export function scopePrefix(scopeKey: string): string {
  return scopeKey === '/' ? '/' : scopeKey + '/';
}

export interface AccessRequest {
  principalId: string;
  action: string;
  /** `resourceKey(scope) + '/'`, see {@link scopePrefix}. */
  scopePrefix: string;
  /** True for a data action (`dataActions`), false for a control-plane action. */
  dataAction: boolean;
}

/** One assignment that applied to the request scope, and what its role said about the action. */
export interface ConsideredAssignment {
  roleAssignmentName: string;
  scope: string;
  roleDefinitionName: string;
  roleName: string;
  /** granted: the role grants it; excluded: listed but removed by notActions; absent: not listed. */
  verdict: BlockVerdict | 'unknown-role';
}

export interface AccessDecision {
  allowed: boolean;
  /** Assignments at or above the scope, with their verdicts (only when an explanation was asked for). */
  considered: ConsideredAssignment[];
  /** A sentence saying why, for people. */
  reason: string;
}

/** The fast path: true when one of the principal's assignments grants the action at the scope. */
export function isAllowed(
  assignments: readonly IndexedAssignment[],
  roles: (name: string) => CompiledRole | undefined,
  actionLower: string,
  prefix: string,
  data: boolean,
): boolean {
  for (const a of assignments) {
    if (!prefix.startsWith(a.prefix)) continue;
    if (roles(a.roleName)?.verdict(actionLower, data) === 'granted') return true;
  }
  return false;
}

/** The full decision with its explanation (the access-check API and `AuthorizationFailed` diagnostics). */
export function evaluateAccess(
  request: AccessRequest,
  assignments: readonly IndexedAssignment[],
  roles: (name: string) => CompiledRole | undefined,
): AccessDecision {
  const action = request.action.toLowerCase();
  const considered: ConsideredAssignment[] = [];
  for (const a of assignments) {
    if (!request.scopePrefix.startsWith(a.prefix)) continue;
    const role = roles(a.roleName);
    considered.push({
      roleAssignmentName: a.name,
      scope: a.scope,
      roleDefinitionName: a.roleName,
      roleName: role?.definition.roleName ?? '(deleted role)',
      verdict: role ? role.verdict(action, request.dataAction) : 'unknown-role',
    });
  }
  const granted = considered.filter((c) => c.verdict === 'granted');
  const kind = request.dataAction ? 'data action' : 'action';
  if (granted.length > 0) {
    const how = granted.map((c) => `role '${c.roleName}' assigned at '${c.scope}' (assignment ${c.roleAssignmentName})`).join('; ');
    return { allowed: true, considered, reason: `Allowed: ${kind} '${request.action}' is granted by ${how}.` };
  }
  if (considered.length === 0) {
    return {
      allowed: false,
      considered,
      reason: `Denied: principal '${request.principalId}' has no role assignment at this scope or above it; ${kind} '${request.action}' needs a role that grants it.`,
    };
  }
  const excluded = considered.filter((c) => c.verdict === 'excluded').map((c) => `'${c.roleName}'`);
  const roleList = [...new Set(considered.map((c) => `'${c.roleName}'`))].join(', ');
  const why =
    excluded.length > 0
      ? `it is excluded by the ${request.dataAction ? 'notDataActions' : 'notActions'} of ${[...new Set(excluded)].join(', ')}`
      : `none of the roles assigned at this scope or above (${roleList}) lists it`;
  return { allowed: false, considered, reason: `Denied: ${kind} '${request.action}' is not granted: ${why}.` };
}
