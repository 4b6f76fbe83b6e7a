/**
 * Dot segments in request paths (`/a/../b`, `/a/%2e%2e/b`, `/a/./b`) are resolved before anything
 * routes the request, as Azure's front ends do: HTTP.sys canonicalizes the URL before the
 * application sees it (it resolves `..` and turns `\` into `/`: Microsoft KB 896287), and ASP.NET
 * Core's servers remove dot segments after percent-decoding (Kestrel's PathNormalizer,
 * RFC 3986 §5.2.4). Every SDK's URL class resolves them on the client already (WHATWG URL also
 * reads `%2e` as a dot and `\` as `/`), so a raw socket and an SDK now reach the same surface.
 *
 * The path never climbs above its root (`/../x` is `/x`), and this runs before the host-style data
 * plane rewrite, so a request to `{account}.blob.<suffix>` cannot climb out of its account. The
 * surface that routes the resolved path is the one that authorizes it: a dot segment borrows nothing
 * from the prefix it was written under.
 */
import type { IncomingMessage } from 'node:http';

/** A `.` or `..` segment, raw or percent-encoded, or a backslash: the cheap test on every request. */
const NEEDS_WORK = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|\\/i;

/**
 * The request target with its path's dot segments resolved (and `\` read as `/`), or undefined
 * when there is nothing to resolve. Only origin-form targets (`/…`) are touched; the query is kept
 * as sent.
 */
export function resolveDotSegments(url: string): string | undefined {
  if (!url.startsWith('/')) return undefined;
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  if (!NEEDS_WORK.test(rawPath)) return undefined;
  const segments = rawPath.replace(/\\/g, '/').split('/').slice(1);
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const dots = segment.length <= 6 ? segment.replace(/%2e/gi, '.') : segment;
    if (dots === '.' || dots === '..') {
      if (dots === '..') out.pop();
      // A dot segment at the end leaves the directory it names: `/a/b/..` is `/a/`.
      if (i === segments.length - 1) out.push('');
      continue;
    }
    out.push(segment);
  }
  return `/${out.join('/')}${q < 0 ? '' : url.slice(q)}`;
}

/**
 * A `request` listener that resolves the URL in place. The resolved URL is the one every surface sees
 * (a Shared Key signature too: clients sign the URL they send, which their URL class already resolved).
 */
export function resolveRequestDotSegments(request: IncomingMessage): void {
  if (request.url === undefined) return;
  const resolved = resolveDotSegments(request.url);
  if (resolved !== undefined) request.url = resolved;
}
