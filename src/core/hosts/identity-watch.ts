/**
 * What a host agent long-polls: the identities its resource holds now, with a version that changes
 * whenever that set changes. Writes on this server wake waiters at once through the notifier; a
 * cheap poll (default every 200 ms) is the baseline that also sees writes made by other servers
 * sharing the database, so a detach reaches the agent well within the 1 s the agent promises.
 */
import { createHash } from 'node:crypto';
import type { HeldIdentity } from '../identities/stored-identity.js';
import type { HostTypes } from './host-types.js';
import type { ResourceRecord } from '../model.js';
import type { PrincipalRepository, ResourceRepository } from '../ports.js';

/** One identity as the agent sees it (`AssignedIdentity` of src/agent/upstream.ts). */
export interface WatchedIdentity {
  clientId: string;
  objectId: string;
  resourceId: string;
  system: boolean;
}

export interface WatchedSnapshot {
  version: string;
  identities: WatchedIdentity[];
}

/** In-process signal that identities of resources may have changed; writers call `notify`. */
export interface IdentityChangeNotifier {
  /** Wakes every waiter (cheap: each re-reads its own resource). */
  notify(): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export function createIdentityChangeNotifier(): IdentityChangeNotifier {
  const listeners = new Set<() => void>();
  return {
    notify() {
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/** The snapshot of a set of held identities: sorted, with a version that is a hash of the set. */
export function snapshotOf(held: readonly HeldIdentity[]): WatchedSnapshot {
  const identities = held
    .map((h) => ({ clientId: h.principal.appId, objectId: h.principal.objectId, resourceId: h.resourceId, system: h.system }))
    .sort((a, b) => a.objectId.localeCompare(b.objectId));
  const text = identities.map((i) => `${i.objectId.toLowerCase()}|${i.clientId.toLowerCase()}|${i.resourceId.toLowerCase()}|${i.system}`).join('\n');
  return { version: createHash('sha256').update(text).digest('base64url').slice(0, 22), identities };
}

export interface IdentityWatchDeps {
  principals: Pick<PrincipalRepository, 'getByResourceId'>;
  resources: Pick<ResourceRepository, 'get'>;
  /** Which identities of a host its workloads may use (declared by the providers). */
  hostTypes: Pick<HostTypes, 'usable'>;
  notifier: IdentityChangeNotifier;
  /** Baseline poll interval, ms. Default 200. */
  pollMs?: number;
}

export interface WaitOptions {
  /** Answer with the unchanged snapshot after this long, ms. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface IdentityWatch {
  /**
   * Resolves with the snapshot as soon as its version differs from `since` (at once when it already
   * does), or with the same version after `timeoutMs`; resolves undefined as soon as `load` finds the
   * host resource gone.
   */
  wait(load: () => Promise<ResourceRecord | undefined>, since: string | undefined, options: WaitOptions): Promise<WatchedSnapshot | undefined>;
}

export function createIdentityWatch(deps: IdentityWatchDeps): IdentityWatch {
  const pollMs = deps.pollMs ?? 200;

  async function read(load: () => Promise<ResourceRecord | undefined>): Promise<WatchedSnapshot | undefined> {
    const resource = await load();
    return resource && snapshotOf(await deps.hostTypes.usable(resource, deps));
  }

  return {
    async wait(load, since, options) {
      const deadline = Date.now() + options.timeoutMs;
      for (;;) {
        const snapshot = await read(load);
        if (!snapshot || snapshot.version !== since || options.signal?.aborted) return snapshot;
        const left = deadline - Date.now();
        if (left <= 0) return snapshot;
        await nextTick(Math.min(pollMs, left), deps.notifier, options.signal);
      }
    },
  };
}

/** Waits `ms`, or less when the notifier fires or the signal aborts. */
function nextTick(ms: number, notifier: IdentityChangeNotifier, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    const finish = () => {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', finish);
      done();
    };
    const timer = setTimeout(finish, ms);
    const unsubscribe = notifier.subscribe(finish);
    signal?.addEventListener('abort', finish, { once: true });
  });
}
