/**
 * TEST upstream for the host agent: an in-process implementation of `AgentUpstream` standing in for
 * the Keyless server until the real one exists. It issues real RS256 JWTs (jose, a key generated
 * here, verifiable through `jwks`) with the managed-identity claims of azure-wire-contracts.md §3.1,
 * and holds the set of identities assigned to one host resource, which tests change at will; every
 * change answers pending `watchIdentities` long-polls at once, as the server promises to.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type CryptoKey } from 'jose';
import { systemClock, type Clock } from '../../src/core/clock.js';
import {
  UpstreamError,
  type AgentUpstream,
  type AssignedIdentity,
  type IdentitySelector,
  type IdentitySnapshot,
  type UpstreamErrorCode,
  type UpstreamToken,
} from '../../src/agent/upstream.js';

export const TEST_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const TEST_ISSUER = `https://keyless.test/${TEST_TENANT_ID}/v2.0`;
export const TEST_HOST_ID = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1';

export interface TestAgentUpstream extends AgentUpstream {
  jwks: JSONWebKeySet;
  /** The host's system-assigned identity (assigned at start). */
  system: AssignedIdentity;
  /** A new user-assigned identity (not assigned until `assign`). */
  newUserAssigned(name: string): AssignedIdentity;
  assign(identity: AssignedIdentity): void;
  /** Removes the identity from the host's set (detach, or delete of the identity). */
  detach(objectId: string): void;
  /** Every getToken call, in order. */
  calls: Array<{ identity: IdentitySelector; resource: string }>;
  /** Token lifetime in seconds (default 24 h, as Azure). */
  lifetimeSeconds: number;
  /** Delay before getToken answers (to hold concurrent misses in flight). */
  delayMs: number;
  /** When set, getToken rejects with this code. */
  failWith: UpstreamErrorCode | undefined;
  /** When set, watchIdentities rejects with this code. */
  watchFailWith: UpstreamErrorCode | undefined;
  /** performance.now() when the last change was handed to a pending watcher. */
  lastDeliveredAt: number | undefined;
  /** Rejects pending long-polls; call in `after`. */
  close(): void;
}

/** Audiences the test authority knows; others get `invalid_resource` (AADSTS500011). */
const KNOWN_RESOURCE = /^(https:\/\/(management\.azure\.com|vault\.azure\.net|storage\.azure\.com|graph\.microsoft\.com)\/?|api:\/\/.+)$/i;

export async function createTestAgentUpstream(options: { clock?: Clock; watchTimeoutMs?: number } = {}): Promise<TestAgentUpstream> {
  const clock = options.clock ?? systemClock;
  const watchTimeoutMs = options.watchTimeoutMs ?? 20_000;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const key: CryptoKey = privateKey;
  const system: AssignedIdentity = { clientId: randomUUID(), objectId: randomUUID(), resourceId: TEST_HOST_ID, system: true };
  let assigned: AssignedIdentity[] = [system];
  let version = 1;
  const waiters = new Set<() => void>();

  function snapshot(): IdentitySnapshot {
    return { version: String(version), identities: assigned.map((i) => ({ ...i })) };
  }
  function changed(): void {
    version += 1;
    for (const wake of [...waiters]) wake();
  }
  function find(selector: IdentitySelector): AssignedIdentity | undefined {
    if (selector.kind === 'system') return assigned.find((i) => i.system);
    const field = selector.kind;
    return assigned.find((i) => i[field].toLowerCase() === selector.value.toLowerCase());
  }

  const upstream: TestAgentUpstream = {
    jwks: { keys: [jwk] },
    system,
    calls: [],
    lifetimeSeconds: 24 * 3600,
    delayMs: 0,
    failWith: undefined,
    watchFailWith: undefined,
    lastDeliveredAt: undefined,
    newUserAssigned: (name) => ({
      clientId: randomUUID(),
      objectId: randomUUID(),
      resourceId: `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
      system: false,
    }),
    assign(identity) {
      assigned = [...assigned.filter((i) => i.objectId !== identity.objectId), identity];
      changed();
    },
    detach(objectId) {
      assigned = assigned.filter((i) => i.objectId !== objectId);
      changed();
    },

    async getToken({ identity: selector, resource }): Promise<UpstreamToken> {
      upstream.calls.push({ identity: selector, resource });
      if (upstream.failWith) throw new UpstreamError(upstream.failWith, upstream.failWith === 'InvalidResource' ? 'AADSTS500011: test' : 'test failure');
      // The server decides when the request arrives; `delayMs` then holds the answer in transit, so a
      // token issued just before a detach can reach the agent after the watch reported it.
      const identity = find(selector);
      if (!identity) throw new UpstreamError('IdentityNotFound', 'Identity not found');
      if (upstream.delayMs > 0) await new Promise((done) => setTimeout(done, upstream.delayMs));
      if (!KNOWN_RESOURCE.test(resource)) {
        throw new UpstreamError(
          'InvalidResource',
          `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${TEST_TENANT_ID}.`,
        );
      }
      const now = Math.floor(clock.now() / 1000);
      const expiresOn = now + upstream.lifetimeSeconds;
      const accessToken = await new SignJWT({
        oid: identity.objectId,
        appid: identity.clientId,
        tid: TEST_TENANT_ID,
        xms_mirid: identity.resourceId,
        idtyp: 'app',
        azpacr: '2',
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(TEST_ISSUER)
        .setAudience(resource)
        .setSubject(identity.objectId)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(expiresOn)
        .sign(key);
      return { accessToken, expiresOn, notBefore: now, clientId: identity.clientId, objectId: identity.objectId, identityResourceId: identity.resourceId };
    },

    watchIdentities(since, signal) {
      if (upstream.watchFailWith) return Promise.reject(new UpstreamError(upstream.watchFailWith, 'test watch failure'));
      if (since !== String(version)) {
        if (since !== undefined) upstream.lastDeliveredAt = performance.now();
        return Promise.resolve(snapshot());
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(() => resolve(snapshot())), watchTimeoutMs);
        const onAbort = () => finish(() => reject(new Error('aborted')));
        const wake = () =>
          finish(() => {
            upstream.lastDeliveredAt = performance.now();
            resolve(snapshot());
          });
        function finish(settle: () => void) {
          clearTimeout(timer);
          waiters.delete(wake);
          signal.removeEventListener('abort', onAbort);
          settle();
        }
        waiters.add(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    close() {
      for (const wake of [...waiters]) wake();
    },
  };
  return upstream;
}
