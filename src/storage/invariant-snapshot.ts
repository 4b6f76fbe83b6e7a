/**
 * Reads the {@link InvariantSnapshot} straight from the tables, for `keyless check`. It opens the
 * database on its own connection and never writes: no migration, no bootstrap; SQLite is opened
 * read-only, so a check can run next to a live server or on a copy of its database.
 */
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { InvariantSnapshot } from '../core/invariants/invariants.js';
import type { Schema } from './schema.js';
import { describePostgresUrl } from './postgres.js';
import type { OpenStoreOptions } from './store.js';

function parseObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Opens the database of `options` read-only and reads every table the invariants look at. */
export async function readInvariantSnapshot(options: OpenStoreOptions): Promise<InvariantSnapshot> {
  let db: Kysely<Schema>;
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1, connectionTimeoutMillis: 5000 });
    pool.on('error', () => undefined);
    db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  } else {
    let database: Database.Database;
    try {
      database = new Database(options.sqliteFile, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new Error(`cannot open the SQLite database ${options.sqliteFile}: ${(error as Error).message}`, { cause: error });
    }
    db = new Kysely<Schema>({ dialect: new SqliteDialect({ database }) });
  }
  try {
    // One consistent view: on PostgreSQL a repeatable-read transaction, on SQLite one read transaction.
    const transaction = options.databaseUrl ? db.transaction().setIsolationLevel('repeatable read') : db.transaction();
    return await transaction.execute(async (tx) => {
      const principals = await tx.selectFrom('principals').select(['tenant_id', 'object_id', 'app_id', 'kind', 'resource_id']).execute();
      const resources = await tx.selectFrom('resources').select(['id', 'subscription_id', 'resource_group', 'type', 'identity', 'properties']).execute();
      const groups = await tx.selectFrom('resource_groups').select(['subscription_id', 'name', 'managed_by']).execute();
      const assignments = await tx.selectFrom('role_assignments').select(['name', 'scope', 'role_key', 'principal_key']).execute();
      const roles = await tx.selectFrom('role_definitions').select(['name']).execute();
      return {
        principals: principals.map((p) => ({ tenantId: p.tenant_id, objectId: p.object_id, appId: p.app_id, kind: p.kind, resourceId: p.resource_id })),
        resources: resources.map((r) => ({
          id: r.id,
          subscriptionId: r.subscription_id,
          resourceGroup: r.resource_group,
          type: r.type,
          identity: parseObject(r.identity),
          properties: parseObject(r.properties) ?? {},
        })),
        resourceGroups: groups.map((g) => ({ subscriptionId: g.subscription_id, name: g.name, managedBy: g.managed_by })),
        roleAssignments: assignments.map((a) => ({ name: a.name, scope: a.scope, roleDefinitionName: a.role_key, principalId: a.principal_key })),
        roleDefinitionNames: roles.map((r) => r.name),
      };
    });
  } catch (error) {
    const where = options.databaseUrl ? describePostgresUrl(options.databaseUrl) : options.sqliteFile;
    throw new Error(`cannot read the database at ${where}: ${(error as Error).message}`, { cause: error });
  } finally {
    await db.destroy();
  }
}
