/** Activity Log and sign-in event storage on both engines: filters (case-insensitive), newest-first paging, retries, pruning. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { activityEventsFor, type ArmRequestOutcome } from '../../src/core/activity/activity-events.js';
import type { SignInEvent } from '../../src/core/activity/model.js';
import { randomIds } from '../../src/core/ids.js';
import { forEachEngine } from '../support/stores.js';

const T0 = Date.UTC(2026, 10, 1, 12);
const SUB = 'AAAAAAAA-0000-0000-0000-000000000001';

function outcome(i: number, over: Partial<ArmRequestOutcome> = {}): ArmRequestOutcome {
  return {
    tenantId: 'tenant-1',
    subscriptionId: SUB,
    method: 'PUT',
    path: `/subscriptions/${SUB}/resourceGroups/${i % 2 ? 'Odd' : 'Even'}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id${i}`,
    action: 'Microsoft.ManagedIdentity/userAssignedIdentities/write',
    callerObjectId: `caller-${i % 3}`,
    claims: {},
    correlationId: `corr-${i}`,
    requestId: 'r',
    clientRequestId: undefined,
    clientIp: '10.0.0.1',
    status: 201,
    reachedHandler: true,
    startedAt: T0 + i * 1000,
    finishedAt: T0 + i * 1000 + 5,
    ...over,
  };
}

function signIn(i: number, over: Partial<SignInEvent> = {}): SignInEvent {
  return {
    id: randomUUID(),
    createdDateTime: new Date(T0 + i * 1000).toISOString(),
    tenantId: 'Tenant-1',
    eventType: i % 2 ? 'managedIdentity' : 'servicePrincipal',
    appId: `APP-${i % 2}`,
    servicePrincipalId: `sp-${i % 2}`,
    servicePrincipalName: null,
    resource: 'https://management.azure.com',
    clientCredentialType: 'clientSecret',
    ipAddress: '10.0.0.1',
    uniqueTokenIdentifier: 'u',
    errorCode: 0,
    failureReason: null,
    correlationId: null,
    ...over,
  };
}

forEachEngine('activity event storage', (open, harness) => {
  const range = { subscriptionId: SUB.toLowerCase(), from: new Date(T0).toISOString(), to: new Date(T0 + 3_600_000).toISOString() };

  it('lists one subscription’s events in a time range newest first, filtered case-insensitively, paged without gaps or repeats', async () => {
    const store = await open();
    const events = Array.from({ length: 30 }, (_, i) => activityEventsFor(outcome(i), randomIds)).flat();
    const otherSub = activityEventsFor(outcome(1, { subscriptionId: 'other' }), randomIds);
    await store.activityEvents.insertMany([...events, ...otherSub]);
    // A retried batch (the writer failed after the database took it) does not store events twice.
    await store.activityEvents.insertMany(events.slice(0, 10));

    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await store.activityEvents.list(range, { limit: 7, ...(after ? { after } : {}) });
      seen.push(...page.items.map((e) => e.eventTimestamp));
      after = page.next;
    } while (after);
    assert.equal(seen.length, 60);
    assert.deepEqual(seen, [...seen].sort().reverse());

    const filtered = async (q: Partial<typeof range> & Record<string, string>) => (await store.activityEvents.list({ ...range, ...q }, { limit: 1000 })).items;
    assert.equal((await filtered({ resourceGroupName: 'ODD' })).length, 30);
    assert.equal(
      (await filtered({ resourceId: `/subscriptions/${SUB.toLowerCase()}/resourcegroups/odd/providers/microsoft.managedidentity/userassignedidentities/id1` }))
        .length,
      2,
    );
    assert.equal((await filtered({ resourceProvider: 'microsoft.managedidentity' })).length, 60);
    assert.equal((await filtered({ correlationId: 'CORR-3' })).length, 2);
    assert.equal((await filtered({ caller: 'CALLER-0' })).length, 20);
    assert.equal((await filtered({ status: 'started' })).length, 30);
    assert.equal(
      (await filtered({ from: new Date(T0 + 10_000).toISOString(), to: new Date(T0 + 12_000).toISOString() })).length,
      5,
      'bounds inclusive: 10.000, 10.005, 11.000, 11.005, 12.000',
    );
    const [one] = await filtered({ correlationId: 'corr-3', status: 'Succeeded' });
    assert.deepEqual(
      one!.body,
      events.find((e) => e.body.correlationId === 'corr-3' && e.body.status.value === 'Succeeded')!.body,
      'the body comes back as written',
    );
    await assert.rejects(store.activityEvents.list(range, { limit: 5, after: 'garbage!' }), /paging token/);
  });

  it('prunes events before the cutoff only', async () => {
    const store = await open();
    await store.activityEvents.insertMany(Array.from({ length: 10 }, (_, i) => activityEventsFor(outcome(i), randomIds)).flat());
    assert.equal(await store.activityEvents.deleteBefore(new Date(T0 + 5000).toISOString()), 10);
    assert.equal((await store.activityEvents.list(range, { limit: 100 })).items.length, 10);
  });

  it('several servers on one database prune at the same moment: every old event deleted once, none of the others, no error', async () => {
    const first = await open();
    const second = await harness.reopen(first);
    const third = await harness.reopen(first);
    await first.activityEvents.insertMany(Array.from({ length: 200 }, (_, i) => activityEventsFor(outcome(i), randomIds)).flat());
    await first.signInEvents.insertMany(Array.from({ length: 200 }, (_, i) => signIn(i)));
    const cutoff = new Date(T0 + 150_000).toISOString();
    const deleted = await Promise.all(
      [first, second, third].map(async (s) => (await s.activityEvents.deleteBefore(cutoff)) + (await s.signInEvents.deleteBefore(cutoff))),
    );
    assert.equal(
      deleted.reduce((a, b) => a + b, 0),
      300 + 150,
      `deleted per server: ${deleted.join(', ')}`,
    );
    assert.equal((await second.activityEvents.list(range, { limit: 1000 })).items.length, 100);
    assert.equal((await third.signInEvents.list({ tenantId: 'tenant-1' }, { limit: 1000 })).items.length, 50);
  });

  it('sign-ins: per tenant, filters by time, app, principal and event types, newest first with paging, pruned by time', async () => {
    const store = await open();
    const all = Array.from({ length: 12 }, (_, i) => signIn(i));
    await store.signInEvents.insertMany([...all, signIn(1, { tenantId: 'tenant-2' })]);
    const list = async (q: Record<string, unknown>, limit = 100) => (await store.signInEvents.list({ tenantId: 'TENANT-1', ...q }, { limit })).items;
    assert.equal((await list({})).length, 12);
    assert.equal((await list({ appId: 'app-1' })).length, 6);
    assert.equal((await list({ servicePrincipalId: 'SP-0' })).length, 6);
    assert.equal((await list({ eventTypes: ['managedIdentity'] })).length, 6);
    assert.equal((await list({ eventTypes: [] })).length, 0, 'only user sign-ins asked for: none');
    assert.equal((await list({ from: new Date(T0 + 10_000).toISOString() })).length, 2);
    assert.deepEqual(
      (await list({ to: new Date(T0 + 1000).toISOString() })).map((s) => s.createdDateTime),
      [1, 0].map((i) => new Date(T0 + i * 1000).toISOString()),
    );
    const first = await store.signInEvents.list({ tenantId: 'tenant-1' }, { limit: 5 });
    const second = await store.signInEvents.list({ tenantId: 'tenant-1' }, { limit: 5, after: first.next! });
    assert.equal(new Set([...first.items, ...second.items].map((s) => s.id)).size, 10);
    assert.deepEqual(first.items[0], all[11], 'the event comes back as written');
    assert.equal(await store.signInEvents.deleteBefore(new Date(T0 + 6000).toISOString()), 7);
    assert.equal((await list({})).length, 6);
  });
});
