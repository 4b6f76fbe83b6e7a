/**
 * A short-lived cache of the directory reads on the token path (tenant, client principal, client
 * secrets). Issuing a client-credentials token reads these three on every request; they change
 * rarely, and the product's promise is that a change takes effect within a second everywhere.
 * So entries live at most `ttlMs` (default 1 s) — the same bound as role-assignment propagation —
 * and `invalidate()` drops everything at once for writes made on this server.
 * Only found records are kept: a client created a moment ago is never refused from cache.
 */
import type { Clock } from '../clock.js';
import type { ClientSecretRecord, ServicePrincipal, Tenant } from '../model.js';
import type { Repositories } from '../ports.js';

export type DirectoryReads = Pick<Repositories, 'tenants' | 'principals' | 'clientSecrets'>;

export interface DirectoryReadCache extends DirectoryReads {
  invalidate(): void;
}

interface Entry<T> {
  value: Promise<T>;
  expires: number;
}

/** Keeps at most this many entries per kind; a full map is simply cleared (the set is small in use). */
const MAX_ENTRIES = 10_000;

function memo<T>(clock: Clock, ttlMs: number, keep: (value: T) => boolean) {
  const entries = new Map<string, Entry<T>>();
  return {
    get(key: string, load: () => Promise<T>): Promise<T> {
      const now = clock.now();
      const hit = entries.get(key);
      if (hit && hit.expires > now) return hit.value;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      const value = load();
      entries.set(key, { value, expires: now + ttlMs });
      // Failures and unkept results (e.g. "not found") are not remembered.
      value.then(
        (v) => {
          if (!keep(v)) entries.delete(key);
        },
        () => entries.delete(key),
      );
      return value;
    },
    clear() {
      entries.clear();
    },
  };
}

export function createDirectoryReadCache(repos: DirectoryReads, options: { clock: Clock; ttlMs?: number }): DirectoryReadCache {
  const ttl = options.ttlMs ?? 1000;
  const tenants = memo<Tenant | undefined>(options.clock, ttl, (v) => v !== undefined);
  const principals = memo<ServicePrincipal | undefined>(options.clock, ttl, (v) => v !== undefined);
  const secrets = memo<ClientSecretRecord[]>(options.clock, ttl, () => true);
  return {
    tenants: { ...repos.tenants, get: (id) => tenants.get(id.toLowerCase(), () => repos.tenants.get(id)) },
    principals: {
      ...repos.principals,
      getByAppId: (tenantId, appId) => principals.get(`${tenantId}|${appId}`.toLowerCase(), () => repos.principals.getByAppId(tenantId, appId)),
    },
    clientSecrets: {
      ...repos.clientSecrets,
      listByApp: (tenantId, appId) => secrets.get(`${tenantId}|${appId}`.toLowerCase(), () => repos.clientSecrets.listByApp(tenantId, appId)),
    },
    invalidate() {
      tenants.clear();
      principals.clear();
      secrets.clear();
    },
  };
}
