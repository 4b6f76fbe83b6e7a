/**
 * A virtual machine's `properties` as Keyless keeps them: what the client sent, minus secrets and
 * read-only fields. Azure never returns `osProfile.adminPassword` or `osProfile.customData`, and
 * returns `userData` only on request; Keyless does not even store them (nothing runs the VM).
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fields the service sets; values a client echoes back from a GET are ignored. */
const READ_ONLY = ['provisioningState', 'vmId', 'instanceView', 'timeCreated'];
/** Write-only secrets, by path. */
const SECRETS: readonly (readonly string[])[] = [['osProfile', 'adminPassword'], ['osProfile', 'customData'], ['userData']];

/** A deep copy of `properties` without secrets and read-only fields. */
export function sanitizeVmProperties(properties: Json | null | undefined): Json {
  const copy: Json = isObject(properties) ? structuredClone(properties) : {};
  for (const field of READ_ONLY) delete copy[field];
  for (const path of SECRETS) {
    let node: unknown = copy;
    for (const key of path.slice(0, -1)) node = isObject(node) ? node[key] : undefined;
    if (isObject(node)) delete node[path[path.length - 1]!];
  }
  return copy;
}

/** JSON Merge Patch (RFC 7396), which ARM PATCH follows: objects merge, `null` removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    // A JSON `__proto__` key is data, but assigning it would change the object's prototype.
    if (key === '__proto__') continue;
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
