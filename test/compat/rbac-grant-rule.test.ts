/**
 * Azure's grant rule, Keyless's default (docs/adr/0005-rbac.md): holding
 * `Microsoft.Authorization/roleAssignments/write` at a scope is what lets a principal grant a role
 * there — an Owner grants Storage Blob Data Owner although it holds no data action, a Role Based Access
 * Control Administrator may grant Owner — and a principal without it is refused. The stricter rule
 * (`KEYLESS_RBAC_GRANT_RULE=strict`) is tested in rbac-enforcement.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { addTestApp, armToken } from './rbac-fixture.js';
import { arm, ROLES } from '../dataplanes/fixture.js';

describe("RBAC: Azure's grant rule (default)", () => {
  let server: RunningKeyless;
  let adminToken: string;
  let sub: string;
  const assign = (token: string, scope: string, role: string, principalId: string) =>
    arm(server, token, 'PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId, principalType: 'ServicePrincipal' },
    });

  before(async () => {
    server = await startKeyless({ via: 'node' });
    sub = `/subscriptions/${server.bootstrap.subscriptionId}`;
    const b = server.bootstrap;
    const res = await fetch(`${b.authorityHost}/${b.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: b.clientId,
        client_secret: b.clientSecret,
        scope: 'https://management.azure.com/.default',
      }),
    });
    adminToken = ((await res.json()) as { access_token: string }).access_token;
  });
  after(async () => {
    await server?.dispose();
  });

  it('an Owner grants data roles it does not hold itself', async () => {
    const workload = await addTestApp(server, 'workload');
    for (const role of [ROLES.blobOwner, ROLES.kvSecretsUser, ROLES.kvCryptoServiceEncryptionUser]) {
      const r = await assign(adminToken, sub, role, workload.objectId);
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });

  it('a Role Based Access Control Administrator may grant any role; a Contributor (no roleAssignments/write) may grant none', async () => {
    const rbacAdmin = await addTestApp(server, 'rbac-admin');
    assert.equal((await assign(adminToken, sub, ROLES.rbacAdmin, rbacAdmin.objectId)).status, 201);
    const target = await addTestApp(server, 'target');
    const granted = await assign(await armToken(rbacAdmin.credential), sub, ROLES.owner, target.objectId);
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    const contributor = await addTestApp(server, 'contributor');
    assert.equal((await assign(adminToken, sub, ROLES.contributor, contributor.objectId)).status, 201);
    const refused = await assign(await armToken(contributor.credential), sub, ROLES.reader, target.objectId);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'AuthorizationFailed');
    assert.match(refused.body.error.message, /Microsoft\.Authorization\/roleAssignments\/write/);
  });
});
