/**
 * Migration 12: the Kusto engine's data (src/core/kusto/): named entities (table schemas, external
 * tables, continuous exports, managed_identity policies) and extents (rows appended by one ingestion).
 */
import type { Migration } from './migrations.js';

export const kustoMigration: Migration = {
  version: 12,
  name: 'kusto tables, policies and extents',
  async up(db, { text }) {
    await db.schema
      .createTable('kusto_entities')
      .addColumn('cluster_key', text, (c) => c.notNull())
      .addColumn('database_key', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('name_key', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('body', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('kusto_entities_pk', ['cluster_key', 'database_key', 'kind', 'name_key'])
      .execute();
    await db.schema
      .createTable('kusto_extents')
      .addColumn('cluster_key', text, (c) => c.notNull())
      .addColumn('database_key', text, (c) => c.notNull())
      .addColumn('table_key', text, (c) => c.notNull())
      .addColumn('extent_id', text, (c) => c.notNull())
      .addColumn('columns', text, (c) => c.notNull())
      .addColumn('rows', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('kusto_extents_pk', ['cluster_key', 'database_key', 'table_key', 'extent_id'])
      .execute();
  },
};
