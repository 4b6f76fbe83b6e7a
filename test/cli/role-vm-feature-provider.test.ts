/**
 * `keyless feature|provider|role|vm` with the real binary against a real server: the AKS preview
 * seed's commands verbatim (az → keyless), the seed's role assignment, custom roles from az's JSON
 * format, and a VM whose system identity gets a role through `--assign-identity --role --scope`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, startCliServer, type CliServer } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('keyless feature, provider, role and vm', () => {
  let cli: CliServer;
  let sub: string;
  let tmp: string;
  const ok = async (args: string[]) => {
    const r = await cli.run(args);
    assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    cli = await startCliServer();
    sub = cli.server.bootstrap.subscriptionId;
    tmp = await mkdtemp(join(tmpdir(), 'keyless-role-'));
    await ok(['group', 'create', '--name', 'myResourceGroup', '--location', 'westus2']);
  });
  after(async () => {
    await cli?.dispose();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('runs the AKS preview steps: feature register, feature list --query -o table, provider register', async () => {
    // az feature register --name MSIPreview --namespace Microsoft.ContainerService
    const registered = await ok(['feature', 'register', '--name', 'MSIPreview', '--namespace', 'Microsoft.ContainerService']);
    assert.deepEqual(json(registered), {
      id: `/subscriptions/${sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/MSIPreview`,
      name: 'Microsoft.ContainerService/MSIPreview',
      properties: { state: 'Registered' },
      type: 'Microsoft.Features/providers/features',
    });
    assert.equal(
      registered.stderr,
      "WARNING: Once the feature 'MSIPreview' is registered, invoking 'keyless provider register -n Microsoft.ContainerService' is required to get the change propagated\n",
    );

    // az feature list -o table --query "[?contains(name, 'Microsoft.ContainerService/MSIPreview')].{Name:name,State:properties.state}"
    const table = await cli.shell(
      `keyless feature list -o table --query "[?contains(name, 'Microsoft.ContainerService/MSIPreview')].{Name:name,State:properties.state}"`,
    );
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(
      table.stdout.split('\n').map((l) => l.split(/\s{2,}/)),
      [['Name', 'State'], [`${'-'.repeat(37)}`, '-'.repeat(10)], ['Microsoft.ContainerService/MSIPreview', 'Registered'], ['']],
    );

    // az provider register --namespace Microsoft.ContainerService: prints nothing once registered.
    // Keyless serves Microsoft.ContainerService, so it starts out Registered; registering again is harmless.
    const before = json(await ok(['provider', 'show', '-n', 'Microsoft.ContainerService']));
    assert.equal(before['registrationState'], 'Registered');
    const provider = await ok(['provider', 'register', '--namespace', 'Microsoft.ContainerService']);
    assert.deepEqual([provider.stdout, provider.stderr], ['', '']);
    const state = await ok(['provider', 'show', '-n', 'Microsoft.ContainerService', '--query', 'registrationState', '-o', 'tsv']);
    assert.equal(state.stdout, 'Registered\n');
  });

  it('shows features and providers with az table columns and not-found exit codes', async () => {
    const show = await ok(['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'PodIdentityPreview', '-o', 'table']);
    assert.match(show.stdout, /^Name\s+RegistrationState\n-+\s+-+\nMicrosoft\.ContainerService\/PodIdentityPreview\s+NotRegistered\n$/);
    const missing = await cli.run(['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'Nope']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^ERROR: \(FeatureNotFound\) The feature 'Nope' could not be found\.\nCode: FeatureNotFound\n/);
    const byNamespace = json<{ name: string }[]>(await ok(['feature', 'list', '--namespace', 'Microsoft.ContainerService']));
    assert.ok(byNamespace.length > 1 && byNamespace.every((f) => f.name.startsWith('Microsoft.ContainerService/')));

    const providers = await ok(['provider', 'list', '-o', 'table']);
    const [header, , ...rows] = providers.stdout.trimEnd().split('\n');
    assert.deepEqual(header!.split(/\s{2,}/), ['Namespace', 'RegistrationPolicy', 'RegistrationState']);
    assert.ok(rows.some((r) => /^Microsoft\.ManagedIdentity\s+RegistrationRequired\s+Registered$/.test(r)));
    const noNs = await cli.run(['provider', 'show', '-n', 'Microsoft.Nope']);
    assert.equal(noNs.code, 3);
    assert.match(noNs.stderr, /\(InvalidResourceNamespace\)/);
    const usage = await cli.run(['feature', 'register', '--name', 'MSIPreview']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /the following arguments are required: --namespace/);
  });

  it('runs the seed role assignment and lists it with principalName and roleDefinitionName', async () => {
    const identity = json(await ok(['identity', 'create', '--name', 'myIdentity', '--resource-group', 'myResourceGroup']));
    const principalId = String(identity['principalId']);
    const groupId = `/subscriptions/${sub}/resourceGroups/myResourceGroup`;
    // az role assignment create --assignee <principal-id> --role "Contributor" --scope <group-id>
    const created = json(await ok(['role', 'assignment', 'create', '--assignee', principalId, '--role', 'Contributor', '--scope', groupId]));
    assert.match(String(created['name']), UUID);
    assert.equal(created['id'], `${groupId}/providers/Microsoft.Authorization/roleAssignments/${created['name']}`);
    assert.equal(created['principalId'], principalId);
    assert.equal(created['roleDefinitionId'], `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c`);
    assert.equal(created['scope'], groupId);
    assert.equal(created['resourceGroup'], 'myResourceGroup');
    assert.equal(created['type'], 'Microsoft.Authorization/roleAssignments');
    assert.equal(created['properties'], undefined, 'az flattens properties');

    const listed = json<Record<string, unknown>[]>(await ok(['role', 'assignment', 'list', '--assignee', principalId, '-g', 'myResourceGroup']));
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!['roleDefinitionName'], 'Contributor');
    // As az does for a service principal: its first servicePrincipalName, the appId (from Graph's getByIds).
    assert.equal(listed[0]!['principalName'], identity['clientId']);
    // Without --all the default scope is the subscription, where this assignment is not.
    assert.deepEqual(json(await ok(['role', 'assignment', 'list', '--assignee', principalId])), []);
    assert.equal(json<unknown[]>(await ok(['role', 'assignment', 'list', '--all', '--assignee', principalId])).length, 1);
    // The admin's Owner at the subscription is inherited by the group.
    const inherited = json<Record<string, unknown>[]>(await ok(['role', 'assignment', 'list', '-g', 'myResourceGroup', '--include-inherited']));
    assert.ok(inherited.some((a) => a['roleDefinitionName'] === 'Owner' && a['scope'] === `/subscriptions/${sub}`));
    const table = await ok(['role', 'assignment', 'list', '-g', 'myResourceGroup', '-o', 'table']);
    assert.deepEqual(table.stdout.split('\n')[0]!.split(/\s{2,}/), ['Principal', 'Role', 'Scope']);
    assert.ok(
      table.stdout.split('\n').some((l) => l.startsWith(`${identity['clientId']}  `) && l.includes('Contributor')),
      table.stdout,
    );

    await ok(['role', 'assignment', 'delete', '--assignee', principalId, '--role', 'Contributor', '--scope', groupId]);
    assert.deepEqual(json(await ok(['role', 'assignment', 'list', '--all', '--assignee', principalId])), []);

    // --assignee also takes the appId (az looks it up as a service principal name in Graph).
    const clientId = String(identity['clientId']);
    const byAppId = json(await ok(['role', 'assignment', 'create', '--assignee', clientId, '--role', 'Reader', '--scope', groupId]));
    assert.equal(byAppId['principalId'], principalId);
    assert.equal(byAppId['principalType'], 'ServicePrincipal');
    const listedByAppId = json<Record<string, unknown>[]>(await ok(['role', 'assignment', 'list', '--all', '--assignee', clientId]));
    assert.deepEqual(
      listedByAppId.map((a) => [a['principalId'], a['principalName'], a['roleDefinitionName']]),
      [[principalId, clientId, 'Reader']],
    );
    await ok(['role', 'assignment', 'delete', '--assignee', clientId, '--role', 'Reader', '--scope', groupId]);
    const nobody = '00000000-0000-4000-8000-00000000abcd';
    const unknownAssignee = await cli.run(['role', 'assignment', 'create', '--assignee', nobody, '--role', 'Reader', '--scope', groupId]);
    assert.equal(unknownAssignee.code, 1);
    assert.match(unknownAssignee.stderr, new RegExp(`^ERROR: Cannot find user or service principal in graph database for '${nobody}'\\.`, 'm'));
    const unknownRole = await cli.run(['role', 'assignment', 'create', '--assignee', principalId, '--role', 'No Such Role', '--scope', groupId]);
    assert.equal(unknownRole.code, 1);
    assert.match(unknownRole.stderr, /^ERROR: Role 'No Such Role' doesn't exist\.$/m);
  });

  it('creates, lists, updates and deletes a custom role from az JSON', async () => {
    const file = join(tmp, 'role.json');
    await writeFile(
      file,
      JSON.stringify({
        Name: 'Identity Reader',
        Description: 'Reads identities.',
        Actions: ['Microsoft.ManagedIdentity/userAssignedIdentities/read'],
        NotActions: [],
        DataActions: [],
        NotDataActions: [],
        AssignableScopes: [`/subscriptions/${sub}`],
      }),
    );
    const created = json(await ok(['role', 'definition', 'create', '--role-definition', `@${file}`]));
    assert.equal(created['roleName'], 'Identity Reader');
    assert.equal(created['roleType'], 'CustomRole');
    assert.equal(created['type'], 'Microsoft.Authorization/roleDefinitions');
    assert.deepEqual(created['assignableScopes'], [`/subscriptions/${sub}`]);
    assert.deepEqual(created['permissions'], [
      {
        actions: ['Microsoft.ManagedIdentity/userAssignedIdentities/read'],
        condition: null,
        conditionVersion: null,
        dataActions: [],
        notActions: [],
        notDataActions: [],
      },
    ]);

    const custom = json<Record<string, unknown>[]>(await ok(['role', 'definition', 'list', '--custom-role-only']));
    assert.deepEqual(
      custom.map((d) => d['roleName']),
      ['Identity Reader'],
    );
    assert.equal(json(await ok(['role', 'definition', 'list', '--name', 'Reader']))[0 as never]!['roleType' as never], 'BuiltInRole');

    await writeFile(
      file,
      JSON.stringify({
        Name: 'Identity Reader',
        Description: 'Reads identities, now with operations.',
        Actions: ['Microsoft.ManagedIdentity/*/read'],
        AssignableScopes: [`/subscriptions/${sub}`],
      }),
    );
    const updated = json(await ok(['role', 'definition', 'update', '--role-definition', `@${file}`]));
    assert.equal(updated['name'], created['name'], 'update keeps the GUID');
    assert.equal(updated['description'], 'Reads identities, now with operations.');

    await ok(['role', 'definition', 'delete', '--name', 'Identity Reader']);
    assert.deepEqual(json(await ok(['role', 'definition', 'list', '--custom-role-only'])), []);
  });

  it('creates a VM with a system identity holding a role at a scope, and manages its identities', async () => {
    const groupId = `/subscriptions/${sub}/resourceGroups/myResourceGroup`;
    const uami = json(await ok(['identity', 'create', '--name', 'vmIdentity', '--resource-group', 'myResourceGroup']));
    const created = json(
      await ok([
        'vm',
        'create',
        '-g',
        'myResourceGroup',
        '-n',
        'myVM',
        '--image',
        'Ubuntu2204',
        '--admin-username',
        'azureuser',
        '--generate-ssh-keys',
        '--assign-identity',
        '[system]',
        String(uami['id']),
        '--role',
        'Reader',
        '--scope',
        groupId,
      ]),
    );
    assert.equal(created['id'], `${groupId}/providers/Microsoft.Compute/virtualMachines/myVM`);
    assert.equal(created['location'], 'westus2');
    assert.equal(created['powerState'], 'VM running');
    const identity = created['identity'] as Record<string, unknown>;
    assert.equal(identity['role'], 'Reader');
    assert.equal(identity['scope'], groupId);
    assert.match(String(identity['systemAssignedIdentity']), UUID);
    assert.deepEqual(identity['userAssignedIdentities'], { [String(uami['id'])]: { clientId: uami['clientId'], principalId: uami['principalId'] } });

    const roles = json<Record<string, unknown>[]>(
      await ok(['role', 'assignment', 'list', '--assignee', String(identity['systemAssignedIdentity']), '--scope', groupId]),
    );
    assert.deepEqual(
      roles.map((r) => r['roleDefinitionName']),
      ['Reader'],
    );

    const shown = json(await ok(['vm', 'show', '-g', 'myResourceGroup', '-n', 'myVM']));
    assert.equal(shown['resourceGroup'], 'myResourceGroup');
    assert.deepEqual((shown['storageProfile'] as Record<string, unknown>)['imageReference'], {
      publisher: 'Canonical',
      offer: '0001-com-ubuntu-server-jammy',
      sku: '22_04-lts-gen2',
      version: 'latest',
    });
    const principal = await cli.shell('keyless vm identity show -g myResourceGroup -n myVM --query principalId -o tsv');
    assert.equal(principal.stdout.trim(), identity['systemAssignedIdentity']);

    const removed = json(await ok(['vm', 'identity', 'remove', '-g', 'myResourceGroup', '-n', 'myVM', '--identities', 'vmIdentity']));
    assert.equal(removed['type'], 'SystemAssigned');
    assert.equal(removed['userAssignedIdentities'], undefined);
    const assigned = json(await ok(['vm', 'identity', 'assign', '-g', 'myResourceGroup', '-n', 'myVM', '--identities', 'vmIdentity']));
    assert.deepEqual(Object.keys(assigned['userAssignedIdentities'] as object), [String(uami['id'])]);
    assert.equal(assigned['systemAssignedIdentity'], identity['systemAssignedIdentity']);

    const list = await ok(['vm', 'list', '-g', 'myResourceGroup', '-o', 'table']);
    assert.match(list.stdout, /^Name\s+ResourceGroup\s+Location\s+Zones\n[- ]+\nmyVM\s+myResourceGroup\s+westus2\s*\n$/);
    await ok(['vm', 'delete', '-g', 'myResourceGroup', '-n', 'myVM', '--yes']);
    const gone = await cli.run(['vm', 'show', '-g', 'myResourceGroup', '-n', 'myVM']);
    assert.equal(gone.code, 3);
  });
});
