/**
 * Role assignments, keyed by GUID name. Scope keys compare byte-wise on both engines, so "below a
 * scope" is the key range (`key/`, `key0`) exactly as for resources (see migrations.ts).
 */
import type { PrincipalType, RoleAssignment } from '../../core/rbac/model.js';
import type { RoleAssignmentRepository } from '../../core/ports.js';
import { resourceKey } from '../../core/resource-id.js';
import type { RoleAssignmentTable } from '../schema.js';
import { countOf, decodeCursor, insertOnce, keyOf, pageSize, toPage, type DbSource } from './shared.js';

function toAssignment(row: RoleAssignmentTable): RoleAssignment {
  return {
    name: row.name,
    scope: row.scope,
    roleDefinitionName: row.role_key,
    principalId: row.principal_key,
    principalType: row.principal_type as PrincipalType,
    description: row.description,
    createdOn: row.created_on,
    updatedOn: row.updated_on,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
  };
}

function toRow(a: RoleAssignment): RoleAssignmentTable {
  return {
    name_key: keyOf(a.name),
    name: a.name,
    scope: a.scope,
    scope_key: resourceKey(a.scope),
    role_key: keyOf(a.roleDefinitionName),
    principal_key: keyOf(a.principalId),
    principal_type: a.principalType,
    description: a.description,
    created_on: a.createdOn,
    updated_on: a.updatedOn,
    created_by: a.createdBy,
    updated_by: a.updatedBy,
  };
}

export function createRoleAssignmentRepository(db: DbSource): RoleAssignmentRepository {
  const select = () => db().selectFrom('role_assignments').selectAll();
  return {
    async get(name) {
      const row = await select().where('name_key', '=', keyOf(name)).executeTakeFirst();
      return row && toAssignment(row);
    },
    async find(principalId, roleDefinitionName, scope) {
      const row = await select()
        .where('principal_key', '=', keyOf(principalId))
        .where('role_key', '=', keyOf(roleDefinitionName))
        .where('scope_key', '=', resourceKey(scope))
        .executeTakeFirst();
      return row && toAssignment(row);
    },
    async list(query, page) {
      const limit = pageSize(page);
      let q = select();
      if (query.principalId !== undefined) q = q.where('principal_key', '=', keyOf(query.principalId));
      const at = query.atScopeKeys && query.atScopeKeys.length > 0 ? [...query.atScopeKeys] : undefined;
      const below = query.belowScopeKey;
      if (query.atScopeKeys !== undefined && at === undefined && below === undefined) return { items: [] };
      if (at !== undefined || below !== undefined) {
        q = q.where((eb) =>
          eb.or([
            ...(at === undefined ? [] : [eb('scope_key', 'in', at)]),
            ...(below === undefined
              ? []
              : [below === '/' ? eb('scope_key', '>', '/') : eb.and([eb('scope_key', '>', `${below}/`), eb('scope_key', '<', `${below}0`)])]),
          ]),
        );
      }
      if (page.after !== undefined) q = q.where('name_key', '>', decodeCursor(page.after));
      const rows = await q
        .orderBy('name_key')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, (r) => r.name_key, toAssignment);
    },
    async countByRole(roleDefinitionName) {
      const row = await db()
        .selectFrom('role_assignments')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('role_key', '=', keyOf(roleDefinitionName))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    async scanIndexEntries(afterName, limit) {
      const rows = await db()
        .selectFrom('role_assignments')
        .select(['name_key', 'scope', 'role_key', 'principal_key'])
        .where('name_key', '>', keyOf(afterName))
        .orderBy('name_key')
        .limit(Math.max(1, Math.min(limit, 50_000)))
        .execute();
      return rows.map((r) => ({ name: r.name_key, scope: r.scope, roleDefinitionName: r.role_key, principalId: r.principal_key }));
    },
    async insert(a) {
      await insertOnce(db().insertInto('role_assignments').values(toRow(a)), `The role assignment '${a.name}' or an identical one already exists.`);
    },
    async update(a) {
      const { name_key, ...changes } = toRow(a);
      return countOf(await db().updateTable('role_assignments').set(changes).where('name_key', '=', name_key).executeTakeFirst()) > 0;
    },
    async delete(name) {
      return countOf(await db().deleteFrom('role_assignments').where('name_key', '=', keyOf(name)).executeTakeFirst()) > 0;
    },
  };
}
