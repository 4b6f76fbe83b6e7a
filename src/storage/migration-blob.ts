/**
 * Migration 6: Keyless's own blob store (docs/adr/0011-data-planes.md) — containers, blobs with
 * their bytes, staged blocks — and the sealed keys of storage accounts. Bytes are `bytea` on
 * PostgreSQL and `blob` on SQLite; ordering columns use the byte-order text type.
 */
import { sql } from 'kysely';
import type { ColumnTypes, Migration } from './migrations.js';

/** The binary column type of the engine (the text type tells them apart). */
export function binaryType(types: ColumnTypes): 'bytea' | 'blob' {
  return typeof types.text === 'string' ? 'blob' : 'bytea';
}

export const blobMigration: Migration = {
  version: 6,
  name: 'blob storage and storage account keys',
  async up(db, types) {
    const { text } = types;
    const binary = binaryType(types);
    await db.schema
      .createTable('blob_containers')
      .addColumn('account_key', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('metadata', text, (c) => c.notNull())
      .addColumn('etag', text, (c) => c.notNull())
      .addColumn('last_modified', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('blob_containers_pk', ['account_key', 'name'])
      .execute();
    await db.schema
      .createTable('blobs')
      .addColumn('account_key', text, (c) => c.notNull())
      .addColumn('container', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('resource_type', text, (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('content', binary, (c) => c.notNull())
      .addColumn('metadata', text, (c) => c.notNull())
      .addColumn('committed_blocks', text, (c) => c.notNull())
      .addColumn('http_headers', text, (c) => c.notNull())
      .addColumn('etag', text, (c) => c.notNull())
      .addColumn('last_modified', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('blobs_pk', ['account_key', 'container', 'name'])
      .execute();
    await db.schema
      .createTable('blob_blocks')
      .addColumn('account_key', text, (c) => c.notNull())
      .addColumn('container', text, (c) => c.notNull())
      .addColumn('blob_name', text, (c) => c.notNull())
      .addColumn('block_id', text, (c) => c.notNull())
      .addColumn('staged_at', text, (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('content', binary, (c) => c.notNull())
      .addPrimaryKeyConstraint('blob_blocks_pk', ['account_key', 'container', 'blob_name', 'block_id'])
      .execute();
    // Account keys, sealed with the server's key encryption key (Shared Key needs the key itself).
    await db.schema
      .createTable('storage_account_keys')
      .addColumn('account_key', text, (c) => c.notNull())
      .addColumn('key_name', text, (c) => c.notNull())
      .addColumn('sealed_value', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('storage_account_keys_pk', ['account_key', 'key_name'])
      .execute();
    // Data planes find accounts and vaults by type and name.
    await sql`create index resources_by_type on resources (type_key)`.execute(db);
  },
};
