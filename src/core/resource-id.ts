/**
 * ARM resource ids and scopes. ARM compares ids case-insensitively and the SDKs send mixed case
 * (`resourcegroups` vs `resourceGroups`), so the core keeps ids as given for display and compares
 * them through {@link resourceKey}.
 */

/** A parsed ARM id: the scope it lives in plus, for a provider resource, its namespace, type and name. */
export interface ResourceIdParts {
  subscriptionId?: string;
  resourceGroup?: string;
  /** Provider namespace of the last `providers` segment, e.g. `Microsoft.ManagedIdentity`. */
  namespace?: string;
  /** Type names after the namespace, one per level: `['userAssignedIdentities', 'federatedIdentityCredentials']`. */
  types: string[];
  /** Names matching `types` level by level (one shorter when the id ends in a collection). */
  names: string[];
  /** For a provider resource: the id of what it sits in (its parent resource, group, subscription or `/`). */
  parentScope: string;
}

/** Splits a path into its non-empty segments, decoding percent escapes. */
export function pathSegments(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

/** The key ARM ids are compared by: lower-case, single slashes, no trailing slash. */
export function resourceKey(id: string): string {
  return '/' + pathSegments(id).join('/').toLowerCase();
}

export function subscriptionResourceId(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId}`;
}

export function resourceGroupResourceId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

/** The id of a resource in a group: `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}`. */
export function providerResourceId(subscriptionId: string, resourceGroup: string, namespace: string, type: string, name: string): string {
  return `${resourceGroupResourceId(subscriptionId, resourceGroup)}/providers/${namespace}/${type}/${name}`;
}

/**
 * Parses an ARM id or collection path. Returns undefined when the path is not ARM-shaped
 * (e.g. `providers` with no namespace, or a dangling `resourceGroups`).
 */
export function parseResourceId(id: string): ResourceIdParts | undefined {
  const seg = pathSegments(id);
  const parts: ResourceIdParts = { types: [], names: [], parentScope: '/' };
  let i = 0;
  if (seg[i]?.toLowerCase() === 'subscriptions') {
    if (seg[i + 1] === undefined) return undefined;
    parts.subscriptionId = seg[i + 1];
    i += 2;
    if (seg[i]?.toLowerCase() === 'resourcegroups') {
      if (seg[i + 1] === undefined) return undefined;
      parts.resourceGroup = seg[i + 1];
      i += 2;
    }
  }
  // Find the last `providers/{namespace}`: everything before it is the parent scope.
  let last = -1;
  for (let j = i; j < seg.length - 1; j++) if (seg[j]!.toLowerCase() === 'providers') last = j;
  if (last < 0) return i === seg.length ? parts : undefined;
  parts.parentScope = '/' + seg.slice(0, last).join('/');
  parts.namespace = seg[last + 1];
  const rest = seg.slice(last + 2);
  for (let k = 0; k < rest.length; k += 2) {
    parts.types.push(rest[k]!);
    if (rest[k + 1] !== undefined) parts.names.push(rest[k + 1]!);
  }
  // A parent scope with its own `providers` segment means an extension resource; keep its own parts.
  return parts;
}

/** `Namespace/type/childType` for a parsed provider resource, e.g. `Microsoft.Compute/virtualMachines`. */
export function fullResourceType(parts: ResourceIdParts): string | undefined {
  if (!parts.namespace) return undefined;
  return [parts.namespace, ...parts.types].join('/');
}

/**
 * True when `id` is `scope` itself or lies below it. Both are compared by {@link resourceKey};
 * `/` (the root scope) contains everything.
 */
export function isWithinScope(scope: string, id: string): boolean {
  const s = resourceKey(scope);
  const k = resourceKey(id);
  if (s === '/') return true;
  return k === s || k.startsWith(s + '/');
}
