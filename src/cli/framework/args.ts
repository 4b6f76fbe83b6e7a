/**
 * Shared argument helpers for command modules: az's `--tags` syntax, `--ids`, and building ARM
 * paths in the subscription in effect.
 */
import { parseResourceId } from '../../core/resource-id.js';
import { UsageError } from './errors.js';

/**
 * az's `--tags`: space-separated `key[=value]`; `--tags ""` (or a bare `--tags`) clears all tags.
 * Declare the flag as `--tags [tags...]`.
 */
export function parseTags(value: string[] | boolean | undefined): Record<string, string> | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  const tags: Record<string, string> = {};
  for (const item of value) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!key) throw new UsageError(`argument --tags: invalid tag '${item}': expected KEY[=VALUE]`);
    tags[key] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return tags;
}

/** `/subscriptions/{s}/resourceGroups/{rg}`, path-escaped. */
export function groupPath(subscriptionId: string, group: string): string {
  return `/subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(group)}`;
}

/** The resource group named in an ARM id (any case of `resourceGroups`), as az's `resourceGroup`. */
export function resourceGroupOf(id: string): string | undefined {
  return parseResourceId(id)?.resourceGroup;
}

/** A resource addressed either by `--ids` or by `--resource-group` and `--name`. */
export interface ResourceRef {
  subscriptionId?: string;
  group: string;
  name: string;
}

/**
 * Resolves az's two ways of naming one resource: `--ids <id>` or `-g <group> -n <name>`; else the
 * usage error az gives: "(--name --resource-group | --ids) are required".
 */
export function resourceRef(opts: { ids?: string[] | string; resourceGroup?: string; name?: string }, type: string): ResourceRef {
  const ids = typeof opts.ids === 'string' ? [opts.ids] : opts.ids;
  if (ids?.length) {
    const parts = parseResourceId(ids[0]!);
    if (
      !parts?.subscriptionId ||
      !parts.resourceGroup ||
      parts.names.length === 0 ||
      `${parts.namespace}/${parts.types.join('/')}`.toLowerCase() !== type.toLowerCase()
    ) {
      throw new UsageError(`argument --ids: invalid resource ID: '${ids[0]}' is not a ${type} id.`);
    }
    return { subscriptionId: parts.subscriptionId, group: parts.resourceGroup, name: parts.names[parts.names.length - 1]! };
  }
  if (!opts.resourceGroup || !opts.name) throw new UsageError('(--name --resource-group | --ids) are required');
  return { group: opts.resourceGroup, name: opts.name };
}
