/**
 * The Activity Log and the sign-in logs over real sockets (issue 15 item 8): the whole server as
 * `keyless serve` builds it (startServer, real TLS), on SQLite and PostgreSQL. ARM writes and a denied
 * request are found through `GET …/Microsoft.Insights/eventtypes/management/values` with each filter
 * and with paging; a bad filter is a 400 that wrote nothing; client-credential and managed-identity
 * tokens (through the agent API) appear in Graph's `auditLogs/signIns`, which only the directory
 * administrator may read; a wrong secret is a failed sign-in and is never stored.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { systemClock } from '../../src/core/clock.js';
import { addClientSecret } from '../../src/core/directory/bootstrap.js';
import { randomIds } from '../../src/core/ids.js';
import { clientSecretHasher } from '../../src/crypto/secrets.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { activityEventsFor } from '../../src/core/activity/activity-events.js';
import { createDataDir } from '../support/keyless.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { ClientSecretCredential } from '@azure/identity';
import { MonitorClient } from '@azure/arm-monitor';

const API = 'api-version=2015-04-01';
const ARM = 'https://management.azure.com/.default';
const GRAPH = 'https://graph.microsoft.com/.default';

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`activity log and sign-ins [${engine}]`, () => {
    let server: RunningServer;
    let dataDir: string;
    let database: TestDatabase | undefined;
    let base: string;
    let sub: string;
    let admin: { clientId: string; secret: string; objectId: string };
    let other: { clientId: string; secret: string; objectId: string };
    const startedAt = new Date(Date.now() - 1000).toISOString();

    const call = async (method: string, path: string, auth?: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(path.startsWith('https://') ? path : `${base}${path}`, {
        method,
        headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
    };
    const token = async (app: { clientId: string; secret: string }, scope: string) => {
      const res = await fetch(`${base}/${server.bootstrap.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.secret, scope }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const armAs = async (app: { clientId: string; secret: string }) => (await token(app, ARM)).body['access_token'] as string;
    /** az 2.45's filter: unquoted, zone-less UTC timestamps. */
    const azRange = () => `eventTimestamp ge ${startedAt.slice(0, -1)} and eventTimestamp le ${new Date(Date.now() + 1000).toISOString().slice(0, -1)}`;
    const list = async (auth: string, filter: string, select?: string) =>
      call(
        'GET',
        `/subscriptions/${sub}/providers/Microsoft.Insights/eventtypes/management/values?${API}&$filter=${encodeURIComponent(filter)}${select ? `&$select=${encodeURIComponent(select)}` : ''}`,
        auth,
      );

    before(async () => {
      dataDir = await createDataDir();
      database = engine === 'postgres' ? await createTestDatabase() : undefined;
      const databaseUrl = database?.url;
      server = await startServer(loadConfig({ dataDir, host: '127.0.0.1', port: '0', logLevel: 'silent', databaseUrl }, {}));
      base = server.bootstrap.armEndpoint;
      sub = server.bootstrap.subscriptionId;
      const principal = await server.store.principals.getByAppId(server.bootstrap.tenantId, server.bootstrap.clientId);
      admin = { clientId: server.bootstrap.clientId, secret: server.bootstrap.clientSecret, objectId: principal!.objectId };
      // A second application of the tenant with no role and no directory role.
      const objectId = randomUUID();
      const clientId = randomUUID();
      await server.store.principals.insert({
        objectId,
        appId: clientId,
        tenantId: server.bootstrap.tenantId,
        displayName: 'no-rights',
        kind: 'Application',
        resourceId: null,
        createdAt: new Date().toISOString(),
      });
      const { secret } = await addClientSecret(
        { store: server.store, ids: randomIds, clock: systemClock, secrets: clientSecretHasher },
        { tenantId: server.bootstrap.tenantId, appId: clientId },
        'test',
      );
      other = { clientId, secret, objectId };
    });
    after(async () => {
      await server?.stop();
      await rm(dataDir, { recursive: true, force: true });
      await database?.drop();
    });

    it('ARM writes are Started + Succeeded pairs, a denied write one Failed event; every filter az and the REST spec use finds them', async () => {
      const auth = await armAs(admin);
      const rg = `rg-activity-${engine}`;
      const group = await call(
        'PUT',
        `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`,
        auth,
        { location: 'westeurope' },
        { 'x-ms-client-request-id': 'client-req-1' },
      );
      assert.equal(group.status, 201, group.text);
      const identityId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-1`;
      assert.equal((await call('PUT', `${identityId}?api-version=2023-01-31`, auth, { location: 'westeurope' })).status, 201);
      assert.equal((await call('GET', `${identityId}?api-version=2023-01-31`, auth)).status, 200, 'a read, not recorded');
      const denied = await call('PUT', `/subscriptions/${sub}/resourcegroups/rg-denied?api-version=2021-04-01`, await armAs(other), { location: 'westeurope' });
      assert.equal(denied.status, 403);
      assert.equal(denied.json.error.code, 'AuthorizationFailed');
      const deniedRead = await list(await armAs(other), azRange());
      assert.equal(deniedRead.status, 403, 'reading the Activity Log needs Microsoft.Insights/eventtypes/values/read');

      const all = await list(auth, azRange());
      assert.equal(all.status, 200, all.text);
      const events = all.json.value as Record<string, any>[];
      const ofGroup = events.filter((e) => e.resourceId.toLowerCase() === `/subscriptions/${sub}/resourcegroups/${rg}`.toLowerCase());
      assert.deepEqual(ofGroup.map((e) => e.status.value).sort(), ['Started', 'Succeeded']);
      assert.equal(new Set(ofGroup.map((e) => e.correlationId)).size, 1, 'one correlation id per operation');
      const done = ofGroup.find((e) => e.status.value === 'Succeeded')!;
      assert.equal(done.operationName.value, 'Microsoft.Resources/subscriptions/resourceGroups/write');
      assert.equal(done.subStatus.value, 'Created');
      assert.equal(done.caller, admin.objectId);
      assert.equal(done.httpRequest.clientRequestId, 'client-req-1');
      assert.equal(done.httpRequest.method, 'PUT');
      assert.match(done.httpRequest.clientIpAddress, /127\.0\.0\.1/);
      assert.equal(done.category.value, 'Administrative');
      assert.equal(done.subscriptionId, sub);
      assert.equal(done.tenantId, server.bootstrap.tenantId);
      assert.equal(done.claims.appid, admin.clientId);
      assert.ok(!JSON.stringify(events).includes(auth), 'the bearer token is never recorded');
      assert.ok(!events.some((e) => e.httpRequest.method === 'GET' && e.status.value !== 'Failed'), 'allowed reads are not recorded');

      const refused = events.filter((e) => e.caller === other.objectId);
      assert.deepEqual(refused.map((e) => [e.status.value, e.subStatus.value, e.level, e.operationName.value]).sort(), [
        ['Failed', 'Forbidden', 'Error', 'Microsoft.Insights/eventtypes/values/read'],
        ['Failed', 'Forbidden', 'Error', 'Microsoft.Resources/subscriptions/resourceGroups/write'],
      ]);
      assert.equal(JSON.parse(refused.find((e) => e.httpRequest.method === 'PUT')!.properties.statusMessage).error.code, 'AuthorizationFailed');

      // Each filter the REST spec lists, plus az's resourceId, caller and status.
      const ids = (r: { json: { value: { eventDataId: string }[] } }) => r.json.value.map((e) => e.eventDataId).sort();
      const byGroup = await list(auth, `${azRange()} and resourceGroupName eq '${rg.toUpperCase()}'`);
      assert.equal(byGroup.json.value.length, 4, 'group and identity, Started + Succeeded each');
      assert.deepEqual(ids(await list(auth, `${azRange()} and resourceUri eq '${identityId}'`)).length, 2);
      assert.deepEqual(ids(await list(auth, `${azRange()} and resourceId eq '${identityId.toLowerCase()}'`)).length, 2);
      assert.equal((await list(auth, `${azRange()} and resourceProvider eq 'microsoft.managedidentity'`)).json.value.length, 2);
      assert.deepEqual(ids(await list(auth, `${azRange()} and correlationId eq '${done.correlationId}'`)), ofGroup.map((e) => e.eventDataId).sort());
      assert.deepEqual(ids(await list(auth, `${azRange()} and caller eq '${other.objectId}'`)), refused.map((e) => e.eventDataId).sort());
      assert.equal((await list(auth, `${azRange()} and status eq 'Failed'`)).json.value.length, 2);
      const selected = await list(auth, `${azRange()} and correlationId eq '${done.correlationId}'`, 'eventTimestamp , status');
      assert.deepEqual(Object.keys(selected.json.value[0]).sort(), ['eventTimestamp', 'status']);
      const quoted = await list(
        auth,
        `eventTimestamp ge '${startedAt}' and eventTimestamp le '${new Date(Date.now() + 1000).toISOString()}' and resourceGroupName eq '${rg}'`,
      );
      assert.equal(quoted.json.value.length, 4, 'the REST spec’s quoted form');
    });

    it('a bad $filter or $select is a 400 in ARM’s envelope saying what to write, and records nothing', async () => {
      const auth = await armAs(admin);
      await list(auth, azRange()); // writes what this server still buffers
      const count = async () => (await list(auth, `eventTimestamp ge 2000-01-01T00:00:00Z`)).json.value.length;
      const before = await count();
      for (const [filter, message] of [
        ["resourceGroupName eq 'x'", /eventTimestamp ge/],
        ['eventTimestamp ge tomorrow', /ISO 8601/],
        [`${azRange()} or status eq 'Failed'`, /'and' only/],
        [`${azRange()} and level eq 'Error'`, /cannot use the property 'level'/],
      ] as const) {
        const res = await list(auth, filter);
        assert.equal(res.status, 400, filter);
        assert.equal(res.json.error.code, 'BadRequest');
        assert.match(res.json.error.message, message);
      }
      const noFilter = await call('GET', `/subscriptions/${sub}/providers/Microsoft.Insights/eventtypes/management/values?${API}`, auth);
      assert.equal(noFilter.status, 400);
      assert.match(noFilter.json.error.message, /\$filter query parameter is required/);
      const badSelect = await list(auth, azRange(), 'eventTimestamp,password');
      assert.equal(badSelect.status, 400);
      assert.equal(await count(), before, 'refused reads wrote no event');
    });

    it('pages of 200 newest first through nextLink, exactly as the SDKs follow it; a garbled skiptoken is a 400', async () => {
      const auth = await armAs(admin);
      // 450 events of an hour two days ago (inside the retention period: the server prunes older ones), written as the ARM surface would have.
      const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 48 * 3_600_000;
      const hour = (ms: number) => new Date(ms).toISOString();
      const outcomes = Array.from({ length: 225 }, (_, i) => ({
        tenantId: server.bootstrap.tenantId,
        subscriptionId: sub,
        method: 'PUT',
        path: `/subscriptions/${sub}/resourceGroups/rg-paging/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id${i}`,
        action: 'Microsoft.ManagedIdentity/userAssignedIdentities/write',
        callerObjectId: admin.objectId,
        claims: {},
        correlationId: randomUUID(),
        requestId: randomUUID(),
        clientRequestId: undefined,
        clientIp: '10.0.0.1',
        status: 201,
        reachedHandler: true,
        startedAt: t0 + i * 1000,
        finishedAt: t0 + i * 1000 + 10,
      }));
      await server.store.activityEvents.insertMany(outcomes.flatMap((o) => activityEventsFor(o, randomIds)));
      const filter = `eventTimestamp ge '${hour(t0)}' and eventTimestamp le '${hour(t0 + 3_600_000)}' and resourceGroupName eq 'rg-paging'`;
      let page = await list(auth, filter);
      const seen: string[] = [];
      const sizes: number[] = [];
      for (;;) {
        assert.equal(page.status, 200, page.text);
        sizes.push(page.json.value.length);
        seen.push(...page.json.value.map((e: { eventTimestamp: string; eventDataId: string }) => `${e.eventTimestamp} ${e.eventDataId}`));
        if (!page.json.nextLink) break;
        assert.match(page.json.nextLink, /api-version=2015-04-01/);
        page = await call('GET', page.json.nextLink, auth);
      }
      assert.deepEqual(sizes, [200, 200, 50]);
      assert.equal(new Set(seen).size, 450, 'no event twice');
      assert.deepEqual([...seen], [...seen].sort().reverse(), 'newest first');
      // The same pages through the real SDK (@azure/arm-monitor's activityLogs.list follows nextLink itself).
      const credential = new ClientSecretCredential(server.bootstrap.tenantId, admin.clientId, admin.secret, {
        authorityHost: server.bootstrap.authorityHost,
        disableInstanceDiscovery: true,
      });
      const monitor = new MonitorClient(credential, sub, { endpoint: base });
      const viaSdk: string[] = [];
      for await (const e of monitor.activityLogs.list(filter, { select: 'eventTimestamp,eventDataId,status' })) {
        viaSdk.push(`${e.eventTimestamp!.toISOString()} ${e.eventDataId}`);
        assert.equal(e.caller, undefined, '$select honoured');
      }
      assert.deepEqual(viaSdk, seen);
      await assert.rejects(
        async () => {
          for await (const _ of monitor.activityLogs.list('eventTimestamp ge yesterday')) void _;
        },
        (e: { statusCode?: number; code?: string }) => e.statusCode === 400 && e.code === 'BadRequest',
      );
      const garbled = await call(
        'GET',
        `/subscriptions/${sub}/providers/Microsoft.Insights/eventtypes/management/values?${API}&$filter=${encodeURIComponent(filter)}&$skiptoken=abc`,
        auth,
      );
      assert.equal(garbled.status, 400);
    });

    it('sign-ins: client credentials and a managed identity through the agent API are in Graph; a wrong secret is a failed sign-in; only the admin reads them', async () => {
      const auth = await armAs(admin);
      // A failed sign-in of a known client: Entra's AADSTS7000215.
      const wrong = `wrong-${randomUUID()}`;
      const bad = await token({ clientId: other.clientId, secret: wrong }, ARM);
      assert.equal(bad.status, 401);
      // A VM with a system-assigned identity; its agent joins and takes a Key Vault token.
      const rg = `rg-mi-${engine}`;
      assert.equal((await call('PUT', `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`, auth, { location: 'westeurope' })).status, 201);
      const vmId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/vm1`;
      const vm = await call('PUT', `${vmId}?api-version=2024-07-01`, auth, {
        location: 'westeurope',
        identity: { type: 'SystemAssigned' },
        properties: { hardwareProfile: { vmSize: 'Standard_B1s' } },
      });
      assert.ok([200, 201].includes(vm.status), vm.text);
      const join = await call('POST', `${vmId}/keylessAgentJoin?api-version=2024-07-01`, auth);
      assert.equal(join.status, 200, join.text);
      const hostKey = (await call('POST', '/keyless/agent/v1/join', undefined, { joinToken: join.json.joinToken })).json.hostKey as string;
      const mi = await fetch(`${base}/keyless/agent/v1/token`, {
        method: 'POST',
        headers: { authorization: `KeylessHost ${hostKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ identity: { kind: 'system' }, resource: 'https://vault.azure.net' }),
      });
      assert.equal(mi.status, 200);
      const miToken = (await mi.json()) as { objectId: string; clientId: string; accessToken: string };

      const graph = (await token(admin, GRAPH)).body['access_token'] as string;
      const all = await call('GET', `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(`createdDateTime ge ${startedAt}`)}`, graph);
      assert.equal(all.status, 200, all.text);
      const signIns = all.json.value as Record<string, any>[];
      const adminSignIn = signIns.find((s) => s.appId === admin.clientId && s.resourceDisplayName === 'https://management.azure.com');
      assert.ok(adminSignIn, `the admin’s ARM token in ${JSON.stringify(signIns.map((s) => [s.appId, s.resourceDisplayName]))}`);
      assert.equal(adminSignIn.status.errorCode, 0);
      assert.equal(adminSignIn.servicePrincipalId, admin.objectId);
      assert.deepEqual(adminSignIn.signInEventTypes, ['servicePrincipal']);
      assert.equal(adminSignIn.clientCredentialType, 'clientSecret');
      assert.match(adminSignIn.ipAddress, /127\.0\.0\.1/);
      assert.ok(adminSignIn.uniqueTokenIdentifier);

      const failed = signIns.find((s) => s.appId === other.clientId && s.status.errorCode !== 0);
      assert.ok(failed, 'the wrong secret is a failed sign-in');
      assert.equal(failed.status.errorCode, 7000215);
      assert.equal(failed.resourceDisplayName, 'https://management.azure.com');
      const text = JSON.stringify(all.json);
      assert.ok(!text.includes(wrong) && !text.includes(other.secret) && !text.includes(miToken.accessToken), 'no secret or token in the sign-in log');

      // Beta: managed-identity sign-ins by signInEventTypes, with the identity and the host.
      const beta = await call('GET', `/beta/auditLogs/signIns?$filter=${encodeURIComponent("signInEventTypes/any(t: t eq 'managedIdentity')")}`, graph);
      assert.equal(beta.status, 200, beta.text);
      const miSignIn = (beta.json.value as Record<string, any>[]).find((s) => s.servicePrincipalId === miToken.objectId);
      assert.ok(miSignIn, 'the VM identity’s token');
      assert.equal(miSignIn.appId, miToken.clientId);
      assert.equal(miSignIn.resourceDisplayName, 'https://vault.azure.net');
      assert.equal(miSignIn.clientCredentialType, 'managedIdentity');
      assert.equal(miSignIn.managedServiceIdentity.msiType, 'systemAssigned');
      assert.equal(miSignIn.managedServiceIdentity.associatedResourceId.toLowerCase(), vmId.toLowerCase(), 'the host whose agent asked');
      assert.ok((beta.json.value as { signInEventTypes: string[] }[]).every((s) => s.signInEventTypes[0] === 'managedIdentity'));
      const onlyOther = await call('GET', `/graph/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(`appId eq '${other.clientId}'`)}`, graph);
      assert.ok(onlyOther.json.value.length >= 1 && onlyOther.json.value.every((s: { appId: string }) => s.appId === other.clientId));
      const byPrincipal = await call('GET', `/beta/auditLogs/signIns?$filter=${encodeURIComponent(`servicePrincipalId eq '${miToken.objectId}'`)}`, graph);
      assert.equal(byPrincipal.json.value.length, 1);

      // Paging with $top and @odata.nextLink.
      let page = await call('GET', `/v1.0/auditLogs/signIns?$top=2`, graph);
      const seen = new Set<string>();
      let pages = 0;
      for (;;) {
        pages++;
        for (const s of page.json.value) seen.add(s.id);
        if (!page.json['@odata.nextLink']) break;
        page = await call('GET', page.json['@odata.nextLink'], graph);
      }
      assert.ok(pages >= 2);
      assert.equal(seen.size, (await call('GET', `/v1.0/auditLogs/signIns`, graph)).json.value.length, 'every sign-in once');

      // Anyone but the directory administrator: Graph's 403.
      const otherGraph = (await token(other, GRAPH)).body['access_token'] as string;
      const refused = await call('GET', `/v1.0/auditLogs/signIns`, otherGraph);
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error.code, 'Authorization_RequestDenied');
      assert.equal((await call('GET', `/beta/auditLogs/signIns`, otherGraph)).status, 403);
      const badFilter = await call('GET', `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent("userId eq 'x'")}`, graph);
      assert.equal(badFilter.status, 400);
      assert.match(badFilter.json.error.message, /Invalid filter clause/);
    });
  });
}
