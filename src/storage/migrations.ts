/**
 * Versioned schema migrations, in code, applied when a store opens. Each migration runs once, in
 * order, recorded in `keyless_migrations`. Several servers may open one PostgreSQL database at the
 * same moment: the whole run happens in one transaction holding a PostgreSQL advisory lock, so the
 * second server waits, then finds the work done (a bare `CREATE TABLE IF NOT EXISTS` can race).
 * On SQLite the run holds the write lock from its first statement (`BEGIN IMMEDIATE`).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Engine, Schema } from './schema.js';
import { rbacMigration } from './migration-rbac.js';
import { hostCredentialsMigration } from './migration-host-credentials.js';
import { registrationsMigration } from './migration-registrations.js';
import { applicationsMigration } from './migration-applications.js';
import { blobMigration } from './migration-blob.js';
import { keyVaultMigration } from './migration-keyvault.js';
import { appFederatedCredentialsMigration } from './migration-app-federated-credentials.js';
import { kustoMigration } from './migration-kusto.js';
import { activityMigration } from './migration-activity.js';

/** One schema change. `up` receives the connection that holds the migration lock. */
export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<any>, types: ColumnTypes): Promise<void>;
}

/** Column types that differ by engine. */
export interface ColumnTypes {
  /**
   * Text compared byte by byte. PostgreSQL would otherwise sort and compare by the database's locale,
   * which differs from SQLite's binary order and would break prefix ranges such as `id/…`.
   */
  text: 'text' | RawBuilder<unknown>;
}

/** An arbitrary constant naming Keyless's migration lock among other advisory locks. */
const ADVISORY_LOCK_ID = 7_164_823_001;

const initialSchema: Migration = {
  version: 1,
  name: 'initial schema',
  async up(db, { text }) {
    await db.schema
      .createTable('tenants')
      .addColumn('id_key', text, (c) => c.primaryKey())
      .addColumn('id', text, (c) => c.notNull())
      .addColumn('display_name', text, (c) => c.notNull())
      .addColumn('default_domain', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('subscriptions')
      .addColumn('id_key', text, (c) => c.primaryKey())
      .addColumn('id', text, (c) => c.notNull())
      .addColumn('tenant_key', text, (c) => c.notNull())
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('display_name', text, (c) => c.notNull())
      .addColumn('state', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('subscriptions_by_tenant').on('subscriptions').columns(['tenant_key', 'id_key']).execute();

    await db.schema
      .createTable('principals')
      .addColumn('tenant_key', text, (c) => c.notNull())
      .addColumn('object_key', text, (c) => c.notNull())
      .addColumn('app_key', text, (c) => c.notNull())
      .addColumn('resource_key', text)
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('object_id', text, (c) => c.notNull())
      .addColumn('app_id', text, (c) => c.notNull())
      .addColumn('display_name', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('resource_id', text)
      .addColumn('created_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('principals_pk', ['tenant_key', 'object_key'])
      .addUniqueConstraint('principals_app_unique', ['tenant_key', 'app_key'])
      .execute();
    // One principal per managed identity; NULLs (applications) never collide on either engine.
    await db.schema.createIndex('principals_by_resource').unique().on('principals').column('resource_key').execute();

    await db.schema
      .createTable('client_secrets')
      .addColumn('tenant_key', text, (c) => c.notNull())
      .addColumn('id_key', text, (c) => c.notNull())
      .addColumn('app_key', text, (c) => c.notNull())
      .addColumn('id', text, (c) => c.notNull())
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('app_id', text, (c) => c.notNull())
      .addColumn('hash', text, (c) => c.notNull())
      .addColumn('hint', text, (c) => c.notNull())
      .addColumn('display_name', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('expires_at', text)
      .addPrimaryKeyConstraint('client_secrets_pk', ['tenant_key', 'id_key'])
      .execute();
    await db.schema.createIndex('client_secrets_by_app').on('client_secrets').columns(['tenant_key', 'app_key']).execute();

    await db.schema
      .createTable('resource_groups')
      .addColumn('subscription_key', text, (c) => c.notNull())
      .addColumn('name_key', text, (c) => c.notNull())
      .addColumn('subscription_id', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('location', text, (c) => c.notNull())
      .addColumn('managed_by', text)
      .addColumn('tags', text, (c) => c.notNull())
      .addColumn('provisioning_state', text, (c) => c.notNull())
      .addColumn('etag', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('resource_groups_pk', ['subscription_key', 'name_key'])
      .execute();

    await db.schema
      .createTable('resources')
      .addColumn('id_key', text, (c) => c.primaryKey())
      .addColumn('subscription_key', text, (c) => c.notNull())
      .addColumn('group_key', text, (c) => c.notNull())
      .addColumn('type_key', text, (c) => c.notNull())
      .addColumn('id', text, (c) => c.notNull())
      .addColumn('subscription_id', text, (c) => c.notNull())
      .addColumn('resource_group', text, (c) => c.notNull())
      .addColumn('type', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('location', text, (c) => c.notNull())
      .addColumn('tags', text, (c) => c.notNull())
      .addColumn('kind', text)
      .addColumn('properties', text, (c) => c.notNull())
      .addColumn('identity', text)
      .addColumn('sku', text)
      .addColumn('provisioning_state', text, (c) => c.notNull())
      .addColumn('etag', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('resources_by_group').on('resources').columns(['subscription_key', 'group_key', 'id_key']).execute();
    await db.schema.createIndex('resources_by_subscription').on('resources').columns(['subscription_key', 'id_key']).execute();

    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', text, (c) => c.primaryKey())
      .addColumn('private_key_pem', text, (c) => c.notNull())
      .addColumn('certificate_der', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('activates_at', text, (c) => c.notNull())
      .addColumn('expires_at', text, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('operations')
      .addColumn('id_key', text, (c) => c.primaryKey())
      .addColumn('id', text, (c) => c.notNull())
      .addColumn('subscription_id', text, (c) => c.notNull())
      .addColumn('resource_id', text, (c) => c.notNull())
      .addColumn('action', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('start_time', text, (c) => c.notNull())
      .addColumn('end_time', text)
      .addColumn('error', text)
      .execute();

    await db.schema
      .createTable('meta')
      .addColumn('name_key', text, (c) => c.primaryKey())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('value', text, (c) => c.notNull())
      .execute();
  },
};

/** Every migration, oldest first. Append new ones; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  initialSchema,
  hostCredentialsMigration,
  rbacMigration,
  registrationsMigration,
  applicationsMigration,
  blobMigration,
  keyVaultMigration,
  appFederatedCredentialsMigration,
  kustoMigration,
  activityMigration,
];

/**
 * Brings the database up to the latest version. Safe to call from several processes at once.
 * Refuses a database migrated by a newer Keyless (its schema may not be readable by this one).
 */
export async function migrateToLatest(db: Kysely<Schema>, engine: Engine, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const types: ColumnTypes = { text: engine === 'postgres' ? sql`text collate "C"` : 'text' };
  return db.connection().execute(async (conn) => {
    await sql.raw(engine === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
    try {
      if (engine === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(ADVISORY_LOCK_ID)})`.execute(conn);
      await conn.schema
        .createTable('keyless_migrations')
        .ifNotExists()
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('name', types.text, (c) => c.notNull())
        .addColumn('applied_at', types.text, (c) => c.notNull())
        .execute();
      const rows = await conn.selectFrom('keyless_migrations').select('version').execute();
      const done = new Set(rows.map((r) => Number(r.version)));
      const latest = Math.max(0, ...migrations.map((m) => m.version));
      const newest = Math.max(0, ...done);
      if (newest > latest) {
        throw new Error(`the database schema is at version ${newest}, newer than this Keyless supports (${latest}); upgrade Keyless`);
      }
      const applied: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await migration.up(conn, types);
        await conn
          .insertInto('keyless_migrations')
          .values({ version: migration.version, name: migration.name, applied_at: new Date().toISOString() })
          .execute();
        applied.push(migration.version);
      }
      await sql.raw('commit').execute(conn);
      return applied;
    } catch (error) {
      await sql
        .raw('rollback')
        .execute(conn)
        .catch(() => undefined);
      throw error;
    }
  });
}
