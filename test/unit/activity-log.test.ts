/** The Activity Log's $filter/$select parser, the event mapping of ARM outcomes, sign-in filters and events, retention. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityQueryError, parseActivityFilter, parseActivitySelect, parseTimestamp, selectProperties } from '../../src/core/activity/activity-filter.js';
import {
  activityEventsFor,
  isRecorded,
  keptClaims,
  resourceOf,
  resourceTypeOfAction,
  type ArmRequestOutcome,
} from '../../src/core/activity/activity-events.js';
import { parseSignInFilter, parseTop, SignInQueryError } from '../../src/core/activity/sign-in-filter.js';
import { failedSignIn, signInForToken } from '../../src/core/activity/sign-in-events.js';
import { retentionCutoff } from '../../src/core/activity/retention.js';
import { createActivityLog } from '../../src/core/activity/activity-log.js';
import type { ActivityEvent, SignInEvent } from '../../src/core/activity/model.js';
import { createManualClock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/config/config.js';

const SUB = '00000000-0000-0000-0000-00000000aaaa';
const NOW = Date.UTC(2026, 10, 28, 8, 0, 0);
let n = 0;
const ids = { newGuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };

describe('Activity Log $filter', () => {
  it('parses what az monitor activity-log list 2.45 sends: unquoted zone-less UTC timestamps, resourceId, caller, status', () => {
    const q = parseActivityFilter(
      "eventTimestamp ge 2026-11-28T06:00:00.123456 and eventTimestamp le 2026-11-28T07:00:00.5 and resourceGroupName eq 'rg-1' and caller eq 'abc' and status eq 'Failed'",
      SUB,
      NOW,
    );
    assert.deepEqual(q, {
      subscriptionId: SUB,
      from: '2026-11-28T06:00:00.123Z',
      to: '2026-11-28T07:00:00.500Z',
      resourceGroupName: 'rg-1',
      caller: 'abc',
      status: 'Failed',
    });
    const byId = parseActivityFilter(`eventTimestamp ge '2026-11-28T06:00:00Z' and resourceId eq '/subscriptions/${SUB}/resourceGroups/x'`, SUB, NOW);
    assert.equal(byId.resourceId, `/subscriptions/${SUB}/resourceGroups/x`);
    assert.equal(byId.to, new Date(NOW).toISOString(), 'no le: up to now');
  });

  it("accepts the REST spec's patterns: quoted timestamps with 7 fractional digits, resourceUri, resourceProvider, correlationId, offsets", () => {
    const q = parseActivityFilter(
      "eventTimestamp ge '2014-07-16T04:36:37.6407898Z' and eventTimestamp le '2014-07-20T04:36:37.6407898+02:00' and resourceProvider eq 'Microsoft.Web'",
      SUB,
      NOW,
    );
    assert.equal(q.from, '2014-07-16T04:36:37.640Z');
    assert.equal(q.to, '2014-07-20T02:36:37.640Z');
    assert.equal(q.resourceProvider, 'Microsoft.Web');
    assert.equal(parseActivityFilter("EventTimestamp GE 2026-01-01 AND correlationId eq 'a''b'", SUB, NOW).correlationId, "a'b");
  });

  const refused: [string | undefined, RegExp][] = [
    [undefined, /required/],
    ['', /required/],
    ["resourceGroupName eq 'x'", /start of the time range/],
    ['eventTimestamp gt 2026-01-01', /'ge' and 'le'/],
    ['eventTimestamp ge yesterday', /not an ISO 8601/],
    ['eventTimestamp ge 2026-02-30T00:00:00Z', /not an ISO 8601/],
    ['eventTimestamp ge 2026-01-02 and eventTimestamp le 2026-01-01', /empty/],
    ['eventTimestamp ge 2026-01-01 and eventTimestamp ge 2026-01-02', /twice/],
    ["eventTimestamp ge 2026-01-01 or resourceGroupName eq 'x'", /'and' only/],
    ["eventTimestamp ge 2026-01-01 and level eq 'Error'", /cannot use the property 'level'/],
    ["eventTimestamp ge 2026-01-01 and resourceGroupName ne 'x'", /'eq' only/],
    ['eventTimestamp ge 2026-01-01 and resourceGroupName eq x', /quoted string/],
    ["eventTimestamp ge 2026-01-01 and resourceGroupName eq ''", /non-empty/],
    ["eventTimestamp ge 2026-01-01 and resourceGroupName eq 'x' and resourceProvider eq 'y'", /only one of/],
    ["eventTimestamp ge 2026-01-01 and resourceGroupName eq 'x", /unterminated/],
    ['eventTimestamp ge', /expected/],
    ['x'.repeat(5000), /longer than/],
  ];
  for (const [filter, message] of refused) {
    it(`refuses ${JSON.stringify(filter?.slice(0, 60))} with a message that says why`, () => {
      assert.throws(
        () => parseActivityFilter(filter, SUB, NOW),
        (e: unknown) => e instanceof ActivityQueryError && message.test(e.message),
      );
    });
  }

  it('$select: az joins names with " , "; unknown names refused; projection keeps only the names', () => {
    assert.deepEqual(parseActivitySelect('eventTimestamp , OperationName,status'), ['eventTimestamp', 'operationName', 'status']);
    assert.equal(parseActivitySelect(undefined), undefined);
    assert.throws(() => parseActivitySelect('eventTimestamp,secret'), /cannot name 'secret'/);
    const [event] = activityEventsFor(outcome({ method: 'PUT', status: 201 }), ids);
    assert.deepEqual(Object.keys(selectProperties(event!.body, ['status', 'caller'])), ['status', 'caller']);
  });

  it('timestamps: dates alone are midnight UTC; invalid ones undefined', () => {
    assert.equal(parseTimestamp('2026-03-01'), '2026-03-01T00:00:00.000Z');
    assert.equal(parseTimestamp('2026-03-01T10:00:00-0130'), '2026-03-01T11:30:00.000Z');
    assert.equal(parseTimestamp('2026-13-01'), undefined);
    assert.equal(parseTimestamp('2026-01-01T24:00:00Z'), undefined);
  });
});

function outcome(over: Partial<ArmRequestOutcome>): ArmRequestOutcome {
  return {
    tenantId: 'tttttttt-0000-0000-0000-000000000000',
    subscriptionId: SUB,
    method: 'PUT',
    path: `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1`,
    action: 'Microsoft.Compute/virtualMachines/write',
    callerObjectId: 'oid-1',
    claims: { oid: 'oid-1', appid: 'app-1', tid: 'tid', aio: 'SECRETISH', rh: 'opaque', uti: 'u1', aud: 'https://management.azure.com/', extra: 'x' },
    correlationId: 'corr-1',
    requestId: 'req-1',
    clientRequestId: 'client-1',
    clientIp: '10.0.0.9',
    status: 201,
    reachedHandler: true,
    startedAt: NOW,
    finishedAt: NOW + 40,
    ...over,
  };
}

describe('Activity Log events of ARM requests', () => {
  it('a write that succeeds: Started then Succeeded, one correlation and operation id, as Azure writes them', () => {
    const events = activityEventsFor(outcome({}), ids);
    assert.deepEqual(
      events.map((e) => [e.body.status.value, e.body.eventName.value, e.body.subStatus.value, e.body.level]),
      [
        ['Started', 'BeginRequest', '', 'Informational'],
        ['Succeeded', 'EndRequest', 'Created', 'Informational'],
      ],
    );
    const [started, done] = events as [ActivityEvent, ActivityEvent];
    assert.equal(started.body.correlationId, 'corr-1');
    assert.equal(started.body.operationId, done.body.operationId);
    assert.notEqual(started.eventDataId, done.eventDataId);
    assert.equal(done.body.resourceGroupName, 'rg1');
    assert.deepEqual(done.body.resourceProviderName, { value: 'Microsoft.Compute', localizedValue: 'Microsoft.Compute' });
    assert.equal(done.body.resourceType.value, 'Microsoft.Compute/virtualMachines');
    assert.deepEqual(done.body.operationName, { value: 'Microsoft.Compute/virtualMachines/write', localizedValue: 'Microsoft.Compute/virtualMachines/write' });
    assert.deepEqual(done.body.authorization, { action: 'Microsoft.Compute/virtualMachines/write', scope: outcome({}).path });
    assert.deepEqual(done.body.httpRequest, { clientRequestId: 'client-1', clientIpAddress: '10.0.0.9', method: 'PUT' });
    assert.equal(done.body.caller, 'oid-1');
    assert.equal(done.body.subStatus.localizedValue, 'Created (HTTP Status Code: 201)');
    assert.equal(done.body.eventTimestamp, new Date(NOW + 40).toISOString());
    assert.equal(started.body.eventTimestamp, new Date(NOW).toISOString());
    assert.match(done.body.id, new RegExp(`^${outcome({}).path}/events/${done.eventDataId}/ticks/\\d{18}$`));
    assert.equal(done.body.category.value, 'Administrative');
  });

  it('claims: only the non-secret, known ones (Azure names for oid/tid); never aio, rh or unknown claims', () => {
    const claims = keptClaims(outcome({}).claims);
    assert.equal(claims['http://schemas.microsoft.com/identity/claims/objectidentifier'], 'oid-1');
    assert.equal(claims['appid'], 'app-1');
    for (const gone of ['aio', 'rh', 'extra', 'oid']) assert.equal(claims[gone], undefined, gone);
  });

  it('a denied write is one Failed event (Forbidden, level Error) carrying ARM’s error body', () => {
    const events = activityEventsFor(
      outcome({ status: 403, reachedHandler: false, error: { code: 'AuthorizationFailed', message: 'The client does not have authorization' } }),
      ids,
    );
    assert.equal(events.length, 1);
    const [failed] = events as [ActivityEvent];
    assert.equal(failed.body.status.value, 'Failed');
    assert.equal(failed.body.subStatus.value, 'Forbidden');
    assert.equal(failed.body.level, 'Error');
    assert.deepEqual(JSON.parse(failed.body.properties['statusMessage']!), {
      error: { code: 'AuthorizationFailed', message: 'The client does not have authorization' },
    });
  });

  it('a denied read is recorded; an allowed read is not; a failing write is Started + Failed; 202 is Started, Accepted, Succeeded', () => {
    assert.equal(isRecorded({ method: 'GET', status: 200 }), false);
    assert.equal(activityEventsFor(outcome({ method: 'GET', status: 200 }), ids).length, 0);
    assert.equal(activityEventsFor(outcome({ method: 'GET', status: 403, reachedHandler: false }), ids).length, 1);
    assert.deepEqual(
      activityEventsFor(outcome({ status: 409, error: { code: 'Conflict', message: 'x' } }), ids).map((e) => e.body.status.value),
      ['Started', 'Failed'],
    );
    assert.deepEqual(
      activityEventsFor(outcome({ method: 'DELETE', status: 202, action: 'Microsoft.Compute/virtualMachines/delete' }), ids).map((e) => e.body.status.value),
      ['Started', 'Accepted', 'Succeeded'],
    );
  });

  it('actions: the resource is the path without the verb; the type drops `/…/action`', () => {
    const o = {
      method: 'POST',
      path: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/listKeys`,
      action: 'Microsoft.Storage/storageAccounts/listKeys/action',
    };
    assert.equal(resourceOf(o), `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa`);
    assert.equal(resourceTypeOfAction(o.action), 'Microsoft.Storage/storageAccounts');
    assert.equal(resourceTypeOfAction('Microsoft.Resources/subscriptions/resourceGroups/write'), 'Microsoft.Resources/subscriptions/resourceGroups');
  });
});

describe('sign-in $filter and events', () => {
  it('parses createdDateTime ranges, appId, servicePrincipalId and beta signInEventTypes', () => {
    const q = parseSignInFilter(
      "createdDateTime ge 2026-11-28T00:00:00Z and createdDateTime le '2026-11-29T00:00:00Z' and appId eq 'A' and signInEventTypes/any(t: t eq 'managedIdentity' or t eq 'servicePrincipal')",
      'tid',
    );
    assert.deepEqual(q, {
      tenantId: 'tid',
      from: '2026-11-28T00:00:00.000Z',
      to: '2026-11-29T00:00:00.000Z',
      appId: 'A',
      eventTypes: ['managedIdentity', 'servicePrincipal'],
    });
    assert.deepEqual(parseSignInFilter("signInEventTypes/any(x: x eq 'interactiveUser')", 'tid').eventTypes, []);
    assert.deepEqual(parseSignInFilter(undefined, 'tid'), { tenantId: 'tid' });
  });

  for (const bad of [
    "userId eq 'x'",
    'createdDateTime ge soon',
    "appId eq 'a' or appId eq 'b'",
    "signInEventTypes/any(t: t eq 'robot')",
    "appId eq 'a' and appId eq 'b'",
  ]) {
    it(`refuses ${bad}`, () => assert.throws(() => parseSignInFilter(bad, 'tid'), SignInQueryError));
  }

  it('$top is 1..1000', () => {
    assert.equal(parseTop(undefined), 1000);
    assert.equal(parseTop('5'), 5);
    for (const bad of ['0', '1001', '-1', 'x', '1e3']) assert.throws(() => parseTop(bad), SignInQueryError);
  });

  it('a managed-identity token names the identity, the host and the audience; a client-secret token is a service-principal sign-in', () => {
    const uami = '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1';
    const mi = signInForToken({
      principal: { objectId: 'o', appId: 'a', tenantId: 't', displayName: 'id1' },
      audience: 'https://vault.azure.net',
      claims: { xms_mirid: uami, uti: 'U' },
      clientAuthentication: 'certificate',
      context: { hostResourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm', clientIp: '10.1.1.1' },
    });
    assert.equal(mi.eventType, 'managedIdentity');
    assert.equal(mi.clientCredentialType, 'managedIdentity');
    assert.deepEqual(mi.managedIdentity, {
      msiType: 'userAssigned',
      associatedResourceId: uami,
      hostResourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm',
    });
    assert.equal(mi.uniqueTokenIdentifier, 'U');
    const sp = signInForToken({
      principal: { objectId: 'o', appId: 'a', tenantId: 't' },
      audience: 'aud',
      claims: {},
      clientAuthentication: 'secret',
      context: undefined,
    });
    assert.equal(sp.eventType, 'servicePrincipal');
    assert.equal(sp.clientCredentialType, 'clientSecret');
    assert.equal(sp.managedIdentity, undefined);
    const failed = failedSignIn({
      tenantId: 't',
      principal: { objectId: 'o', appId: 'a' },
      resource: 'r',
      clientCredentialType: 'clientSecret',
      errorCode: 7000215,
      failureReason: 'AADSTS7000215: Invalid client secret provided.',
      context: undefined,
    });
    assert.equal(failed.errorCode, 7000215);
    assert.equal(failed.uniqueTokenIdentifier, null);
  });
});

describe('retention and the buffered writer', () => {
  it('the cutoff is `days` before now; days outside 1..3650 refused', () => {
    assert.equal(retentionCutoff(NOW, 90), new Date(NOW - 90 * 86_400_000).toISOString());
    assert.throws(() => retentionCutoff(NOW, 0), RangeError);
    assert.throws(() => retentionCutoff(NOW, 1.5), RangeError);
  });

  it('prune deletes both kinds of events older than the configured days; the setting is validated', async () => {
    const cutoffs: string[] = [];
    const repo = { insertMany: async () => undefined, list: async () => ({ items: [] }), deleteBefore: async (before: string) => (cutoffs.push(before), 3) };
    const log = createActivityLog({ events: repo, signIns: repo, clock: createManualClock(NOW), ids, retentionDays: 7 });
    assert.deepEqual(await log.prune(), { events: 3, signIns: 3 });
    assert.deepEqual(cutoffs, [new Date(NOW - 7 * 86_400_000).toISOString(), new Date(NOW - 7 * 86_400_000).toISOString()]);
    assert.equal(loadConfig({}, {}).activityRetentionDays, 90);
    assert.equal(loadConfig({}, { KEYLESS_ACTIVITY_RETENTION_DAYS: '30' }).activityRetentionDays, 30);
    for (const bad of ['0', '3651', '1.5', 'ninety']) {
      assert.throws(() => loadConfig({}, { KEYLESS_ACTIVITY_RETENTION_DAYS: bad }), /activity retention \(days\) must be a whole number from 1 to 3650/);
    }
  });

  it('buffers until flushed, keeps events the database refused and writes them on the next flush, reads its own writes', async () => {
    const stored: ActivityEvent[] = [];
    const signIns: SignInEvent[] = [];
    let down = true;
    const log = createActivityLog({
      events: {
        insertMany: async (e) => {
          if (down) throw new Error('database down');
          stored.push(...e);
        },
        list: async () => ({ items: [...stored] }),
        deleteBefore: async () => 0,
      },
      signIns: { insertMany: async (e) => void signIns.push(...e), list: async () => ({ items: [...signIns] }), deleteBefore: async () => 0 },
      clock: createManualClock(NOW),
      ids,
      retentionDays: 90,
      maxBuffered: 3,
    });
    log.recordArm(outcome({}));
    assert.equal(stored.length, 0, 'nothing written before a flush');
    await assert.rejects(log.flush(), /database down/);
    down = false;
    log.recordArm(outcome({ method: 'GET', status: 403, reachedHandler: false }));
    log.recordArm(outcome({})); // 2 more than the buffer holds: dropped, counted
    assert.equal(log.dropped(), 2);
    const page = await log.listEvents({ subscriptionId: SUB, from: '', to: '' }, { limit: 10 });
    assert.equal(page.items.length, 3, 'the refused batch and the later event are written before the read');
  });
});
