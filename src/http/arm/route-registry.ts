/**
 * The registry of ARM routes and the matcher over path segments. Providers add routes; the dispatcher
 * asks for the route of a method and path and gets either a match or the ARM error to answer with.
 */
import { ArmError } from './arm-error.js';
import type { ArmMethod, ArmProvider, ArmRoute } from './route.js';

type Token = { kind: 'literal'; lower: string } | { kind: 'param'; name: string } | { kind: 'rest'; name: string };

interface CompiledRoute {
  route: ArmRoute<any>;
  tokens: Token[];
  /** Literal segments: the more, the more specific. */
  literals: number;
}

export interface RouteMatch {
  route: ArmRoute<any>;
  params: Record<string, string>;
}

export interface ArmRouteRegistry {
  add(provider: ArmProvider): void;
  /** The route for `method` on `segments`, or throws the ARM error for an unknown route or method. */
  match(method: string, segments: readonly string[]): RouteMatch;
  /** Every registered route (for documentation and RBAC tooling). */
  routes(): readonly ArmRoute<any>[];
}

function compile(path: string): Token[] {
  const tokens = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s): Token => {
      const m = /^\{(\*?)(\w+)\}$/.exec(s);
      if (!m) return { kind: 'literal', lower: s.toLowerCase() };
      return m[1] ? { kind: 'rest', name: m[2]! } : { kind: 'param', name: m[2]! };
    });
  if (tokens.filter((t) => t.kind === 'rest').length > 1) throw new Error(`route ${path}: at most one {*name} segment`);
  return tokens;
}

/** Matches tokens against segments; `{*name}` takes as few segments as let the rest match. */
function matchTokens(tokens: readonly Token[], segments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const go = (t: number, s: number): boolean => {
    if (t === tokens.length) return s === segments.length;
    const token = tokens[t]!;
    if (token.kind === 'rest') {
      for (let end = s; end <= segments.length; end++) {
        if (go(t + 1, end)) {
          params[token.name] = '/' + segments.slice(s, end).join('/');
          return true;
        }
      }
      return false;
    }
    const segment = segments[s];
    if (segment === undefined) return false;
    if (token.kind === 'literal' && segment.toLowerCase() !== token.lower) return false;
    if (token.kind === 'param') params[token.name] = segment;
    return go(t + 1, s + 1);
  };
  return go(0, 0) ? params : undefined;
}

export function createArmRouteRegistry(): ArmRouteRegistry {
  const compiled: CompiledRoute[] = [];
  /** Registered namespaces by lower-cased name, keeping the case they were declared with. */
  const namespaces = new Map<string, string>();

  function unknownRoute(method: string, segments: readonly string[]): ArmError {
    const path = '/' + segments.join('/');
    // ARM answers a path under an unregistered provider namespace with NoRegisteredProviderFound.
    for (let i = segments.length - 2; i >= 0; i--) {
      if (segments[i]!.toLowerCase() !== 'providers') continue;
      const namespace = segments[i + 1]!;
      if (!namespaces.has(namespace.toLowerCase())) {
        return new ArmError(
          400,
          'NoRegisteredProviderFound',
          `No registered resource provider found for namespace '${namespace}'. The registered namespaces are '${[...namespaces.values()].sort().join(', ')}'.`,
        );
      }
      break;
    }
    return new ArmError(404, 'InvalidRoute', `The request '${method} ${path}' does not match any ARM route of this server.`);
  }

  return {
    add(provider) {
      for (const route of provider.routes) {
        const tokens = compile(route.path);
        compiled.push({ route, tokens, literals: tokens.filter((t) => t.kind === 'literal').length });
        tokens.forEach((t, i) => {
          const next = tokens[i + 1];
          if (t.kind === 'literal' && t.lower === 'providers' && next?.kind === 'literal' && !namespaces.has(next.lower)) {
            namespaces.set(
              next.lower,
              route.path.split('/').find((s) => s.toLowerCase() === next.lower)!,
            );
          }
        });
      }
      namespaces.set(provider.namespace.toLowerCase(), provider.namespace);
    },
    match(method, segments) {
      const hits = compiled
        .map((c) => ({ c, params: matchTokens(c.tokens, segments) }))
        .filter((h): h is { c: CompiledRoute; params: Record<string, string> } => h.params !== undefined);
      if (hits.length === 0) throw unknownRoute(method, segments);
      const forMethod = hits.filter((h) => h.c.route.method === method).sort((a, b) => b.c.literals - a.c.literals);
      const best = forMethod[0];
      if (!best) {
        const allowed = [...new Set(hits.map((h) => h.c.route.method))].sort().join(', ');
        throw new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'. Supported methods: ${allowed}.`, {
          allow: allowed,
        });
      }
      return { route: best.c.route, params: best.params };
    },
    routes: () => compiled.map((c) => c.route),
  };
}

/** True when `method` is one the ARM surface serves. */
export function isArmMethod(method: string): method is ArmMethod {
  return method === 'GET' || method === 'HEAD' || method === 'PUT' || method === 'PATCH' || method === 'DELETE' || method === 'POST';
}
