/**
 * Tokens cached per (identity object id, resource). A cached token is served while more than
 * min(5 min, 10 % of its lifetime) remains; once less than a further 10 % of its lifetime is left,
 * the first request to see it starts one background refresh and is still answered from the cache.
 * Misses are single-flight per key: N concurrent requests make one upstream call.
 *
 * Detach safety: the watched identity set pushes every change here synchronously; entries of
 * identities no longer assigned are dropped at once, and a fetch that completes after the change
 * is checked against the set again before it is cached or returned.
 */
import type { Clock } from '../core/clock.js';
import type { IdentitySet } from './identity-set.js';
import type { AgentLogger } from './logger.js';
import { isUpstreamError, UpstreamError, type AgentUpstream, type IdentitySelector, type UpstreamToken } from './upstream.js';

/** Never serve a token with less than this left (or 10 % of its lifetime, if smaller). */
export const SERVE_MARGIN_MS = 5 * 60_000;
/** After a failed background refresh, wait this long before trying again (the cached token is still good). */
const REFRESH_RETRY_MS = 10_000;

export interface TokenCache {
  /** The token for `selector` and `resource`: synchronously when cached and fresh, else a promise. Rejects with {@link UpstreamError}. */
  acquire(selector: IdentitySelector, resource: string): UpstreamToken | Promise<UpstreamToken>;
  /** Number of cached tokens. */
  size(): number;
}

export interface TokenCacheOptions {
  upstream: AgentUpstream;
  identities: IdentitySet;
  clock: Clock;
  logger: AgentLogger;
  /** Bound on cached tokens (resources are caller-chosen); the oldest entry goes first. Default 10 000. */
  maxEntries?: number;
}

interface Entry {
  token: UpstreamToken;
  objectId: string;
  staleAt: number;
  refreshAt: number;
  refreshing: boolean;
}

/** Identity not found: the only refusal message a caller sees for an unassigned identity. */
export function identityNotFound(): UpstreamError {
  return new UpstreamError('IdentityNotFound', 'Identity not found');
}

function selectorKey(selector: IdentitySelector): string {
  return selector.kind === 'system' ? 'system' : `${selector.kind}:${selector.value.toLowerCase()}`;
}

export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const { upstream, identities, clock, logger } = options;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<UpstreamToken>>();
  // Before the first watch answer, which object id a selector meant (learned from issued tokens).
  const aliases = new Map<string, string>();

  identities.onChange((assigned) => {
    aliases.clear();
    for (const [key, entry] of entries) if (!assigned.has(entry.objectId)) entries.delete(key);
  });

  function store(token: UpstreamToken, resource: string): void {
    const expiresAt = token.expiresOn * 1000;
    const lifetime = Math.max(0, expiresAt - Math.min(token.notBefore * 1000, clock.now()));
    const staleAt = expiresAt - Math.min(SERVE_MARGIN_MS, lifetime / 10);
    if (staleAt <= clock.now()) return;
    const objectId = token.objectId.toLowerCase();
    const key = `${objectId}\n${resource}`;
    entries.delete(key);
    entries.set(key, { token, objectId, staleAt, refreshAt: staleAt - lifetime / 10, refreshing: false });
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  }

  /** One upstream call per key at a time; the result is re-checked against the set before use. */
  function fetchOnce(flightKey: string, selector: IdentitySelector, resource: string, alias?: string): Promise<UpstreamToken> {
    const running = inflight.get(flightKey);
    if (running) return running;
    const call = upstream
      .getToken({ identity: selector, resource })
      .then((token) => {
        if (!identities.mayUse(token.objectId)) throw identityNotFound();
        if (alias) aliases.set(alias, token.objectId.toLowerCase());
        store(token, resource);
        return token;
      })
      .finally(() => inflight.delete(flightKey));
    inflight.set(flightKey, call);
    return call;
  }

  function refreshInBackground(key: string, entry: Entry, selector: IdentitySelector, resource: string): void {
    entry.refreshing = true;
    fetchOnce(key, selector, resource).catch((error: unknown) => {
      const code = isUpstreamError(error) ? error.code : 'Error';
      if (code === 'IdentityNotFound' || code === 'HostUnauthorized') entries.delete(key);
      entry.refreshing = false;
      entry.refreshAt = clock.now() + REFRESH_RETRY_MS;
      logger.warn({ code, objectId: entry.objectId }, 'background token refresh failed');
    });
  }

  return {
    acquire(selector, resource) {
      const resolution = identities.resolve(selector);
      if (resolution.state === 'not-assigned') return Promise.reject(identityNotFound());
      let objectId: string | undefined;
      let upstreamSelector = selector;
      if (resolution.state === 'assigned') {
        objectId = resolution.identity.objectId.toLowerCase();
        // Ask by the canonical id so that every selector of one identity shares a key and a flight.
        upstreamSelector = resolution.identity.system ? { kind: 'system' } : { kind: 'objectId', value: objectId };
      } else {
        objectId = aliases.get(selectorKey(selector));
      }
      if (objectId !== undefined) {
        const key = `${objectId}\n${resource}`;
        const entry = entries.get(key);
        const now = clock.now();
        if (entry && now < entry.staleAt) {
          if (now >= entry.refreshAt && !entry.refreshing) refreshInBackground(key, entry, upstreamSelector, resource);
          return entry.token;
        }
        if (entry) entries.delete(key);
        return fetchOnce(key, upstreamSelector, resource);
      }
      const alias = selectorKey(selector);
      return fetchOnce(`?${alias}\n${resource}`, upstreamSelector, resource, alias);
    },
    size: () => entries.size,
  };
}
