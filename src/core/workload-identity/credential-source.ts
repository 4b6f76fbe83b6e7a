/**
 * Where the client-assertion authenticator finds a client's federated credentials: a user-assigned
 * identity's child resources (ARM), or an application's (Graph). Reads go through a cache of at most
 * `ttlMs` (1 s, the bound the product promises for every change) that writes on this server drop at
 * once (`invalidate`), so deleting a credential or its identity stops new exchanges within a second.
 */
import type { Clock } from '../clock.js';
import type { ServicePrincipal } from '../model.js';
import type { Repositories } from '../ports.js';
import type { FederatedCredential } from './federated-credentials.js';
import { listIdentityCredentials } from './identity-credentials.js';

/** An application's federated credentials (Graph), by application object id. */
export interface AppFederatedCredentialReader {
  listForApp(tenantId: string, appId: string): Promise<FederatedCredential[]>;
}

export interface FederatedCredentialSource {
  credentialsOf(principal: ServicePrincipal): Promise<FederatedCredential[]>;
  invalidate(): void;
}

const MAX_ENTRIES = 10_000;

export function createFederatedCredentialSource(deps: {
  repos: Pick<Repositories, 'resources'>;
  /** Applications' credentials; absent: applications have none. */
  apps?: AppFederatedCredentialReader;
  clock: Clock;
  ttlMs?: number;
}): FederatedCredentialSource {
  const ttl = deps.ttlMs ?? 1000;
  const entries = new Map<string, { value: Promise<FederatedCredential[]>; expires: number }>();

  function load(principal: ServicePrincipal): Promise<FederatedCredential[]> {
    if (principal.kind === 'ManagedIdentity') {
      return principal.resourceId ? listIdentityCredentials(deps.repos.resources, principal.resourceId) : Promise.resolve([]);
    }
    return deps.apps ? deps.apps.listForApp(principal.tenantId, principal.appId) : Promise.resolve([]);
  }

  return {
    credentialsOf(principal) {
      const key = `${principal.tenantId}|${principal.objectId}`.toLowerCase();
      const now = deps.clock.now();
      const hit = entries.get(key);
      if (hit && hit.expires > now) return hit.value;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      const value = load(principal);
      entries.set(key, { value, expires: now + ttl });
      value.catch(() => entries.delete(key));
      return value;
    },
    invalidate() {
      entries.clear();
    },
  };
}
