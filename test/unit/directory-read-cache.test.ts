import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../../src/core/clock.js';
import { createDirectoryReadCache, type DirectoryReads } from '../../src/core/directory/read-cache.js';
import type { ServicePrincipal } from '../../src/core/model.js';

function countingRepos() {
  const calls = { tenant: 0, principal: 0, secrets: 0 };
  let principal: ServicePrincipal | undefined;
  const repos = {
    tenants: {
      get: async () => {
        calls.tenant++;
        return { id: 't', displayName: 'T', defaultDomain: 'd', createdAt: '' };
      },
      list: async () => [],
      insert: async () => {},
    },
    principals: {
      getByAppId: async () => {
        calls.principal++;
        return principal;
      },
    },
    clientSecrets: {
      listByApp: async () => {
        calls.secrets++;
        return [];
      },
    },
  } as unknown as DirectoryReads;
  return {
    repos,
    calls,
    setPrincipal: (p: ServicePrincipal | undefined) => {
      principal = p;
    },
  };
}

const app: ServicePrincipal = { objectId: 'o', appId: 'a', tenantId: 't', displayName: 'x', kind: 'Application', resourceId: null, createdAt: '' };

describe('directory read cache on the token path', () => {
  it('answers repeated reads from memory for at most the TTL', async () => {
    const clock = createManualClock();
    const { repos, calls, setPrincipal } = countingRepos();
    setPrincipal(app);
    const cache = createDirectoryReadCache(repos, { clock, ttlMs: 1000 });
    for (let i = 0; i < 5; i++) {
      await cache.tenants.get('T');
      assert.equal((await cache.principals.getByAppId('t', 'A'))?.objectId, 'o');
      await cache.clientSecrets.listByApp('t', 'a');
    }
    assert.deepEqual(calls, { tenant: 1, principal: 1, secrets: 1 });
    clock.advance(1001);
    setPrincipal(undefined);
    assert.equal(await cache.principals.getByAppId('t', 'a'), undefined, 'a deleted client is gone once the TTL passed');
    assert.equal(calls.principal, 2);
  });

  it('never remembers "not found", so a new client works at once', async () => {
    const clock = createManualClock();
    const { repos, calls, setPrincipal } = countingRepos();
    const cache = createDirectoryReadCache(repos, { clock });
    assert.equal(await cache.principals.getByAppId('t', 'a'), undefined);
    setPrincipal(app);
    assert.equal((await cache.principals.getByAppId('t', 'a'))?.objectId, 'o');
    assert.equal(calls.principal, 2);
  });

  it('invalidate() drops everything at once', async () => {
    const clock = createManualClock();
    const { repos, calls } = countingRepos();
    const cache = createDirectoryReadCache(repos, { clock });
    await cache.clientSecrets.listByApp('t', 'a');
    cache.invalidate();
    await cache.clientSecrets.listByApp('t', 'a');
    assert.equal(calls.secrets, 2);
  });
});
