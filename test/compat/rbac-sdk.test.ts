/**
 * RBAC through the real `@azure/arm-authorization` 9.0.0 SDK against `npx keyless serve`: role
 * definitions list/get, role assignments create / list with each filter / get / delete, and a
 * service principal that gets AuthorizationFailed until it is assigned a role.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential } from '@azure/identity';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { addTestApp, type TestApp } from './rbac-fixture.js';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';

describe('RBAC with @azure/arm-authorization against keyless serve', () => {
  let server: RunningKeyless;
  let admin: AuthorizationManagementClient;
  let sub: string;
  let app: TestApp;

  before(async () => {
    server = await startKeyless({ via: 'node' });
    const b = server.bootstrap;
    sub = b.subscriptionId;
    const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
    admin = new AuthorizationManagementClient(credential, sub, { endpoint: b.armEndpoint });
    await new ResourceManagementClient(credential, sub, { endpoint: b.armEndpoint }).resourceGroups.createOrUpdate('rbac-rg', { location: 'westeurope' });
    app = await addTestApp(server, 'rbac-test-app');
  });
  after(async () => {
    await server?.dispose();
  });

  it('lists and gets built-in role definitions, with the roleName and type filters', async () => {
    const scope = `/subscriptions/${sub}`;
    const all = [];
    for await (const d of admin.roleDefinitions.list(scope)) all.push(d);
    assert.ok(all.length >= 20, `built-in roles listed (${all.length})`);
    const [reader] = await collect(admin.roleDefinitions.list(scope, { filter: "roleName eq 'Reader'" }));
    assert.equal(reader?.name, READER);
    assert.equal(reader?.id, `${scope}/providers/Microsoft.Authorization/roleDefinitions/${READER}`);
    assert.deepEqual(reader?.permissions?.[0]?.actions, ['*/read']);
    assert.equal(reader?.roleType, 'BuiltInRole');
    assert.equal((await collect(admin.roleDefinitions.list(scope, { filter: "type eq 'CustomRole'" }))).length, 0);
    const owner = await admin.roleDefinitions.get(scope, '8e3af657-a8ff-443c-a75c-2fe8c4bcb635');
    assert.equal(owner.roleName, 'Owner');
    const byId = await admin.roleDefinitions.getById(`/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`);
    assert.equal(byId.roleName, 'Contributor');
    assert.ok(byId.permissions?.[0]?.notActions?.includes('Microsoft.Authorization/*/Write'));
  });

  it('a principal without roles is refused with AuthorizationFailed, then allowed once assigned Reader', async () => {
    const rgClient = new ResourceManagementClient(app.credential, sub, { endpoint: server.bootstrap.armEndpoint });
    await assert.rejects(rgClient.resourceGroups.get('rbac-rg'), (e: { statusCode?: number; code?: string; message?: string }) => {
      assert.equal(e.statusCode, 403);
      assert.equal(e.code, 'AuthorizationFailed');
      // The scope is the request path as sent (arm-resources writes `resourcegroups`), as ARM echoes it.
      assert.equal(
        e.message?.toLowerCase(),
        `The client '${app.objectId}' with object id '${app.objectId}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/read' over scope '/subscriptions/${sub}/resourceGroups/rbac-rg' or the scope is invalid. If access was recently granted, please refresh your credentials.`.toLowerCase(),
      );
      assert.ok(e.message?.startsWith(`The client '${app.objectId}' with object id`));
      return true;
    });
    const scope = `/subscriptions/${sub}/resourceGroups/rbac-rg`;
    const name = randomUUID();
    const created = await admin.roleAssignments.create(scope, name, {
      roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
      principalId: app.objectId,
      description: 'test reader',
    });
    assert.equal(created.name, name);
    assert.equal(created.principalType, 'ServicePrincipal');
    assert.equal(created.scope, scope);
    assert.match(created.createdBy ?? '', /^[0-9a-f-]{36}$/, 'createdBy is the admin object id');
    assert.ok(created.createdOn instanceof Date);
    // Effective at once on this server; only within the group (the subscription's list shows just this group).
    assert.equal((await rgClient.resourceGroups.get('rbac-rg')).name, 'rbac-rg');
    const visible = await collect(rgClient.resourceGroups.list());
    assert.deepEqual(
      visible.map((g) => g.name),
      ['rbac-rg'],
    );
    await assert.rejects(rgClient.resourceGroups.createOrUpdate('rbac-rg-2', { location: 'westeurope' }), (e: { statusCode?: number }) => e.statusCode === 403);
  });

  it('creates, lists with each filter, gets and deletes role assignments', async () => {
    const scope = `/subscriptions/${sub}`;
    const name = randomUUID();
    const roleDefinitionId = `${scope}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`;
    const created = await admin.roleAssignments.create(scope, name, { roleDefinitionId, principalId: app.objectId, principalType: 'ServicePrincipal' });
    assert.equal(created.roleDefinitionId, roleDefinitionId);
    // Same assignment under another name: RoleAssignmentExists.
    await assert.rejects(
      admin.roleAssignments.create(scope, randomUUID(), { roleDefinitionId, principalId: app.objectId }),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 409 && e.code === 'RoleAssignmentExists',
    );

    const forSub = await collect(admin.roleAssignments.listForSubscription());
    assert.ok(forSub.some((a) => a.name === name));
    assert.ok(
      forSub.some((a) => a.scope === `${scope}/resourceGroups/rbac-rg`),
      'without atScope() the list includes assignments below',
    );
    const atScope = await collect(admin.roleAssignments.listForScope(scope, { filter: 'atScope()' }));
    assert.ok(atScope.some((a) => a.name === name) && atScope.every((a) => a.scope === scope), 'atScope(): at or above only');
    const mine = await collect(admin.roleAssignments.listForScope(scope, { filter: `principalId eq '${app.objectId}'` }));
    assert.deepEqual(
      mine.map((a) => a.principalId).filter((p) => p !== app.objectId),
      [],
    );
    assert.equal(mine.length, 2);
    const assigned = await collect(
      admin.roleAssignments.listForScope(`${scope}/resourceGroups/rbac-rg`, { filter: `atScope() and assignedTo('${app.objectId}')` }),
    );
    assert.equal(assigned.length, 2, 'the group-level Reader and the inherited subscription Contributor');
    const forGroup = await collect(admin.roleAssignments.listForResourceGroup('rbac-rg'));
    assert.ok(
      forGroup.some((a) => a.name === name),
      'inherited assignments are listed at the group',
    );

    assert.equal((await admin.roleAssignments.get(scope, name)).name, name);
    assert.equal((await admin.roleAssignments.getById(created.id!)).name, name);
    const deleted = await admin.roleAssignments.delete(scope, name);
    assert.equal(deleted.name, name);
    await assert.rejects(
      admin.roleAssignments.get(scope, name),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'RoleAssignmentNotFound',
    );
  });

  it('refuses a non-GUID name, an unknown role, an unknown principal without principalType, and conditions', async () => {
    const scope = `/subscriptions/${sub}`;
    const roleDefinitionId = `${scope}/providers/Microsoft.Authorization/roleDefinitions/${READER}`;
    const code = (status: number, expected: string) => (e: { statusCode?: number; code?: string }) => e.statusCode === status && e.code === expected;
    await assert.rejects(
      admin.roleAssignments.create(scope, 'not-a-guid', { roleDefinitionId, principalId: app.objectId }),
      code(400, 'InvalidRoleAssignmentId'),
    );
    await assert.rejects(
      admin.roleAssignments.create(scope, randomUUID(), {
        roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}`,
        principalId: app.objectId,
      }),
      code(404, 'RoleDefinitionDoesNotExist'),
    );
    const ghost = randomUUID();
    await assert.rejects(admin.roleAssignments.create(scope, randomUUID(), { roleDefinitionId, principalId: ghost }), code(400, 'PrincipalNotFound'));
    // With principalType the directory check is relaxed, as in Azure; the assignment outlives any principal.
    const relaxed = await admin.roleAssignments.create(scope, randomUUID(), { roleDefinitionId, principalId: ghost, principalType: 'User' });
    assert.equal(relaxed.principalType, 'User');
    await assert.rejects(
      admin.roleAssignments.create(scope, randomUUID(), {
        roleDefinitionId,
        principalId: app.objectId,
        condition: "@Resource[x] StringEquals 'y'",
        conditionVersion: '2.0',
      }),
      code(400, 'ConditionNotSupported'),
    );
  });
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
