/** RBAC repositories on both engines: assignments with their scope queries, custom roles, the change feed. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { RoleAssignment } from '../../src/core/rbac/model.js';
import { ancestorKeys } from '../../src/core/rbac/scopes.js';
import { forEachEngine } from '../support/stores.js';

const SUB = '/subscriptions/Sub1';
const P1 = 'aaaaaaaa-0000-0000-0000-000000000001';
const P2 = 'aaaaaaaa-0000-0000-0000-000000000002';
const at = (name: string, scope: string, principalId = P1, role = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'): RoleAssignment => ({
  name,
  scope,
  roleDefinitionName: role,
  principalId,
  principalType: 'ServicePrincipal',
  description: null,
  createdOn: '2026-01-01T00:00:00.000Z',
  updatedOn: '2026-01-01T00:00:00.000Z',
  createdBy: null,
  updatedBy: null,
});

forEachEngine('rbac storage', (open) => {
  it('stores assignments and answers scope and principal queries', async () => {
    const store = await open();
    await store.roleAssignments.insert(at('00000000-0000-0000-0000-00000000000a', '/'));
    await store.roleAssignments.insert(at('00000000-0000-0000-0000-00000000000b', SUB));
    await store.roleAssignments.insert(at('00000000-0000-0000-0000-00000000000c', `${SUB}/resourceGroups/RG1`, P2));
    await store.roleAssignments.insert(at('00000000-0000-0000-0000-00000000000d', `${SUB}/resourceGroups/rg10`));
    await store.roleAssignments.insert(at('00000000-0000-0000-0000-00000000000e', '/subscriptions/sub2'));
    const names = (p: { items: RoleAssignment[] }) => p.items.map((a) => a.name.slice(-1)).join('');
    const rgKey = '/subscriptions/sub1/resourcegroups/rg1';
    assert.equal(names(await store.roleAssignments.list({ atScopeKeys: ancestorKeys(rgKey) }, { limit: 100 })), 'abc');
    assert.equal(
      names(await store.roleAssignments.list({ atScopeKeys: ancestorKeys('/subscriptions/sub1'), belowScopeKey: '/subscriptions/sub1' }, { limit: 100 })),
      'abcd',
    );
    assert.equal(names(await store.roleAssignments.list({ principalId: P2.toUpperCase() }, { limit: 100 })), 'c');
    const first = await store.roleAssignments.list({}, { limit: 2 });
    assert.equal(names(first), 'ab');
    assert.equal(names(await store.roleAssignments.list({}, { limit: 10, after: first.next! })), 'cde');
    assert.equal((await store.roleAssignments.find(P2, 'ACDD72A7-3385-48ef-bd42-f606fba81ae7', `${SUB}/resourcegroups/rg1`))?.name.slice(-1), 'c');
    assert.equal(await store.roleAssignments.countByRole('acdd72a7-3385-48ef-bd42-f606fba81ae7'), 5);
    // The same principal, role and scope cannot be assigned twice.
    await assert.rejects(store.roleAssignments.insert(at('00000000-0000-0000-0000-00000000000f', '/SUBSCRIPTIONS/sub1')), { code: 'Conflict' });
    assert.equal(await store.roleAssignments.delete('00000000-0000-0000-0000-00000000000B'), true);
    assert.equal(await store.roleAssignments.get('00000000-0000-0000-0000-00000000000b'), undefined);
  });

  it('stores custom roles with unique role names', async () => {
    const store = await open();
    const role = {
      name: 'bbbbbbbb-0000-0000-0000-000000000001',
      roleName: 'Group Reader',
      description: 'd',
      roleType: 'CustomRole' as const,
      permissions: [{ actions: ['a/read'], notActions: [], dataActions: [], notDataActions: [] }],
      assignableScopes: [SUB],
      createdOn: null,
      updatedOn: null,
      createdBy: null,
      updatedBy: null,
    };
    await store.roleDefinitions.insert(role);
    await assert.rejects(store.roleDefinitions.insert({ ...role, name: 'bbbbbbbb-0000-0000-0000-000000000002', roleName: 'group reader' }), {
      code: 'Conflict',
    });
    assert.deepEqual(await store.roleDefinitions.getByRoleName('GROUP READER'), role);
    assert.equal(await store.roleDefinitions.update({ ...role, description: 'e' }), true);
    assert.equal((await store.roleDefinitions.list())[0]?.description, 'e');
    assert.equal(await store.roleDefinitions.delete(role.name), true);
  });

  it('numbers changes in the feed and prunes old ones', async () => {
    const store = await open();
    assert.equal(await store.rbacChanges.latest(), 0);
    await store.transaction(async (tx) => {
      await tx.rbacChanges.record('assignment', 'x');
      await tx.rbacChanges.record('definition', 'y');
    });
    const all = await store.rbacChanges.since(0, 10);
    assert.deepEqual(
      all.map((c) => [c.kind, c.name]),
      [
        ['assignment', 'x'],
        ['definition', 'y'],
      ],
    );
    assert.ok(all[1]!.seq > all[0]!.seq);
    assert.equal(await store.rbacChanges.latest(), all[1]!.seq);
    assert.deepEqual(
      (await store.rbacChanges.since(all[0]!.seq, 10)).map((c) => c.name),
      ['y'],
    );
    assert.equal(await store.rbacChanges.prune(all[1]!.seq), 1);
  });
});
