/**
 * Signing-key rotation, planned without I/O. Entra publishes several keys at once and rolls them
 * over so that relying parties that cache the JWKS never meet an unknown `kid`; Keyless does the
 * same with three roles derived only from the stored times:
 *
 * - **current** signs new tokens;
 * - **next** is already published, a full period before it starts signing, so caches pick it up;
 * - **previous** stays published until every token it signed has expired.
 *
 * Activation times are aligned on multiples of the period since the Unix epoch, so every server
 * sharing one database proposes the same slot for a missing key (the key ring then lets only one
 * of them store it).
 */
import type { SigningKeyRecord } from '../model.js';

export interface RotationPolicy {
  /** How long a key stays current, seconds. */
  periodSeconds: number;
  /** The longest lifetime of a token signed by any key, seconds. */
  maxTokenLifetimeSeconds: number;
}

/** The time window of a key to create (ms since epoch). */
export interface KeyWindow {
  activatesAt: number;
  expiresAt: number;
}

export interface RotationPlan {
  previous?: SigningKeyRecord;
  current?: SigningKeyRecord;
  next?: SigningKeyRecord;
  /** Every key still published (not expired), oldest activation first. */
  published: SigningKeyRecord[];
  /** Keys whose publication has ended: they can be deleted. */
  expired: SigningKeyRecord[];
  /** Keys to create, current slot first. Empty when previous/current/next are all in place. */
  create: KeyWindow[];
  /** When the roles change next (a key activates, ages out or expires): plan again then. */
  nextChangeAt: number;
}

/** Margin for clocks that disagree between servers and relying parties, ms (Entra backdates `nbf` by 5 minutes too). */
export const ROTATION_GRACE_MS = 5 * 60_000;

/** How long a key stays published after it stops being current, ms: long enough for its last tokens to expire. */
export function retentionMs(policy: RotationPolicy): number {
  return Math.max(policy.periodSeconds, policy.maxTokenLifetimeSeconds) * 1000 + ROTATION_GRACE_MS;
}

/** The window of the key that becomes current at `activatesAt`. */
export function keyWindow(activatesAt: number, policy: RotationPolicy): KeyWindow {
  return { activatesAt, expiresAt: activatesAt + policy.periodSeconds * 1000 + retentionMs(policy) };
}

/** Start of the aligned rotation slot containing `now`. */
export function slotStart(now: number, policy: RotationPolicy): number {
  const period = policy.periodSeconds * 1000;
  return Math.floor(now / period) * period;
}

const time = (iso: string): number => Date.parse(iso);

/** Oldest activation first; equal activations ordered by kid so every server picks the same key. */
function byActivation(a: SigningKeyRecord, b: SigningKeyRecord): number {
  return time(a.activatesAt) - time(b.activatesAt) || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);
}

/**
 * Says which stored keys are previous/current/next at `now`, and which to create or delete.
 * A key may sign only while it stays published for at least a token lifetime more; otherwise a new
 * current key is planned (this happens after a long outage).
 */
export function planKeyRotation(keys: readonly SigningKeyRecord[], now: number, policy: RotationPolicy): RotationPlan {
  const sorted = [...keys].sort(byActivation);
  const published = sorted.filter((k) => time(k.expiresAt) > now);
  const expired = sorted.filter((k) => time(k.expiresAt) <= now);
  const mustOutlive = policy.maxTokenLifetimeSeconds * 1000 + ROTATION_GRACE_MS;
  const canSign = (k: SigningKeyRecord) => time(k.activatesAt) <= now && time(k.expiresAt) - now >= mustOutlive;

  // Latest activation wins; among keys activated together the first by kid (see byActivation).
  const signers = published.filter(canSign);
  const latest = signers.length > 0 ? time(signers[signers.length - 1]!.activatesAt) : undefined;
  const current = latest === undefined ? undefined : signers.find((k) => time(k.activatesAt) === latest);
  const next = published.find((k) => time(k.activatesAt) > now);
  const previous = current ? [...published].reverse().find((k) => time(k.activatesAt) < time(current.activatesAt)) : undefined;

  const create: KeyWindow[] = [];
  const slot = slotStart(now, policy);
  if (!current) create.push(keyWindow(slot, policy));
  if (!next) create.push(keyWindow(slot + policy.periodSeconds * 1000, policy));

  const changes = [
    ...(next ? [time(next.activatesAt)] : []),
    ...(current ? [time(current.expiresAt) - mustOutlive] : []),
    ...published.map((k) => time(k.expiresAt)),
  ].filter((t) => t > now);
  const nextChangeAt = changes.length > 0 ? Math.min(...changes) : now + policy.periodSeconds * 1000;

  return { previous, current, next, published, expired, create, nextChangeAt };
}

/** What an operator's "rotate now" changes: the published next key starts signing at once, and a new next key is planned. */
export interface ForcedRotation {
  /** The key that signs from now on: the published next key, already in every relying party's JWKS cache. */
  promote: { kid: string; activatesAt: number };
  /** The key that is now current stops signing: it stays published (as previous) until its tokens have expired. */
  retiring?: string;
  /** The new next key, one period after the promoted key's old slot (a slot no other key has claimed). */
  create: KeyWindow;
}

/**
 * An operator's rotation (`keyless keys rotate`), planned without I/O. The key promoted is the one
 * that has been published as `next` for up to a period, so every server and relying party sharing the
 * database already knows its public key: tokens it signs verify everywhere at once, before any other
 * server reloads. Returns undefined when there is no next key to promote (a fresh store: start a server
 * first).
 */
export function planForcedRotation(keys: readonly SigningKeyRecord[], now: number, policy: RotationPolicy): ForcedRotation | undefined {
  const plan = planKeyRotation(keys, now, policy);
  if (!plan.next) return undefined;
  const nextSlot = time(plan.next.activatesAt);
  // Later keys than `next` (none in a normal plan) must not be overtaken: the new next goes after all of them.
  const latest = Math.max(nextSlot, ...plan.published.map((k) => time(k.activatesAt)));
  return {
    promote: { kid: plan.next.kid, activatesAt: now },
    ...(plan.current ? { retiring: plan.current.kid } : {}),
    create: keyWindow(latest + policy.periodSeconds * 1000, policy),
  };
}
