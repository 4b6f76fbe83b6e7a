/** Decision tables for the pure RBAC evaluator, the action patterns and the escalation rule. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAccessService } from '../../src/core/rbac/access-service.js';
import { actionMatches, patternCovers, patternsIntersect } from '../../src/core/rbac/action-pattern.js';
import { BUILT_IN_ROLES, ROLE_IDS } from '../../src/core/rbac/built-in-roles.js';
import { createRbacIndex } from '../../src/core/rbac/rbac-index.js';

const P = '11111111-1111-1111-1111-111111111111';
const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
const RG = `${SUB}/resourceGroups/rg1`;
const UAMI = `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`;
const FIC = `${UAMI}/federatedIdentityCredentials/f1`;

function world(assignments: [string, string][]) {
  const index = createRbacIndex(BUILT_IN_ROLES);
  assignments.forEach(([role, scope], i) => index.putAssignment({ name: `a${i}`, scope, roleDefinitionName: role, principalId: P }));
  return createAccessService(index);
}

describe('action patterns', () => {
  const table: [string, string, boolean][] = [
    ['*', 'Microsoft.Compute/virtualMachines/write', true],
    ['*/read', 'Microsoft.Compute/virtualMachines/read', true],
    ['*/read', 'Microsoft.Compute/virtualMachines/write', false],
    ['Microsoft.Authorization/*/Write', 'microsoft.authorization/roleassignments/write', true],
    ['Microsoft.Network/*', 'Microsoft.NetworkX/foo/read', false],
    ['Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action', 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action', true],
    ['Microsoft.ManagedIdentity/userAssignedIdentities/*/read', 'Microsoft.ManagedIdentity/userAssignedIdentities/read', true],
    ['a.b/c', 'aXb/c', false],
  ];
  for (const [pattern, action, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${action}`, () => assert.equal(actionMatches(pattern, action), expected));
  }
  it('covers and intersects soundly', () => {
    assert.equal(patternCovers('*', '*/read'), true);
    assert.equal(patternCovers('*/read', '*'), false);
    assert.equal(patternCovers('Microsoft.Network/*', 'microsoft.network/dnszones/*'), true);
    assert.equal(patternCovers('Microsoft.Network/dnsZones/*', 'Microsoft.Network/*'), false);
    assert.equal(patternsIntersect('*/read', 'Microsoft.Authorization/*'), true);
    assert.equal(patternsIntersect('Microsoft.Compute/*', 'Microsoft.Network/*'), false);
  });
});

describe('evaluate: deny by default, inheritance, notActions, data actions', () => {
  const table: { name: string; grants: [string, string][]; action: string; scope: string; data?: boolean; allowed: boolean }[] = [
    { name: 'no assignment', grants: [], action: 'Microsoft.Resources/subscriptions/resourceGroups/read', scope: RG, allowed: false },
    {
      name: 'Reader at subscription reads a group',
      grants: [[ROLE_IDS.reader, SUB]],
      action: 'Microsoft.Resources/subscriptions/resourceGroups/read',
      scope: RG,
      allowed: true,
    },
    {
      name: 'Reader cannot write',
      grants: [[ROLE_IDS.reader, SUB]],
      action: 'Microsoft.Resources/subscriptions/resourceGroups/write',
      scope: RG,
      allowed: false,
    },
    {
      name: 'Owner at root reaches a child resource',
      grants: [[ROLE_IDS.owner, '/']],
      action: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
      scope: FIC,
      allowed: true,
    },
    {
      name: 'assignment below does not reach up',
      grants: [[ROLE_IDS.owner, UAMI]],
      action: 'Microsoft.Resources/subscriptions/resourceGroups/read',
      scope: RG,
      allowed: false,
    },
    { name: 'sibling group is out of scope', grants: [[ROLE_IDS.owner, `${SUB}/resourceGroups/rg10`]], action: 'x/y/read', scope: RG, allowed: false },
    {
      name: 'scope comparison ignores case',
      grants: [[ROLE_IDS.contributor, RG.toUpperCase()]],
      action: 'Microsoft.Compute/virtualMachines/write',
      scope: RG,
      allowed: true,
    },
    {
      name: 'Contributor excluded from role assignment writes',
      grants: [[ROLE_IDS.contributor, SUB]],
      action: 'Microsoft.Authorization/roleAssignments/write',
      scope: RG,
      allowed: false,
    },
    {
      name: 'Contributor has no data actions',
      grants: [[ROLE_IDS.contributor, SUB]],
      action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      scope: RG,
      data: true,
      allowed: false,
    },
    {
      name: 'Key Vault Secrets User reads secrets',
      grants: [['4633458b-17de-408a-b874-0445c86b69e6', RG]],
      action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      scope: `${RG}/providers/Microsoft.KeyVault/vaults/v`,
      data: true,
      allowed: true,
    },
    {
      name: 'a data role grants no control action of the same name',
      grants: [['4633458b-17de-408a-b874-0445c86b69e6', RG]],
      action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      scope: RG,
      allowed: false,
    },
    {
      name: 'Managed Identity Operator may assign',
      grants: [[ROLE_IDS.managedIdentityOperator, RG]],
      action: 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
      scope: UAMI,
      allowed: true,
    },
    {
      name: 'Managed Identity Contributor may not assign',
      grants: [[ROLE_IDS.managedIdentityContributor, RG]],
      action: 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
      scope: UAMI,
      allowed: false,
    },
    {
      name: 'union over roles',
      grants: [
        [ROLE_IDS.reader, SUB],
        [ROLE_IDS.contributor, RG],
      ],
      action: 'Microsoft.Compute/virtualMachines/write',
      scope: `${RG}/providers/Microsoft.Compute/virtualMachines/vm`,
      allowed: true,
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const access = world(row.grants);
      assert.equal(access.can(P, row.action, row.scope, row.data ?? false), row.allowed);
      const decision = access.check({ principalId: P, action: row.action, scope: row.scope, dataAction: row.data ?? false });
      assert.equal(decision.allowed, row.allowed, decision.reason);
    });
  }

  it('explains a denial by notActions and by absence', () => {
    const access = world([[ROLE_IDS.contributor, SUB]]);
    const d = access.check({ principalId: P, action: 'Microsoft.Authorization/roleAssignments/write', scope: RG, dataAction: false });
    assert.match(d.reason, /excluded by the notActions of 'Contributor'/);
    assert.equal(d.considered[0]?.verdict, 'excluded');
    const none = world([]).check({ principalId: P, action: 'a/b', scope: RG, dataAction: false });
    assert.match(none.reason, /has no role assignment at this scope or above/);
    const allowed = world([[ROLE_IDS.reader, SUB]]).check({ principalId: P, action: 'a/b/read', scope: RG, dataAction: false });
    assert.ok(allowed.reason.includes(`granted by role 'Reader' assigned at '${SUB}'`), allowed.reason);
  });
});

describe('escalation: nobody hands out more than it holds', () => {
  const role = (id: string) => BUILT_IN_ROLES.find((r) => r.name === id)!;
  const table: [string, string, boolean][] = [
    ['Owner', ROLE_IDS.owner, true],
    ['Owner', ROLE_IDS.contributor, true],
    ['Role Based Access Control Administrator', ROLE_IDS.owner, false],
    ['Role Based Access Control Administrator', ROLE_IDS.contributor, false],
    ['Role Based Access Control Administrator', ROLE_IDS.userAccessAdministrator, false],
    ['Role Based Access Control Administrator', ROLE_IDS.reader, true],
    ['Role Based Access Control Administrator', ROLE_IDS.rbacAdministrator, true],
    ['User Access Administrator', ROLE_IDS.contributor, false],
    ['User Access Administrator', ROLE_IDS.userAccessAdministrator, true],
    ['Contributor', ROLE_IDS.owner, false],
    ['Reader', '4633458b-17de-408a-b874-0445c86b69e6', false],
  ];
  for (const [holder, target, ok] of table) {
    it(`${holder} ${ok ? 'may' : 'may not'} hand out ${role(target).roleName}`, () => {
      const access = world([[BUILT_IN_ROLES.find((r) => r.roleName === holder)!.name, SUB]]);
      assert.equal(access.missingToGrant(P, RG, role(target)).length === 0, ok);
    });
  }
  it('holding a role only below the scope does not count', () => {
    const access = world([[ROLE_IDS.owner, UAMI]]);
    assert.ok(access.missingToGrant(P, RG, role(ROLE_IDS.reader)).length > 0);
  });
});
