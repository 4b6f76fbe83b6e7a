/**
 * Migration 7: Key Vault objects — every version of a secret or key with its sealed value — and the
 * soft-deleted names (src/core/keyvault/).
 */
import type { Migration } from './migrations.js';

export const keyVaultMigration: Migration = {
  version: 7,
  name: 'key vault secrets and keys',
  async up(db, { text }) {
    await db.schema
      .createTable('vault_objects')
      .addColumn('vault_key', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('name_key', text, (c) => c.notNull())
      .addColumn('version', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('sealed_value', text, (c) => c.notNull())
      .addColumn('public_key', text)
      .addColumn('content_type', text)
      .addColumn('attributes', text, (c) => c.notNull())
      .addColumn('tags', text, (c) => c.notNull())
      .addColumn('created_seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('vault_objects_pk', ['vault_key', 'kind', 'name_key', 'version'])
      .execute();
    await db.schema.createIndex('vault_objects_by_seq').on('vault_objects').columns(['vault_key', 'kind', 'name_key', 'created_seq']).execute();
    await db.schema
      .createTable('vault_deleted_objects')
      .addColumn('vault_key', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('name_key', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('deleted_date', 'bigint', (c) => c.notNull())
      .addColumn('scheduled_purge_date', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('vault_deleted_objects_pk', ['vault_key', 'kind', 'name_key'])
      .execute();
  },
};
