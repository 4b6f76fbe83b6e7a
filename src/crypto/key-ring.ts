/**
 * The signing keys in memory: loaded from the SigningKeyRepository, completed with the keys the
 * rotation plan asks for, published as a JWKS in Entra's shape, and refreshed on a timer so that a
 * key activates on time and several servers sharing a database converge on the same keys.
 *
 * Keys live in the store, so tokens signed before a restart still validate after it.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';
import { DomainError, isDomainError } from '../core/errors.js';
import { planForcedRotation, planKeyRotation, type KeyWindow, type RotationPlan, type RotationPolicy } from '../core/keys/rotation.js';
import type { SigningKeyRecord } from '../core/model.js';
import type { Store } from '../core/ports.js';
import { generateSigningKey } from './signing-keys.js';

/** One key of a JWKS, as Entra publishes it (azure-wire-contracts §3.2). */
export interface PublishedJwk {
  kty: 'RSA';
  use: 'sig';
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
  issuer?: string;
}

export interface JwksDocument {
  keys: PublishedJwk[];
}

export interface KeyRingDeps {
  store: Pick<Store, 'signingKeys' | 'transaction'>;
  clock: Clock;
  policy: RotationPolicy;
  /** How often to re-read the store even when nothing is due, ms (default 5 minutes). */
  refreshIntervalMs?: number;
  /** Key generator (tests may pass a cheaper one). */
  generate?: (window: KeyWindow & { now: number }) => Promise<SigningKeyRecord>;
  /** Seals private keys before they are stored and opens them after reading (src/crypto/key-sealing.ts). */
  sealing?: { seal(privateKeyPem: string): string; open(stored: string): string };
  /** Reports failures of background refreshes (which keep the keys already loaded). */
  onError?: (error: unknown) => void;
}

export interface KeyRing {
  /** Loads keys, creating missing ones; then refreshes in the background until {@link KeyRing.stop}. */
  start(): Promise<void>;
  /** Re-reads the store and creates what the plan asks for. */
  refresh(): Promise<void>;
  stop(): void;
  /** The key that signs new tokens. Throws before {@link KeyRing.start}. */
  current(): SigningKeyRecord;
  /** Public key of a published key, for verification. */
  publicKey(kid: string): KeyObject | undefined;
  /** The published keys (previous, current, next) in Entra's JWKS shape. */
  jwks(options?: { issuer?: string }): JwksDocument;
  /** The roles as last planned (for diagnostics and tests). */
  roles(): Pick<RotationPlan, 'previous' | 'current' | 'next'>;
  /** Called with the new current key whenever it changes; returns an unsubscribe function. */
  onCurrentKeyChange(listener: (key: SigningKeyRecord) => void): () => void;
}

/** Prefix of the `meta` entries through which servers claim a rotation slot. */
export const SLOT_CLAIM_PREFIX = 'signing-key-slot:';

interface LoadedKey {
  record: SigningKeyRecord;
  publicKey: KeyObject;
  jwk: PublishedJwk;
}

export function createKeyRing(deps: KeyRingDeps): KeyRing {
  const generate = deps.generate ?? ((w) => generateSigningKey(w));
  const refreshIntervalMs = deps.refreshIntervalMs ?? 5 * 60_000;
  const listeners = new Set<(key: SigningKeyRecord) => void>();
  let loaded = new Map<string, LoadedKey>();
  let plan: RotationPlan | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let inFlight: Promise<void> | undefined;

  async function createKey(window: KeyWindow): Promise<void> {
    const key = await generate({ ...window, now: deps.clock.now() });
    const slot = SLOT_CLAIM_PREFIX + isoTime(window.activatesAt);
    try {
      // One key per slot even when several servers plan it at once: the first claim wins, in the
      // same transaction as the insert. A claim whose key is gone (deleted by hand) is taken over.
      await deps.store.transaction(async (tx) => {
        const claimed = await tx.meta.putIfAbsent(slot, key.kid);
        if (claimed !== key.kid) {
          const stored = await tx.signingKeys.list();
          if (stored.some((k) => k.kid === claimed)) return;
          await tx.meta.put(slot, key.kid);
        }
        await tx.signingKeys.insert(deps.sealing ? { ...key, privateKeyPem: deps.sealing.seal(key.privateKeyPem) } : key);
      });
    } catch (error) {
      if (!(isDomainError(error) && error.code === 'Conflict')) throw error;
    }
  }

  const readKeys = async (): Promise<SigningKeyRecord[]> => {
    const stored = await deps.store.signingKeys.list();
    const sealing = deps.sealing;
    return sealing ? stored.map((k) => ({ ...k, privateKeyPem: sealing.open(k.privateKeyPem) })) : stored;
  };

  async function load(): Promise<void> {
    let records = await readKeys();
    let next = planKeyRotation(records, deps.clock.now(), deps.policy);
    if (next.create.length > 0) {
      for (const window of next.create) await createKey(window);
      records = await readKeys();
      next = planKeyRotation(records, deps.clock.now(), deps.policy);
      if (!next.current) throw new Error('no signing key could be loaded or created');
    }
    if (next.expired.length > 0) await deps.store.signingKeys.deleteExpired(isoTime(deps.clock.now()));
    const previousKid = plan?.current?.kid;
    loaded = new Map(next.published.map((r) => [r.kid, loaded.get(r.kid) ?? loadKey(r)]));
    plan = next;
    if (next.current && next.current.kid !== previousKid) for (const listener of listeners) listener(next.current);
  }

  function refresh(): Promise<void> {
    // Concurrent callers share one refresh.
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function schedule(): void {
    if (stopped) return;
    const due = plan ? plan.nextChangeAt - deps.clock.now() : refreshIntervalMs;
    timer = setTimeout(
      () => {
        refresh()
          .catch((e: unknown) => deps.onError?.(e))
          .finally(schedule);
      },
      Math.max(1000, Math.min(refreshIntervalMs, due)),
    );
    timer.unref();
  }

  return {
    async start() {
      await refresh();
      stopped = false;
      schedule();
    },
    refresh,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    current() {
      if (!plan?.current) throw new Error('the key ring is not started');
      return plan.current;
    },
    publicKey: (kid) => loaded.get(kid)?.publicKey,
    jwks(options = {}) {
      const keys = [...loaded.values()].map((k) => (options.issuer ? { ...k.jwk, issuer: options.issuer } : k.jwk));
      return { keys };
    },
    roles: () => ({ previous: plan?.previous, current: plan?.current, next: plan?.next }),
    onCurrentKeyChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

function loadKey(record: SigningKeyRecord): LoadedKey {
  const der = Buffer.from(record.certificateDer, 'base64');
  const publicKey = new X509Certificate(der).publicKey;
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    record,
    publicKey,
    jwk: { kty: 'RSA', use: 'sig', kid: record.kid, x5t: record.kid, n: String(jwk.n), e: String(jwk.e), x5c: [record.certificateDer] },
  };
}

/** What {@link rotateSigningKeys} did, by kid. */
export interface RotationReport {
  /** The key that signs from now on (it was published as next). */
  current: string;
  /** The key that stopped signing; still published until its tokens have expired. */
  retired?: string;
  /** The new next key, published now, signing one period later. */
  next: string;
}

/**
 * An operator's rotation (`keyless keys rotate`): the published next key starts signing now and a new
 * next key is stored, in one transaction (src/core/keys/rotation.ts, planForcedRotation). Running
 * servers take the change on their next key refresh (`KEYLESS_KEY_REFRESH`); until then they keep
 * signing with the retired key, which every server still publishes, so no token fails to verify.
 */
export async function rotateSigningKeys(deps: Pick<KeyRingDeps, 'store' | 'clock' | 'policy' | 'generate' | 'sealing'>): Promise<RotationReport> {
  const generate = deps.generate ?? ((w) => generateSigningKey(w));
  return deps.store.transaction(async (tx) => {
    const now = deps.clock.now();
    const forced = planForcedRotation(await tx.signingKeys.list(), now, deps.policy);
    if (!forced) throw new DomainError('Conflict', 'There is no published next key to promote: start a Keyless server on this database first.');
    const key = await generate({ ...forced.create, now });
    const claimed = await tx.meta.putIfAbsent(SLOT_CLAIM_PREFIX + isoTime(forced.create.activatesAt), key.kid);
    if (claimed !== key.kid) throw new DomainError('Conflict', 'Another rotation of the signing keys is under way; try again.');
    await tx.signingKeys.setActivation(forced.promote.kid, isoTime(forced.promote.activatesAt));
    await tx.signingKeys.insert(deps.sealing ? { ...key, privateKeyPem: deps.sealing.seal(key.privateKeyPem) } : key);
    return { current: forced.promote.kid, ...(forced.retiring ? { retired: forced.retiring } : {}), next: key.kid };
  });
}
