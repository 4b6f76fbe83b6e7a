import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { createPrivateKey } from 'node:crypto';
import { createManualClock } from '../../src/core/clock.js';
import type { SigningKeyRecord } from '../../src/core/model.js';
import { createKeyRing, type KeyRing } from '../../src/crypto/key-ring.js';
import { forEachEngine } from '../support/stores.js';

const HOUR = 3600_000;
const policy = { periodSeconds: 3600, maxTokenLifetimeSeconds: 600 };

forEachEngine('signing-key ring', (open, harness) => {
  const rings: KeyRing[] = [];
  after(() => {
    for (const r of rings) r.stop();
  });
  const ring = (store: Parameters<typeof createKeyRing>[0]['store'], clock = createManualClock(Date.UTC(2026, 0, 1, 0, 30))) => {
    const r = createKeyRing({ store, clock, policy });
    rings.push(r);
    return r;
  };

  it('creates the current and next key on first start and publishes them in Entra’s JWKS shape', async () => {
    const store = await open();
    const r = ring(store);
    await r.start();
    const { previous, current, next } = r.roles();
    assert.equal(previous, undefined);
    assert.ok(current && next && current.kid !== next.kid);
    assert.equal(Date.parse(next.activatesAt) - Date.parse(current.activatesAt), HOUR);
    assert.deepEqual((await store.signingKeys.list()).map((k) => k.kid).sort(), [current.kid, next.kid].sort());
    const jwks = r.jwks({ issuer: 'https://127.0.0.1:8443/{tenantid}/v2.0' });
    assert.equal(jwks.keys.length, 2);
    for (const k of jwks.keys) {
      assert.deepEqual(Object.keys(k).sort(), ['e', 'issuer', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t']);
      assert.equal(k.kty, 'RSA');
      assert.equal(k.use, 'sig');
      assert.equal(k.e, 'AQAB');
      assert.equal(k.x5t, k.kid);
      assert.equal(k.issuer, 'https://127.0.0.1:8443/{tenantid}/v2.0');
    }
    assert.equal(r.jwks().keys[0]!.issuer, undefined);
  });

  it('keeps its keys across a restart: tokens signed before still verify after', async () => {
    const store = await open();
    const clock = createManualClock(Date.UTC(2026, 0, 1, 0, 30));
    const first = ring(store, clock);
    await first.start();
    const current = first.current();
    const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256', kid: current.kid }).sign(createPrivateKey(current.privateKeyPem));
    first.stop();
    await store.close();

    const reopened = await harness.reopen(store);
    const second = ring(reopened, clock);
    await second.start();
    assert.equal(second.current().kid, current.kid);
    assert.equal((await reopened.signingKeys.list()).length, 2, 'no key was created again');
    const { payload } = await jwtVerify(token, createLocalJWKSet(second.jwks() as Parameters<typeof createLocalJWKSet>[0]));
    assert.equal(payload.sub, 'x');
  });

  it('two servers starting at once on one database end up with the same keys', async () => {
    const store = await open();
    const other = await harness.reopen(store);
    const clock = createManualClock(Date.UTC(2026, 0, 1, 0, 30));
    const a = ring(store, clock);
    const b = ring(other, clock);
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.refresh(), b.refresh()]);
    assert.equal(a.current().kid, b.current().kid);
    assert.equal(a.roles().next?.kid, b.roles().next?.kid);
    const stored = await store.signingKeys.list();
    const slots = new Set(stored.map((k) => k.activatesAt));
    assert.equal(slots.size, stored.length, `one key per slot, got ${stored.length} keys for ${slots.size} slots`);
  });

  it('rotates with overlap: next becomes current, the old current stays published, expired keys go', async () => {
    const store = await open();
    const clock = createManualClock(Date.UTC(2026, 0, 1, 0, 30));
    const r = ring(store, clock);
    const changes: SigningKeyRecord[] = [];
    r.onCurrentKeyChange((k) => changes.push(k));
    await r.start();
    const first = r.roles();
    clock.advance(HOUR);
    await r.refresh();
    const second = r.roles();
    assert.equal(second.previous?.kid, first.current?.kid);
    assert.equal(second.current?.kid, first.next?.kid);
    assert.ok(second.next && second.next.kid !== first.current?.kid);
    assert.deepEqual(
      r.jwks().keys.map((k) => k.kid),
      [second.previous!.kid, second.current!.kid, second.next.kid],
    );
    assert.deepEqual(
      changes.map((k) => k.kid),
      [first.current!.kid, second.current!.kid],
    );
    clock.advance(3 * HOUR);
    await r.refresh();
    const kids = (await store.signingKeys.list()).map((k) => k.kid);
    assert.ok(!kids.includes(first.current!.kid), 'a key is deleted once its tokens have all expired');
    assert.equal(r.publicKey(first.current!.kid), undefined);
  });
});
