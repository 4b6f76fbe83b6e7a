/**
 * Migration 2: join tokens and host keys of host agents (docs/adr/0004-host-attestation.md).
 * Credentials are stored as salted hashes only; `*_key` columns are lower-cased for lookups.
 */
import type { Migration } from './migrations.js';

export const hostCredentialsMigration: Migration = {
  version: 2,
  name: 'host agent credentials',
  async up(db, { text }) {
    await db.schema
      .createTable('host_join_tokens')
      .addColumn('id_key', text, (c) => c.primaryKey())
      .addColumn('id', text, (c) => c.notNull())
      .addColumn('resource_key', text, (c) => c.notNull())
      .addColumn('resource_id', text, (c) => c.notNull())
      .addColumn('resource_created_at', text, (c) => c.notNull())
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('hash', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('expires_at', text, (c) => c.notNull())
      .addColumn('used_at', text)
      .execute();
    await db.schema.createIndex('host_join_tokens_by_expiry').on('host_join_tokens').column('expires_at').execute();

    await db.schema
      .createTable('host_keys')
      .addColumn('id_key', text, (c) => c.primaryKey())
      .addColumn('id', text, (c) => c.notNull())
      .addColumn('resource_key', text, (c) => c.notNull())
      .addColumn('resource_id', text, (c) => c.notNull())
      .addColumn('resource_created_at', text, (c) => c.notNull())
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('hash', text, (c) => c.notNull())
      .addColumn('join_token_id', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('host_keys_by_resource').on('host_keys').column('resource_key').execute();
  },
};
