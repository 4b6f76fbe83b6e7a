/**
 * Token caching as a workload sees it through the agent: one upstream call for N concurrent misses,
 * cached answers while the token is fresh, a background refresh before expiry (injected clock), and
 * never a token with less than the serve margin left.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createManualClock } from '../../src/core/clock.js';
import { imdsPath, startAgentFixture, type AgentFixture } from './fixture.js';

const METADATA = { Metadata: 'true' };
const VAULT = 'https://vault.azure.net';

describe('agent token cache', () => {
  const clock = createManualClock(Date.now());
  let fx: AgentFixture;
  const uami = { clientId: '', objectId: '', resourceId: '' };
  before(async () => {
    fx = await startAgentFixture({ clock });
    const identity = fx.upstream.newUserAssigned('cache');
    fx.upstream.assign(identity);
    Object.assign(uami, identity);
  });
  beforeEach(() => {
    fx.upstream.delayMs = 0;
    fx.upstream.failWith = undefined;
    fx.upstream.lifetimeSeconds = 3600;
  });
  after(() => fx.close());

  const token = async (params: Record<string, string>) => {
    const res = await fx.get(imdsPath({ 'api-version': '2018-02-01', ...params }), METADATA);
    return res;
  };

  it('makes one upstream call for 20 concurrent misses, across selectors of one identity', async () => {
    fx.upstream.delayMs = 150;
    const before = fx.upstream.calls.length;
    const selectors: Array<Record<string, string>> = [
      { client_id: uami.clientId },
      { object_id: uami.objectId },
      { msi_res_id: uami.resourceId },
      { mi_res_id: uami.resourceId.toLowerCase() },
    ];
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => token({ resource: 'https://storage.azure.com/', ...selectors[i % 4] })));
    assert.equal(fx.upstream.calls.length - before, 1);
    assert.deepEqual(fx.upstream.calls.at(-1)!.identity, { kind: 'objectId', value: uami.objectId });
    assert.ok(answers.every((a) => a.status === 200 && a.json.access_token === answers[0]!.json.access_token));
  });

  it('keeps audiences apart and serves the cache until the refresh window', async () => {
    const first = await token({ resource: VAULT });
    const other = await token({ resource: `${VAULT}/` });
    assert.notEqual(first.json.access_token, other.json.access_token, 'resource is echoed exactly, so it is its own key');
    const calls = fx.upstream.calls.length;
    clock.advance(45 * 60_000); // 15 min left of 60: outside the refresh window (5 min + 6 min)
    const later = await token({ resource: VAULT });
    assert.equal(later.json.access_token, first.json.access_token);
    assert.equal(Number(later.json.expires_in), 15 * 60, 'expires_in counts from now');
    assert.equal(fx.upstream.calls.length, calls);
  });

  it('refreshes in the background before expiry and keeps answering from the cache meanwhile', async () => {
    clock.advance(5 * 60_000); // 10 min left: inside the refresh window
    fx.upstream.delayMs = 500;
    const calls = fx.upstream.calls.length;
    const started = Date.now();
    const during = await token({ resource: VAULT });
    assert.ok(Date.now() - started < 400, 'answered without waiting for the refresh');
    assert.equal(Number(during.json.expires_in), 10 * 60);
    await token({ resource: VAULT }); // a second request does not start a second refresh
    await delay(700);
    assert.equal(fx.upstream.calls.length - calls, 1);
    const after = await token({ resource: VAULT });
    assert.equal(Number(after.json.expires_in), 3600, 'the refreshed token');
    assert.notEqual(after.json.access_token, during.json.access_token);
  });

  it('keeps the cached token when a background refresh fails, but never serves one about to expire', async () => {
    const fresh = await token({ resource: 'https://graph.microsoft.com/' });
    fx.upstream.failWith = 'Unavailable';
    clock.advance(52 * 60_000); // 8 min left: refresh fails, cached token still served
    const kept = await token({ resource: 'https://graph.microsoft.com/' });
    assert.equal(kept.status, 200);
    assert.equal(kept.json.access_token, fresh.json.access_token);
    clock.advance(4 * 60_000); // 4 min left: below the 5 min serve margin
    const stale = await token({ resource: 'https://graph.microsoft.com/' });
    assert.equal(stale.status, 500);
    assert.equal(stale.json.error, 'unknown');
    fx.upstream.failWith = undefined;
    const renewed = await token({ resource: 'https://graph.microsoft.com/' });
    assert.equal(renewed.status, 200);
    assert.equal(Number(renewed.json.expires_in), 3600);
  });

  it('uses 10 % of the lifetime as the serve margin for short-lived tokens', async () => {
    fx.upstream.lifetimeSeconds = 600; // 10 min: margin 1 min, refresh from 2 min left
    const first = await token({ resource: 'api://short' });
    clock.advance(7 * 60_000);
    const cached = await token({ resource: 'api://short' });
    assert.equal(cached.json.access_token, first.json.access_token);
    const calls = fx.upstream.calls.length;
    clock.advance(2 * 60_000 + 30_000); // 30 s left
    const renewed = await token({ resource: 'api://short' });
    assert.notEqual(renewed.json.access_token, first.json.access_token);
    assert.equal(fx.upstream.calls.length - calls, 1);
  });
});
