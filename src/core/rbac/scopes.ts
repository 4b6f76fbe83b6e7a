/** RBAC scopes: where assignments are made and roles may be assigned. */
import { DomainError } from '../errors.js';
import { parseResourceId, pathSegments, resourceKey } from '../resource-id.js';

/** A scope as stored and shown: `/` or `/seg/seg…` with single slashes, case kept. */
export function normalizeScope(scope: string): string {
  return '/' + pathSegments(scope).join('/');
}

/**
 * Checks that `scope` is one Azure accepts for RBAC: the root, a subscription, a resource group, or
 * a (child) resource; management groups are not modelled. Throws `InvalidParameter` otherwise.
 */
export function checkScope(scope: string, target = 'scope'): string {
  const normalized = normalizeScope(scope);
  if (normalized === '/') return normalized;
  const parts = parseResourceId(normalized);
  const seg = pathSegments(normalized);
  const valid =
    parts !== undefined &&
    parts.subscriptionId !== undefined &&
    (parts.namespace === undefined || (parts.types.length > 0 && parts.types.length === parts.names.length)) &&
    seg.every((s) => s.length <= 260);
  if (!valid)
    throw new DomainError('InvalidParameter', `The scope '${scope}' is not valid: use '/', '/subscriptions/{id}', a resource group or a resource id.`, {
      target,
    });
  return normalized;
}

/** The keys of `scopeKey` and every scope above it, root first (`/`, `/subscriptions/s`, …). */
export function ancestorKeys(scopeKey: string): string[] {
  const seg = scopeKey.split('/').filter((s) => s.length > 0);
  const keys = ['/'];
  for (let i = 1; i <= seg.length; i++) keys.push('/' + seg.slice(0, i).join('/'));
  return keys;
}

/** True when `inner` is `outer` or lies below it (both any case). */
export function scopeContains(outer: string, inner: string): boolean {
  const o = resourceKey(outer);
  const i = resourceKey(inner);
  return o === '/' || i === o || i.startsWith(o + '/');
}
