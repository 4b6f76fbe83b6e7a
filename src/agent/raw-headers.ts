/**
 * Request headers read straight from `rawHeaders`. node:http builds `req.headers` lazily, on first
 * access; the agent's hot path needs two or three headers, and scanning the raw pairs for them costs
 * less than building the whole object on every cached-token request.
 */

/**
 * The value of header `name` (lower case), or undefined when absent. A header sent more than once
 * yields the values joined with ', ', as `req.headers` gives them for such headers; so a repeated
 * `Metadata: true` is not `true`, as before.
 */
export function headerValue(raw: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) found = found === undefined ? raw[i + 1]! : `${found}, ${raw[i + 1]!}`;
  }
  return found;
}

/** True when any of the lower-case `names` was sent. */
export function hasAnyHeader(raw: readonly string[], names: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    for (const name of names) if (key.length === name.length && key.toLowerCase() === name) return true;
  }
  return false;
}
