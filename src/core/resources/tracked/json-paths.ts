/**
 * JSON helpers the tracked-resource kit applies to `properties`: RFC 7396 merge patch (what ARM PATCH
 * follows) and removal of fields by path (read-only fields a client echoes back, write-only secrets).
 */

export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A field path: keys separated by dots; `[]` after a key walks every element of that array,
 * e.g. `storageProfile.storageaccounts[].key`.
 */
export type JsonPath = string;

interface Step {
  key: string;
  each: boolean;
}

function parsePath(path: JsonPath): Step[] {
  return path.split('.').map((part) => (part.endsWith('[]') ? { key: part.slice(0, -2), each: true } : { key: part, each: false }));
}

/** JSON Merge Patch (RFC 7396): objects merge, `null` removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    // A JSON `__proto__` key is data, but assigning it would change the object's prototype.
    if (key === '__proto__') continue;
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Deletes the field at each path, in place (missing intermediate fields are fine). */
export function deletePaths(value: JsonObject, paths: readonly JsonPath[]): void {
  for (const path of paths) deleteSteps(value, parsePath(path));
}

function deleteSteps(node: unknown, steps: Step[]): void {
  const [step, ...rest] = steps;
  if (!step || !isJsonObject(node)) return;
  if (rest.length === 0 && !step.each) {
    delete node[step.key];
    return;
  }
  const child = node[step.key];
  if (step.each) {
    if (Array.isArray(child)) for (const item of child) deleteSteps(item, rest);
    return;
  }
  deleteSteps(child, rest);
}

/** Every value found at `path` (several when the path walks arrays); absent fields give none. */
export function readPath(value: unknown, path: JsonPath): unknown[] {
  let nodes: unknown[] = [value];
  for (const step of parsePath(path)) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (!isJsonObject(node) || !Object.prototype.hasOwnProperty.call(node, step.key)) continue;
      const child = node[step.key];
      if (step.each) {
        if (Array.isArray(child)) next.push(...child);
      } else next.push(child);
    }
    nodes = next;
  }
  return nodes.filter((v) => v !== undefined && v !== null);
}

/** A deep copy of `value` (a JSON object) without the fields at `paths`. */
export function withoutPaths(value: JsonObject | null | undefined, paths: readonly JsonPath[]): JsonObject {
  const copy: JsonObject = isJsonObject(value) ? structuredClone(value) : {};
  deletePaths(copy, paths);
  return copy;
}
