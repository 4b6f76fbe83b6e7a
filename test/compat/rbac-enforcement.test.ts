/**
 * Enforcement over HTTP against `keyless serve`: escalation attacks refused, custom roles limited to
 * what the writer holds, the access-check API and its explanations, effective permissions, and the
 * Managed Identity Operator rule when an identity is attached to a virtual machine.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { addTestApp, armToken, type TestApp } from './rbac-fixture.js';

const ROLES = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  rbacAdmin: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  uaa: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  mio: 'f1a07417-d97a-45cb-824c-7a7467783830',
};
const AZ = 'api-version=2022-04-01';

describe('RBAC enforcement over HTTP', () => {
  let server: RunningKeyless;
  let sub: string;
  let adminToken: string;
  let attacker: TestApp;
  let attackerToken: string;
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.bootstrap.armEndpoint}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const assign = (token: string, scope: string, role: string, principalId: string) =>
    call(token, 'PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?${AZ}`, {
      properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId },
    });

  before(async () => {
    // The stricter grant rule (docs/adr/0005-rbac.md), opt-in; Azure's rule: rbac-grant-rule.test.ts.
    server = await startKeyless({ via: 'node', env: { KEYLESS_RBAC_GRANT_RULE: 'strict' } });
    sub = server.bootstrap.subscriptionId;
    const res = await fetch(`${server.bootstrap.authorityHost}/${server.bootstrap.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: server.bootstrap.clientId,
        client_secret: server.bootstrap.clientSecret,
        scope: 'https://management.azure.com/.default',
      }),
    });
    adminToken = ((await res.json()) as { access_token: string }).access_token;
    attacker = await addTestApp(server, 'rbac-admin-only');
    attackerToken = await armToken(attacker.credential);
    assert.equal((await call(adminToken, 'PUT', `/subscriptions/${sub}/resourceGroups/rg1?api-version=2021-04-01`, { location: 'westeurope' })).status, 201);
    assert.equal((await assign(adminToken, `/subscriptions/${sub}`, ROLES.rbacAdmin, attacker.objectId)).status, 201);
  });
  after(async () => {
    await server?.dispose();
  });

  it('a Role Based Access Control Administrator cannot escalate', async () => {
    const S = `/subscriptions/${sub}`;
    for (const role of [ROLES.owner, ROLES.contributor, ROLES.uaa]) {
      const r = await assign(attackerToken, S, role, attacker.objectId);
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'AuthorizationFailed');
      assert.match(r.body.error.message, /does not have authorization to assign role/);
    }
    // Nor through a principal it controls, nor at a narrower scope.
    const accomplice = await addTestApp(server, 'accomplice');
    assert.equal((await assign(attackerToken, `${S}/resourceGroups/rg1`, ROLES.owner, accomplice.objectId)).status, 403);
    // It may hand out what it holds (Reader), and still cannot write custom roles.
    assert.equal((await assign(attackerToken, S, ROLES.reader, accomplice.objectId)).status, 201);
    const role = await call(attackerToken, 'PUT', `${S}/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}?${AZ}`, {
      properties: { roleName: 'everything', permissions: [{ actions: ['*'] }], assignableScopes: [S] },
    });
    assert.equal(role.status, 403);
    // And its own rights are unchanged: writing a resource group is still refused.
    assert.equal((await call(attackerToken, 'PUT', `${S}/resourceGroups/rg2?api-version=2021-04-01`, { location: 'westeurope' })).status, 403);
  });

  it('under the strict rule an Owner cannot grant data roles it does not hold (Azure would let it)', async () => {
    const workload = await addTestApp(server, 'strict-workload');
    const r = await assign(adminToken, `/subscriptions/${sub}`, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', workload.objectId);
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.match(r.body.error.message, /containers\/blobs\/\* \(data action\)/);
  });

  it('a User Access Administrator cannot smuggle rights through a custom role', async () => {
    const uaa = await addTestApp(server, 'uaa');
    const S = `/subscriptions/${sub}`;
    assert.equal((await assign(adminToken, S, ROLES.uaa, uaa.objectId)).status, 201);
    const token = await armToken(uaa.credential);
    const id = randomUUID();
    const path = `${S}/providers/Microsoft.Authorization/roleDefinitions/${id}?${AZ}`;
    const ok = await call(token, 'PUT', path, {
      properties: { roleName: 'group reader', permissions: [{ actions: ['Microsoft.Resources/subscriptions/resourceGroups/read'] }], assignableScopes: [S] },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.properties.type, 'CustomRole');
    assert.equal((await assign(token, S, id, uaa.objectId)).status, 201);
    // Widening the role it holds to '*' is refused.
    const widen = await call(token, 'PUT', path, { properties: { roleName: 'group reader', permissions: [{ actions: ['*'] }], assignableScopes: [S] } });
    assert.equal(widen.status, 403, JSON.stringify(widen.body));
    // A role assignable at the root needs write at the root.
    const root = await call(token, 'PUT', `${S}/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}?${AZ}`, {
      properties: { roleName: 'root reader', permissions: [{ actions: ['*/read'] }], assignableScopes: ['/'] },
    });
    assert.equal(root.status, 403);
    const listed = await call(
      adminToken,
      'GET',
      `${S}/providers/Microsoft.Authorization/roleDefinitions?${AZ}&$filter=${encodeURIComponent("type eq 'CustomRole'")}`,
    );
    assert.deepEqual(
      listed.body.value.map((d: { name: string }) => d.name),
      [id],
    );
    // A role in use cannot be deleted.
    assert.equal((await call(adminToken, 'DELETE', path)).status, 409);
  });

  it("answers access checks with an explanation, and the caller's effective permissions", async () => {
    const S = `/subscriptions/${sub}/resourceGroups/rg1`;
    const check = (token: string, body: unknown) => call(token, 'POST', `${S}/providers/Microsoft.Authorization/checkAccess?${AZ}`, body);
    const mine = await check(attackerToken, { action: 'Microsoft.Compute/virtualMachines/write' });
    assert.equal(mine.status, 200);
    assert.equal(mine.body.allowed, false);
    assert.match(mine.body.reason, /none of the roles assigned .*'Role Based Access Control Administrator'/);
    const read = await check(adminToken, { principalId: attacker.objectId, action: 'Microsoft.Resources/subscriptions/resourceGroups/read' });
    assert.equal(read.body.allowed, true);
    assert.equal(read.body.matchedAssignments[0].roleName, 'Role Based Access Control Administrator');
    // Asking about someone else needs roleAssignments/read at the scope.
    const stranger = await addTestApp(server, 'stranger');
    const denied = await check(await armToken(stranger.credential), { principalId: attacker.objectId, action: 'a/b/read' });
    assert.equal(denied.status, 403);
    assert.equal((await check(adminToken, { action: 'x', dataAction: 'y' })).status, 400);
    const perms = await call(attackerToken, 'GET', `${S}/providers/Microsoft.Authorization/permissions?${AZ}`);
    assert.equal(perms.status, 200);
    assert.ok(perms.body.value[0].actions.includes('Microsoft.Authorization/roleAssignments/write'));
  });

  it('attaching a user-assigned identity needs Managed Identity Operator on it (LinkedAuthorizationFailed)', async () => {
    const rg = `/subscriptions/${sub}/resourceGroups/rg1`;
    // The identity lives in another group: Contributor on rg1 (actions '*') would otherwise include the assign action.
    assert.equal((await call(adminToken, 'PUT', `/subscriptions/${sub}/resourceGroups/rg-ids?api-version=2021-04-01`, { location: 'westeurope' })).status, 201);
    const uami = `/subscriptions/${sub}/resourceGroups/rg-ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`;
    assert.equal((await call(adminToken, 'PUT', `${uami}?api-version=2024-11-30`, { location: 'westeurope' })).status, 201);
    const dev = await addTestApp(server, 'vm-contributor');
    assert.equal((await assign(adminToken, rg, ROLES.contributor, dev.objectId)).status, 201);
    const token = await armToken(dev.credential);
    const vm = (name: string) =>
      call(token, 'PUT', `${rg}/providers/Microsoft.Compute/virtualMachines/${name}?api-version=2024-07-01`, {
        location: 'westeurope',
        identity: { type: 'UserAssigned', userAssignedIdentities: { [uami]: {} } },
      });
    const refused = await vm('vm1');
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'LinkedAuthorizationFailed');
    assert.match(refused.body.error.message, /userAssignedIdentities\/assign\/action' on the linked scope\(s\)/);
    assert.equal((await assign(adminToken, uami, ROLES.mio, dev.objectId)).status, 201);
    const allowed = await vm('vm1');
    assert.ok(allowed.status === 200 || allowed.status === 201, JSON.stringify(allowed.body));
  });
});
