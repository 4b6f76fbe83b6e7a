/** Custom role definitions, keyed by GUID; role names are unique (case-insensitive). */
import type { Permission, RoleDefinition } from '../../core/rbac/model.js';
import type { RoleDefinitionRepository } from '../../core/ports.js';
import type { RoleDefinitionTable } from '../schema.js';
import { countOf, fromJson, insertOnce, keyOf, toJson, type DbSource } from './shared.js';

function toDefinition(row: RoleDefinitionTable): RoleDefinition {
  return {
    name: row.name,
    roleName: row.role_name,
    description: row.description,
    roleType: 'CustomRole',
    permissions: fromJson<Permission[]>(row.permissions),
    assignableScopes: fromJson<string[]>(row.assignable_scopes),
    createdOn: row.created_on,
    updatedOn: row.updated_on,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
  };
}

function toRow(d: RoleDefinition): RoleDefinitionTable {
  return {
    name_key: keyOf(d.name),
    name: d.name,
    role_name_key: keyOf(d.roleName),
    role_name: d.roleName,
    description: d.description,
    permissions: toJson(d.permissions),
    assignable_scopes: toJson(d.assignableScopes),
    created_on: d.createdOn,
    updated_on: d.updatedOn,
    created_by: d.createdBy,
    updated_by: d.updatedBy,
  };
}

export function createRoleDefinitionRepository(db: DbSource): RoleDefinitionRepository {
  const select = () => db().selectFrom('role_definitions').selectAll();
  return {
    async get(name) {
      const row = await select().where('name_key', '=', keyOf(name)).executeTakeFirst();
      return row && toDefinition(row);
    },
    async getByRoleName(roleName) {
      const row = await select().where('role_name_key', '=', keyOf(roleName)).executeTakeFirst();
      return row && toDefinition(row);
    },
    async list() {
      return (await select().orderBy('name_key').execute()).map(toDefinition);
    },
    async insert(d) {
      await insertOnce(db().insertInto('role_definitions').values(toRow(d)), `A role definition named '${d.name}' or '${d.roleName}' already exists.`);
    },
    async update(d) {
      const { name_key, ...changes } = toRow(d);
      return countOf(await db().updateTable('role_definitions').set(changes).where('name_key', '=', name_key).executeTakeFirst()) > 0;
    },
    async delete(name) {
      return countOf(await db().deleteFrom('role_definitions').where('name_key', '=', keyOf(name)).executeTakeFirst()) > 0;
    },
  };
}
