/**
 * The seed walkthroughs' commands (shared/seeds: AKS managed identity), verbatim apart from
 * `az` → `keyless` and placeholder values, run with the real binary against a real server; outputs
 * checked field by field against az's shapes.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, startCliServer, type CliServer } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('seed walkthrough with `keyless` in place of `az`', () => {
  let cli: CliServer;
  let subscriptionId: string;
  let tenantId: string;

  before(async () => {
    cli = await startCliServer();
    subscriptionId = cli.server.bootstrap.subscriptionId;
    tenantId = cli.server.bootstrap.tenantId;
  });
  after(async () => {
    await cli?.dispose();
  });

  it('keeps the signed-in profile and tokens owner-only in KEYLESS_CONFIG_DIR', () => {
    for (const f of ['profile.json', 'tokens.json']) assert.equal(statSync(join(cli.configDir, f)).mode & 0o777, 0o600, f);
    assert.equal(statSync(cli.configDir).mode & 0o777, 0o700);
  });

  it('account show / list / set print az account objects', async () => {
    const shown = await cli.run(['account', 'show']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(json(shown), {
      environmentName: 'Keyless',
      homeTenantId: tenantId,
      id: subscriptionId,
      isDefault: true,
      managedByTenants: [],
      name: 'Keyless Subscription',
      state: 'Enabled',
      tenantId,
      user: { name: cli.server.bootstrap.clientId, type: 'servicePrincipal' },
    });
    const listed = json<Record<string, unknown>[]>(await cli.run(['account', 'list']));
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.cloudName, 'Keyless');
    // az account set --subscription <id>: prints nothing, exit 0.
    const set = await cli.run(['account', 'set', '--subscription', subscriptionId]);
    assert.deepEqual([set.code, set.stdout], [0, '']);
    const byName = await cli.run(['account', 'set', '-s', 'keyless subscription']);
    assert.equal(byName.code, 0, byName.stderr);
    const unknown = await cli.run(['account', 'set', '--subscription', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^ERROR: Subscription 'nope' not found\. Check the spelling and casing and try again\.$/m);
  });

  it('keyless group create --name myResourceGroup --location westus2', async () => {
    const r = await cli.run(['group', 'create', '--name', 'myResourceGroup', '--location', 'westus2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(json(r), {
      id: `/subscriptions/${subscriptionId}/resourceGroups/myResourceGroup`,
      location: 'westus2',
      managedBy: null,
      name: 'myResourceGroup',
      properties: { provisioningState: 'Succeeded' },
      tags: {},
      type: 'Microsoft.Resources/resourceGroups',
    });
    // az prints JSON with 2-space indentation and sorted keys.
    assert.ok(r.stdout.startsWith('{\n  "id": '));
  });

  it('keyless identity create --name myIdentity --resource-group myResourceGroup (location from the group)', async () => {
    const r = await cli.run(['identity', 'create', '--name', 'myIdentity', '--resource-group', 'myResourceGroup']);
    assert.equal(r.code, 0, r.stderr);
    const identity = json(r);
    assert.deepEqual(Object.keys(identity), [
      'clientId',
      'clientSecretUrl',
      'id',
      'location',
      'name',
      'principalId',
      'resourceGroup',
      'tags',
      'tenantId',
      'type',
    ]);
    assert.match(String(identity.clientId), UUID);
    assert.match(String(identity.principalId), UUID);
    assert.equal(
      identity.id,
      `/subscriptions/${subscriptionId}/resourceGroups/myResourceGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity`,
    );
    assert.equal(identity.location, 'westus2');
    assert.equal(identity.name, 'myIdentity');
    assert.equal(identity.resourceGroup, 'myResourceGroup');
    assert.deepEqual(identity.tags, {});
    assert.equal(identity.tenantId, tenantId);
    assert.equal(identity.type, 'Microsoft.ManagedIdentity/userAssignedIdentities');
  });

  it('$(keyless identity show … --query principalId -o tsv) gives the bare id to a shell script', async () => {
    const r = await cli.shell(
      'PRINCIPAL_ID=$(keyless identity show --name myIdentity --resource-group myResourceGroup --query principalId -o tsv); echo "[$PRINCIPAL_ID]"',
    );
    assert.equal(r.code, 0, r.stderr);
    const shown = json(await cli.run(['identity', 'show', '-n', 'myIdentity', '-g', 'myResourceGroup']));
    assert.equal(r.stdout, `[${shown.principalId}]\n`);
    const byId = json(await cli.run(['identity', 'show', '--ids', String(shown.id)]));
    assert.deepEqual(byId, shown);
  });

  it('lists, tags and deletes identities', async () => {
    await cli.run(['identity', 'create', '-n', 'myKubeletIdentity', '-g', 'myResourceGroup', '-l', 'eastus', '--tags', 'role=kubelet']);
    const list = json<Record<string, unknown>[]>(await cli.run(['identity', 'list', '-g', 'myResourceGroup']));
    assert.deepEqual(list.map((i) => [i.name, i.location, i.resourceGroup]).sort(), [
      ['myIdentity', 'westus2', 'myResourceGroup'],
      ['myKubeletIdentity', 'eastus', 'myResourceGroup'],
    ]);
    const updated = json(await cli.run(['identity', 'update', '-n', 'myKubeletIdentity', '-g', 'myResourceGroup', '--tags', 'role=kubelet', 'env=test']));
    assert.deepEqual(updated.tags, { role: 'kubelet', env: 'test' });
    const deleted = await cli.run(['identity', 'delete', '-n', 'myKubeletIdentity', '-g', 'myResourceGroup']);
    assert.deepEqual([deleted.code, deleted.stdout], [0, '']);
    const gone = await cli.run(['identity', 'show', '-n', 'myKubeletIdentity', '-g', 'myResourceGroup']);
    assert.equal(gone.code, 3, 'az exits 3 when a show command finds nothing');
    assert.match(gone.stderr, /^ERROR: \(ResourceNotFound\) /m);
    const ops = json<{ name: string }[]>(await cli.run(['identity', 'list-operations']));
    assert.ok(ops.some((o) => o.name === 'Microsoft.ManagedIdentity/userAssignedIdentities/read'));
  });

  it('group exists / update / list / delete --yes (long-running) like az', async () => {
    assert.equal((await cli.run(['group', 'exists', '-n', 'myResourceGroup'])).stdout, 'true\n');
    assert.equal((await cli.run(['group', 'exists', '-n', 'otherGroup'])).stdout, 'false\n');
    const tagged = json(await cli.run(['group', 'update', '--resource-group', 'myResourceGroup', '--tags', 'env=prod']));
    assert.deepEqual(tagged.tags, { env: 'prod' });
    const set = json(await cli.run(['group', 'update', '-n', 'myResourceGroup', '--set', 'tags.owner=me']));
    assert.deepEqual(set.tags, { env: 'prod', owner: 'me' });
    await cli.run(['group', 'create', '-n', 'scratch', '-l', 'westus2']);
    const names = json<{ name: string }[]>(await cli.run(['group', 'list']))
      .map((g) => g.name)
      .sort();
    assert.deepEqual(names, ['myResourceGroup', 'scratch']);
    const filtered = json<{ name: string }[]>(await cli.run(['group', 'list', '--tag', 'owner=me']));
    assert.deepEqual(
      filtered.map((g) => g.name),
      ['myResourceGroup'],
    );

    const noTty = await cli.run(['group', 'delete', '-n', 'scratch']);
    assert.equal(noTty.code, 1);
    assert.match(noTty.stderr, /Unable to prompt for confirmation as no tty available\. Use --yes\./);
    const deleted = await cli.run(['group', 'delete', '--name', 'myResourceGroup', '--yes']);
    assert.deepEqual([deleted.code, deleted.stdout, deleted.stderr], [0, '', ''], 'no spinner when piped');
    assert.equal((await cli.run(['group', 'exists', '-n', 'myResourceGroup'])).stdout, 'false\n');
    const gone = await cli.run(['identity', 'show', '-n', 'myIdentity', '-g', 'myResourceGroup']);
    assert.notEqual(gone.code, 0, 'deleting the group removed its identity');

    const noWait = await cli.run(['group', 'delete', '-n', 'scratch', '-y', '--no-wait']);
    assert.deepEqual([noWait.code, noWait.stdout], [0, '']);
  });

  it('shows az\'s "Running .." progress for a long-running delete on a terminal only', async () => {
    await cli.run(['group', 'create', '-n', 'ttyGroup', '-l', 'westus2']);
    await cli.run(['identity', 'create', '-n', 'ttyIdentity', '-g', 'ttyGroup']);
    // script(1) gives the command a pseudo-terminal, as an interactive shell would.
    const r = await cli.shell(`script -qec "keyless group delete -n ttyGroup --yes" /dev/null`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Running \.\./);
    assert.equal((await cli.run(['group', 'exists', '-n', 'ttyGroup'])).stdout, 'false\n');
  });

  it('runs as `npx keyless` too', async () => {
    const r = await cli.run(['group', 'create', '--name', 'npxGroup', '--location', 'westus2', '--query', 'name', '-o', 'tsv'], { via: 'npx' });
    assert.deepEqual([r.code, r.stdout], [0, 'npxGroup\n'], r.stderr);
  });
});
