/**
 * The set of identities assigned to the host resource, kept current by a long-poll on the server.
 * Selectors are resolved here first so that a request for an identity the agent knows is not
 * assigned is refused locally, without an upstream call; and every change is pushed synchronously
 * to listeners (the token cache) so that a detached identity's tokens are gone before the next request.
 */
import type { AgentLogger } from './logger.js';
import { isUpstreamError, type AgentUpstream, type AssignedIdentity, type IdentitySelector, type IdentitySnapshot } from './upstream.js';

/** The outcome of resolving a selector against the watched set. */
export type Resolution =
  | { state: 'assigned'; identity: AssignedIdentity }
  | { state: 'not-assigned' }
  /** The set is not known yet (no watch answer so far): ask the server. */
  | { state: 'unknown' };

export interface IdentitySet {
  /** Resolves `selector` against the current set; case-insensitive on every id (MSAL lower-cases IMDS URLs). */
  resolve(selector: IdentitySelector): Resolution;
  /** False only when the set is known and the object id is not in it. */
  mayUse(objectId: string): boolean;
  /** Calls `listener` synchronously after every change of the set. */
  onChange(listener: (set: ReadonlySet<string>) => void): void;
  /** Starts the long-poll loop. */
  start(): void;
  /** Stops the loop and waits for it to end. */
  stop(): Promise<void>;
  /** Resolves once the first snapshot is known (or when stopped). */
  ready(): Promise<void>;
  /** The version of the current snapshot, if any. */
  version(): string | undefined;
}

export interface IdentitySetOptions {
  upstream: AgentUpstream;
  logger: AgentLogger;
  /** Delay before retrying a failed watch; grows to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

interface Indexed {
  system: AssignedIdentity | undefined;
  byClientId: Map<string, AssignedIdentity>;
  byObjectId: Map<string, AssignedIdentity>;
  byResourceId: Map<string, AssignedIdentity>;
}

function indexSnapshot(identities: AssignedIdentity[]): Indexed {
  const indexed: Indexed = { system: undefined, byClientId: new Map(), byObjectId: new Map(), byResourceId: new Map() };
  for (const identity of identities) {
    if (identity.system) indexed.system = identity;
    indexed.byClientId.set(identity.clientId.toLowerCase(), identity);
    indexed.byObjectId.set(identity.objectId.toLowerCase(), identity);
    indexed.byResourceId.set(identity.resourceId.toLowerCase(), identity);
  }
  return indexed;
}

function lookup(indexed: Indexed, selector: IdentitySelector): AssignedIdentity | undefined {
  switch (selector.kind) {
    case 'system':
      return indexed.system;
    case 'clientId':
      return indexed.byClientId.get(selector.value.toLowerCase());
    case 'objectId':
      return indexed.byObjectId.get(selector.value.toLowerCase());
    case 'resourceId':
      return indexed.byResourceId.get(selector.value.toLowerCase());
  }
}

/** The set a host holds once its credential is refused. */
const REVOKED: IdentitySnapshot = { version: 'keyless:host-revoked', identities: [] };

/** Creates the watched identity set; call `start()` to begin watching. */
export function createIdentitySet(options: IdentitySetOptions): IdentitySet {
  const { upstream, logger } = options;
  const retryMs = options.retryMs ?? 250;
  const maxRetryMs = options.maxRetryMs ?? 5000;
  let current: { version: string; indexed: Indexed } | undefined;
  const listeners: Array<(set: ReadonlySet<string>) => void> = [];
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let markReady: () => void = () => {};
  const readyPromise = new Promise<void>((done) => {
    markReady = done;
  });

  function apply(snapshot: IdentitySnapshot): void {
    if (current && current.version === snapshot.version) return;
    const indexed = indexSnapshot(snapshot.identities);
    current = { version: snapshot.version, indexed };
    logger.info({ version: snapshot.version, identities: snapshot.identities.length }, 'assigned identities changed');
    const objectIds = new Set(indexed.byObjectId.keys());
    for (const listener of listeners) listener(objectIds);
    markReady();
  }

  async function run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        apply(await upstream.watchIdentities(current?.version, signal));
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        // A refused host credential means the host resource is gone or revoked: it holds no identity any more.
        if (isUpstreamError(error) && error.code === 'HostUnauthorized') apply(REVOKED);
        logger.warn({ code: isUpstreamError(error) ? error.code : 'Error', failures }, 'watching assigned identities failed; retrying');
        await sleep(Math.min(maxRetryMs, retryMs * 2 ** Math.min(failures - 1, 10)), signal);
      }
    }
  }

  return {
    resolve(selector) {
      if (!current) return { state: 'unknown' };
      const identity = lookup(current.indexed, selector);
      return identity ? { state: 'assigned', identity } : { state: 'not-assigned' };
    },
    mayUse(objectId) {
      return !current || current.indexed.byObjectId.has(objectId.toLowerCase());
    },
    onChange(listener) {
      listeners.push(listener);
    },
    start() {
      if (loop) return;
      controller = new AbortController();
      loop = run(controller.signal);
    },
    async stop() {
      controller?.abort();
      await loop;
      loop = undefined;
      markReady();
    },
    ready: () => readyPromise,
    version: () => current?.version,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}
