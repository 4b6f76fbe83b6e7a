/**
 * Detach and delete take effect at the agent within 1 s, with no stale token handed out once the
 * agent has seen the change: a workload hammers the agent while the identity is detached, and no
 * request that starts after the watch reported the change may get a token.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { imdsPath, startAgentFixture, type AgentFixture } from './fixture.js';

const METADATA = { Metadata: 'true' };
/** Polls `check` every 50 ms for up to 3 s. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (const end = Date.now() + 3000; Date.now() < end; await delay(50)) if (await check()) return true;
  return false;
}

const NOT_FOUND = { error: 'invalid_request', error_description: 'Identity not found' };

describe('agent detach', () => {
  let fx: AgentFixture;
  before(async () => {
    fx = await startAgentFixture();
  });
  after(() => fx.close());

  const ask = (params: Record<string, string>) =>
    fx.get(imdsPath({ 'api-version': '2018-02-01', resource: 'https://management.azure.com/', ...params }), METADATA);

  it('refuses a detached identity within 1 s of the watch reporting it, never serving its cached token after', async () => {
    const identity = fx.upstream.newUserAssigned('detached');
    fx.upstream.assign(identity);
    assert.equal((await ask({ client_id: identity.clientId })).status, 200);
    const calls = fx.upstream.calls.length;
    const results: Array<{ startedAt: number; status: number }> = [];
    let stop = false;
    const hammer = (async () => {
      while (!stop) {
        const startedAt = performance.now();
        const res = await ask({ client_id: identity.clientId });
        results.push({ startedAt, status: res.status });
        if (res.status === 400) assert.deepEqual(res.json, NOT_FOUND);
      }
    })();
    await delay(100);
    const detachedAt = performance.now();
    fx.upstream.detach(identity.objectId);
    await delay(300);
    stop = true;
    await hammer;
    const deliveredAt = fx.upstream.lastDeliveredAt;
    assert.ok(deliveredAt !== undefined && deliveredAt >= detachedAt, 'the watch reported the change');
    assert.ok(
      results.some((r) => r.startedAt < detachedAt && r.status === 200),
      'served from cache before',
    );
    assert.equal(fx.upstream.calls.length, calls, 'served from the cache, refused locally');
    const firstRefusal = results.find((r) => r.status === 400);
    assert.ok(firstRefusal, 'refused after detach');
    assert.ok(firstRefusal.startedAt - deliveredAt < 1000, `reacted in ${(firstRefusal.startedAt - deliveredAt).toFixed(1)} ms`);
    const stale = results.filter((r) => r.startedAt > deliveredAt && r.status !== 400);
    assert.deepEqual(stale, [], 'no token after the watch reported the detach');
  });

  it('does not hand out a token the server issued just before the detach but that arrived after it', async () => {
    const identity = fx.upstream.newUserAssigned('racing');
    fx.upstream.assign(identity);
    fx.upstream.delayMs = 300;
    try {
      const pending = ask({ object_id: identity.objectId });
      await delay(50); // the server has decided; the token is in transit
      fx.upstream.detach(identity.objectId);
      const res = await pending;
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, NOT_FOUND);
    } finally {
      fx.upstream.delayMs = 0;
    }
  });

  it('stops serving the system-assigned identity when it is disabled, and serves a re-assigned identity anew', async () => {
    assert.equal((await ask({})).status, 200);
    fx.upstream.detach(fx.upstream.system.objectId);
    await delay(20);
    assert.deepEqual((await ask({})).json, NOT_FOUND);
    fx.upstream.assign(fx.upstream.system);
    await delay(20);
    const again = await ask({});
    assert.equal(again.status, 200);
    assert.equal(again.json.client_id, fx.upstream.system.clientId);
  });

  it('drops every identity when the server refuses the host credential (host resource deleted)', async () => {
    assert.equal((await ask({})).status, 200);
    fx.upstream.watchFailWith = 'HostUnauthorized';
    fx.upstream.assign(fx.upstream.newUserAssigned('wake-the-watch'));
    await delay(50);
    assert.deepEqual((await ask({})).json, NOT_FOUND);
    fx.upstream.watchFailWith = undefined;
    assert.ok(await eventually(async () => (await ask({})).status === 200), 'served again once the watch recovers');
  });
});

describe('agent before the first identity set', () => {
  it('asks the server for every selector, then refuses locally once the set is known', async () => {
    const fx = await startAgentFixture({
      readyTimeoutMs: 50,
      prepare: (upstream) => {
        upstream.watchFailWith = 'Unavailable';
      },
    });
    try {
      const identity = fx.upstream.newUserAssigned('early');
      fx.upstream.assign(identity);
      const ask = (params: Record<string, string>) =>
        fx.get(imdsPath({ 'api-version': '2018-02-01', resource: 'https://vault.azure.net', ...params }), METADATA);
      assert.equal((await ask({ client_id: identity.clientId })).status, 200);
      const calls = fx.upstream.calls.length;
      assert.equal((await ask({ client_id: identity.clientId })).status, 200, 'cached under the id learned from the token');
      assert.equal(fx.upstream.calls.length, calls);
      assert.deepEqual((await ask({ client_id: '9e9e9e9e-0000-4000-8000-000000000001' })).json, NOT_FOUND, 'the server refuses');
      assert.equal(fx.upstream.calls.length, calls + 1);
      fx.upstream.watchFailWith = undefined;
      fx.upstream.detach(identity.objectId);
      // The watch retries after its backoff and learns the set.
      assert.ok(await eventually(async () => (await ask({ client_id: identity.clientId })).status === 400));
      assert.equal(fx.upstream.calls.length, calls + 1, 'refused locally, the cached token dropped');
    } finally {
      await fx.close();
    }
  });
});
