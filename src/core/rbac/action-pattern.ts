/**
 * Action patterns as Azure RBAC writes them: `Microsoft.Storage/storageAccounts/*`, `*\/read`, `*`.
 * Matching is case-insensitive and `*` stands for any run of characters, `/` included
 * (docs: "Azure resource provider operations", wildcard permissions).
 */

/**
 * Pattern text as a regular expression source. A `/*\/` in the middle also matches a single `/`:
 * Managed Identity Operator's `userAssignedIdentities/*\/assign/action` grants
 * `userAssignedIdentities/assign/action`, the action ARM checks when an identity is attached.
 */
function patternSource(lower: string): string {
  const escaped = lower
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('\u0000');
  return escaped.replace(/\/\u0000\//g, '/(?:.*/)?').replace(/\u0000/g, '.*');
}

/** A compiled pattern: true when the action matches. */
export type ActionMatcher = (actionLower: string) => boolean;

/** Compiles one pattern; `*` alone matches everything without a regular expression. */
export function compileActionPattern(pattern: string): ActionMatcher {
  const lower = pattern.toLowerCase();
  if (lower === '*') return () => true;
  if (!lower.includes('*')) return (a) => a === lower;
  const re = new RegExp(`^${patternSource(lower)}$`, 's');
  return (a) => re.test(a);
}

/** True when `action` matches `pattern` (case-insensitive, `*` wildcards). */
export function actionMatches(pattern: string, action: string): boolean {
  return compileActionPattern(pattern)(action.toLowerCase());
}

/**
 * True when every action `inner` can match is also matched by `outer` (`Microsoft.Network/*` covers
 * `Microsoft.Network/dnsZones/*`; `*\/read` does not cover `*`). Sound: it reads `inner` literally,
 * its stars as plain characters, and asks whether `outer` matches that text.
 */
export function patternCovers(outer: string, inner: string): boolean {
  const o = outer.toLowerCase();
  const i = inner.toLowerCase();
  if (o === '*') return true;
  return new RegExp(`^${patternSource(o)}$`, 's').test(i);
}

/** True when some action matches both patterns (glob intersection, also with `/*\/` read as `/`). */
export function patternsIntersect(a: string, b: string): boolean {
  const collapse = (p: string) => p.replace(/\/\*\//g, '/');
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return globsIntersect(x, y) || globsIntersect(collapse(x), y) || globsIntersect(x, collapse(y)) || globsIntersect(collapse(x), collapse(y));
}

function globsIntersect(x: string, y: string): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * 4096 + j;
    const seen = memo.get(key);
    if (seen !== undefined) return seen;
    let result: boolean;
    if (i === x.length && j === y.length) result = true;
    else if (x[i] === '*') result = go(i + 1, j) || (j < y.length && go(i, j + 1));
    else if (y[j] === '*') result = go(i, j + 1) || (i < x.length && go(i + 1, j));
    else result = i < x.length && j < y.length && x[i] === y[j] && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** Actions are `Namespace/…` paths or `*`; anything else is refused when a role is written. */
export function isValidActionPattern(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 512 && /^[A-Za-z0-9*][A-Za-z0-9.*/_-]*$/.test(pattern);
}
