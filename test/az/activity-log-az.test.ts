/**
 * `az monitor activity-log list` (Debian's az 2.45) against a Keyless server started as a user does:
 * the admin's writes (a group, an identity, a deletion) and a service principal's denied write are
 * listed with `--resource-group … --offset 1h`, `--correlation-id`, `--caller`, `--status`,
 * `--namespace`, `--resource-id` and `--select`, with az's own filter text (unquoted zone-less
 * timestamps). Then `az rest` reads Graph's sign-in logs: the admin may, the service principal may not.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { azSession, azUnavailable, ok, type AzSession } from './helpers.js';

const skip = azUnavailable();

describe('az monitor activity-log list and the sign-in logs', { skip, timeout: 300_000 }, () => {
  let server: RunningKeyless;
  let admin: AzSession;
  let setupLines: string;
  let bot: { appId: string; password: string; tenant: string };
  let groupId: string;

  before(async () => {
    server = await startKeyless({ via: 'node' });
    admin = await azSession(server);
    setupLines = (await promisify(execFile)(process.execPath, [join(ROOT, 'bin/keyless.js'), 'az-setup', '--data-dir', server.dataDir])).stdout;
    ok(await admin.sh(setupLines), 'az setup and login');
    groupId = ok(await admin.az(['group', 'create', '-n', 'activityGroup', '-l', 'westus2', '-o', 'json']), 'group').json.id;
    ok(await admin.az(['identity', 'create', '-n', 'activityIdentity', '-g', 'activityGroup', '-o', 'none']), 'identity');
    ok(await admin.az(['identity', 'delete', '-n', 'activityIdentity', '-g', 'activityGroup']), 'identity delete');
    bot = ok(await admin.az(['ad', 'sp', 'create-for-rbac', '--name', 'activity-bot', '--role', 'Reader', '--scopes', groupId, '-o', 'json']), 'bot').json;
  });
  after(async () => {
    await server?.dispose();
  });

  it('lists the writes of a resource group with --offset, newest first, Started and Succeeded per operation', async () => {
    const events = ok(await admin.az(['monitor', 'activity-log', 'list', '--resource-group', 'activityGroup', '--offset', '1h', '-o', 'json']), 'list')
      .json as {
      operationName: { value: string };
      status: { value: string };
      eventTimestamp: string;
      correlationId: string;
      caller: string;
      resourceGroupName: string;
    }[];
    const ops = events.map((e) => `${e.operationName.value} ${e.status.value}`);
    for (const op of [
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      'Microsoft.ManagedIdentity/userAssignedIdentities/write',
      'Microsoft.ManagedIdentity/userAssignedIdentities/delete',
    ]) {
      assert.ok(ops.includes(`${op} Started`), `${op} Started in ${ops.join(', ')}`);
      assert.ok(ops.includes(`${op} Succeeded`), `${op} Succeeded`);
    }
    assert.ok(
      events.every((e) => e.resourceGroupName.toLowerCase() === 'activitygroup'),
      'only this group',
    );
    const times = events.map((e) => e.eventTimestamp);
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');

    const deletion = events.find((e) => e.operationName.value.endsWith('/delete') && e.status.value === 'Succeeded')!;
    const byCorrelation = ok(
      await admin.az(['monitor', 'activity-log', 'list', '--correlation-id', deletion.correlationId, '-o', 'json']),
      'by correlation',
    ).json;
    assert.deepEqual(byCorrelation.map((e: { status: { value: string } }) => e.status.value).sort(), ['Started', 'Succeeded']);
    const selected = ok(
      await admin.az(['monitor', 'activity-log', 'list', '--correlation-id', deletion.correlationId, '--select', 'eventTimestamp', 'status', '-o', 'json']),
      '--select',
    ).json;
    assert.equal(selected[0].caller, null, 'unselected properties are absent (az prints null)');
    assert.ok(selected[0].status.value);
    const byNamespace = ok(
      await admin.az(['monitor', 'activity-log', 'list', '--namespace', 'Microsoft.ManagedIdentity', '--offset', '1h', '-o', 'json']),
      'namespace',
    ).json;
    assert.equal(byNamespace.length, 4);
    const identityId = `${groupId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/activityIdentity`;
    assert.equal(ok(await admin.az(['monitor', 'activity-log', 'list', '--resource-id', identityId, '-o', 'json']), 'resource id').json.length, 4);
  });

  it("shows a service principal's denied write (Failed, Forbidden) by --caller and --status; the bot may not read the log", async () => {
    const botAz = await azSession(server);
    ok(
      await botAz.sh(setupLines.replace(/^az login .*$/m, `az login --service-principal -u ${bot.appId} -p '${bot.password}' --tenant ${bot.tenant} -o none`)),
      'bot login',
    );
    const denied = await botAz.az(['group', 'create', '-n', 'botGroup', '-l', 'westus2']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /AuthorizationFailed/);
    const botObjectId = ok(await admin.az(['ad', 'sp', 'show', '--id', bot.appId, '--query', 'id', '-o', 'tsv']), 'bot oid').stdout.trim();

    const failed = ok(
      await admin.az(['monitor', 'activity-log', 'list', '--caller', botObjectId, '--status', 'Failed', '--offset', '1h', '-o', 'json']),
      'failed',
    ).json;
    const write = failed.find((e: { operationName: { value: string } }) => e.operationName.value === 'Microsoft.Resources/subscriptions/resourceGroups/write');
    assert.ok(write, JSON.stringify(failed));
    assert.equal(write.subStatus.value, 'Forbidden');
    assert.equal(write.level, 'Error');
    assert.equal(JSON.parse(write.properties.statusMessage).error.code, 'AuthorizationFailed');

    const refused = await botAz.az(['monitor', 'activity-log', 'list', '--offset', '1h']);
    assert.equal(refused.code, 1, 'Reader of one group only: not of the subscription');
    assert.match(refused.stderr, /AuthorizationFailed/);
  });

  it('a bad time range is refused by the server with a message az prints', async () => {
    const bad = await admin.az(['monitor', 'activity-log', 'list', '--start-time', '2026-01-02T00:00:00Z', '--end-time', '2026-01-01T00:00:00Z']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /time range is empty/);
  });

  it('az rest reads the sign-in logs as the admin (client-credential sign-ins of both principals); the bot gets 403', async () => {
    const signIns = ok(
      await admin.az(['rest', '--method', 'get', '--url', '/beta/auditLogs/signIns?$top=500', '--resource', 'https://graph.microsoft.com/', '-o', 'json']),
      'sign-ins',
    );
    const apps = new Set((signIns.json.value as { appId: string }[]).map((s) => s.appId));
    assert.ok(apps.has(bot.appId), 'the bot’s az login');
    // The README's command, as written: managed-identity sign-ins only (none here: no agent ran).
    const readme = ok(
      await admin.sh(
        `az rest --method get --resource https://graph.microsoft.com/ --url "/beta/auditLogs/signIns?\\$filter=signInEventTypes/any(t: t eq 'managedIdentity')" -o json`,
      ),
      'README command',
    );
    assert.deepEqual(readme.json.value, []);
    const spOnly = ok(
      await admin.sh(
        `az rest --method get --resource https://graph.microsoft.com/ --url "/beta/auditLogs/signIns?\\$filter=signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq '${bot.appId}'" -o json`,
      ),
      'service-principal sign-ins of the bot',
    );
    assert.ok(spOnly.json.value.length >= 1 && spOnly.json.value.every((s: { appId: string }) => s.appId === bot.appId));
    const botAz = await azSession(server);
    ok(
      await botAz.sh(setupLines.replace(/^az login .*$/m, `az login --service-principal -u ${bot.appId} -p '${bot.password}' --tenant ${bot.tenant} -o none`)),
      'bot login',
    );
    const refused = await botAz.az(['rest', '--method', 'get', '--url', '/v1.0/auditLogs/signIns', '--resource', 'https://graph.microsoft.com/']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Authorization_RequestDenied|Insufficient privileges/);
  });
});
