/**
 * Migration: RBAC tables (docs/adr/0005-rbac.md). Custom role definitions, role assignments, and
 * `rbac_changes`, an append-only feed every server polls to keep its in-memory RBAC index current
 * (an assignment made on one server is effective on the others within a second).
 */
import type { Migration } from './migrations.js';

/** Version of this migration; it only needs to sort after the ones before it. */
export const RBAC_MIGRATION_VERSION = 20;

export const rbacMigration: Migration = {
  version: RBAC_MIGRATION_VERSION,
  name: 'rbac role definitions, role assignments and change feed',
  async up(db, { text }) {
    await db.schema
      .createTable('role_definitions')
      .addColumn('name_key', text, (c) => c.primaryKey())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('role_name_key', text, (c) => c.notNull().unique())
      .addColumn('role_name', text, (c) => c.notNull())
      .addColumn('description', text, (c) => c.notNull())
      .addColumn('permissions', text, (c) => c.notNull())
      .addColumn('assignable_scopes', text, (c) => c.notNull())
      .addColumn('created_on', text)
      .addColumn('updated_on', text)
      .addColumn('created_by', text)
      .addColumn('updated_by', text)
      .execute();

    await db.schema
      .createTable('role_assignments')
      .addColumn('name_key', text, (c) => c.primaryKey())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('scope', text, (c) => c.notNull())
      .addColumn('scope_key', text, (c) => c.notNull())
      .addColumn('role_key', text, (c) => c.notNull())
      .addColumn('principal_key', text, (c) => c.notNull())
      .addColumn('principal_type', text, (c) => c.notNull())
      .addColumn('description', text)
      .addColumn('created_on', text, (c) => c.notNull())
      .addColumn('updated_on', text, (c) => c.notNull())
      .addColumn('created_by', text)
      .addColumn('updated_by', text)
      .execute();
    // One assignment per (principal, role, scope), as Azure's RoleAssignmentExists; also the principal lookup.
    await db.schema.createIndex('role_assignments_unique').unique().on('role_assignments').columns(['principal_key', 'role_key', 'scope_key']).execute();
    await db.schema.createIndex('role_assignments_by_scope').on('role_assignments').columns(['scope_key', 'name_key']).execute();
    await db.schema.createIndex('role_assignments_by_role').on('role_assignments').column('role_key').execute();

    // `seq` is assigned by the database; SQLite has no sequences, so both engines use their own form.
    const sqlite = text === 'text';
    await db.schema
      .createTable('rbac_changes')
      .addColumn('seq', sqlite ? 'integer' : 'bigserial', (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('at', text, (c) => c.notNull())
      .execute();
  },
};
