import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock, isoTime } from '../../src/core/clock.js';
import { keyWindow, planForcedRotation, planKeyRotation, retentionMs, ROTATION_GRACE_MS, type RotationPolicy } from '../../src/core/keys/rotation.js';
import type { SigningKeyRecord } from '../../src/core/model.js';

const DAY = 86_400_000;
const policy: RotationPolicy = { periodSeconds: 14 * 86400, maxTokenLifetimeSeconds: 86400 };
const PERIOD = policy.periodSeconds * 1000;

/** A stored key for the window that starts at `activatesAt`, as the key ring would store it. */
function key(kid: string, activatesAt: number, p: RotationPolicy = policy): SigningKeyRecord {
  const w = keyWindow(activatesAt, p);
  return {
    kid,
    privateKeyPem: '',
    certificateDer: '',
    createdAt: isoTime(activatesAt - PERIOD),
    activatesAt: isoTime(w.activatesAt),
    expiresAt: isoTime(w.expiresAt),
  };
}

describe('signing-key rotation planning', () => {
  const clock = createManualClock(Date.UTC(2026, 0, 1) + 3 * DAY);
  const slot = Math.floor(clock.now() / PERIOD) * PERIOD;

  it('on first start asks for the current slot and the next one, aligned on the period', () => {
    const plan = planKeyRotation([], clock.now(), policy);
    assert.equal(plan.current, undefined);
    assert.deepEqual(plan.create, [keyWindow(slot, policy), keyWindow(slot + PERIOD, policy)]);
    assert.equal(plan.create[0]!.activatesAt % PERIOD, 0, 'slots are aligned so servers sharing a store propose the same one');
  });

  it('publishes previous, current and next, and creates nothing when all are there', () => {
    const keys = [key('prev', slot - PERIOD), key('cur', slot), key('next', slot + PERIOD)];
    const plan = planKeyRotation(keys, clock.now(), policy);
    assert.equal(plan.previous?.kid, 'prev');
    assert.equal(plan.current?.kid, 'cur');
    assert.equal(plan.next?.kid, 'next');
    assert.deepEqual(
      plan.published.map((k) => k.kid),
      ['prev', 'cur', 'next'],
    );
    assert.deepEqual(plan.create, []);
    assert.equal(plan.nextChangeAt, slot + PERIOD, 'the roles change when next activates');
  });

  it('the next key exists a full period before it becomes current', () => {
    const plan = planKeyRotation([key('cur', slot)], clock.now(), policy);
    assert.deepEqual(plan.create, [keyWindow(slot + PERIOD, policy)]);
    assert.ok(plan.create[0]!.activatesAt - clock.now() <= PERIOD);
    // Created at the start of the slot, it is published for the whole period before activating.
    const atSlotStart = planKeyRotation([key('cur', slot)], slot, policy);
    assert.equal(atSlotStart.create[0]!.activatesAt - slot, PERIOD);
  });

  it('rolls over at the boundary: next becomes current, current becomes previous, a new next is asked for', () => {
    const keys = [key('prev', slot - PERIOD), key('cur', slot), key('next', slot + PERIOD)];
    const plan = planKeyRotation(keys, slot + PERIOD, policy);
    assert.equal(plan.current?.kid, 'next');
    assert.equal(plan.previous?.kid, 'cur');
    assert.deepEqual(plan.create, [keyWindow(slot + 2 * PERIOD, policy)]);
  });

  it('keeps the previous key published until tokens it signed last have expired', () => {
    const k = key('cur', slot);
    const lastSignature = slot + PERIOD; // it stops signing when the next key activates
    const lastTokenExpiry = lastSignature + policy.maxTokenLifetimeSeconds * 1000;
    assert.ok(Date.parse(k.expiresAt) >= lastTokenExpiry + ROTATION_GRACE_MS);
    const justBefore = planKeyRotation([k, key('n', slot + PERIOD)], lastTokenExpiry, policy);
    assert.ok(justBefore.published.some((p) => p.kid === 'cur'));
    const after = planKeyRotation([k, key('n', slot + PERIOD)], Date.parse(k.expiresAt), policy);
    assert.deepEqual(
      after.expired.map((e) => e.kid),
      ['cur'],
    );
    assert.ok(!after.published.some((p) => p.kid === 'cur'));
  });

  it('retention covers token lifetimes longer than the period', () => {
    const short: RotationPolicy = { periodSeconds: 3600, maxTokenLifetimeSeconds: 86400 };
    assert.equal(retentionMs(short), 86400_000 + ROTATION_GRACE_MS);
    const w = keyWindow(0, short);
    assert.equal(w.expiresAt, 3600_000 + 86400_000 + ROTATION_GRACE_MS);
  });

  it('does not sign with a key that would leave the JWKS before its tokens expire (after a long outage)', () => {
    const old = key('old', slot - 2 * PERIOD); // its window ended; it expires soon
    const now = Date.parse(old.expiresAt) - 1000;
    const plan = planKeyRotation([old], now, policy);
    assert.equal(plan.current, undefined);
    assert.equal(plan.create.length, 2);
  });

  it('breaks ties between keys of the same slot by kid, so every server signs with the same one', () => {
    const plan = planKeyRotation([key('b', slot), key('a', slot), key('n', slot + PERIOD)], clock.now(), policy);
    assert.equal(plan.current?.kid, 'a');
  });

  describe('an operator rotation (keyless keys rotate)', () => {
    const keys = [key('prev', slot - PERIOD), key('cur', slot), key('next', slot + PERIOD)];

    it('promotes the published next key to sign now, keeps the retiring key published, and plans a new next in a free slot', () => {
      const now = clock.now();
      const forced = planForcedRotation(keys, now, policy);
      assert.ok(forced);
      assert.deepEqual(forced.promote, { kid: 'next', activatesAt: now });
      assert.equal(forced.retiring, 'cur');
      assert.deepEqual(forced.create, keyWindow(slot + 2 * PERIOD, policy));
      // Applied, the plan signs with the promoted key and still publishes every key that signed tokens.
      const promoted = keys.map((k) => (k.kid === 'next' ? { ...k, activatesAt: isoTime(now) } : k));
      const created: SigningKeyRecord = { ...key('new', forced.create.activatesAt), expiresAt: isoTime(forced.create.expiresAt) };
      const after = planKeyRotation([...promoted, created], now, policy);
      assert.equal(after.current?.kid, 'next');
      assert.equal(after.previous?.kid, 'cur');
      assert.equal(after.next?.kid, 'new');
      assert.deepEqual(after.create, [], 'nothing is missing: servers do not plan a key of their own');
      assert.deepEqual(after.published.map((k) => k.kid).sort(), ['cur', 'new', 'next', 'prev']);
    });

    it('twice in a row walks the chain: each rotation promotes the key the previous one created', () => {
      const now = clock.now();
      const first = planForcedRotation(keys, now, policy)!;
      const applied = [
        ...keys.map((k) => (k.kid === 'next' ? { ...k, activatesAt: isoTime(now) } : k)),
        { ...key('n2', first.create.activatesAt), expiresAt: isoTime(first.create.expiresAt) },
      ];
      const second = planForcedRotation(applied, now + 1000, policy)!;
      assert.deepEqual(second.promote, { kid: 'n2', activatesAt: now + 1000 });
      assert.equal(second.retiring, 'next');
      assert.equal(second.create.activatesAt, slot + 3 * PERIOD);
    });

    it('has nothing to promote on a store with no next key', () => {
      assert.equal(planForcedRotation([key('cur', slot)], clock.now(), policy), undefined);
      assert.equal(planForcedRotation([], clock.now(), policy), undefined);
    });
  });
});
