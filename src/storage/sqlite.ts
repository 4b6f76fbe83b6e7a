/** The embedded engine: one SQLite file through better-sqlite3. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Store } from '../core/ports.js';
import { migrateToLatest } from './migrations.js';
import type { Schema } from './schema.js';
import { createKyselyStore } from './kysely-store.js';

export interface SqliteStoreOptions {
  /** Path of the database file; created (with its directory) when missing. */
  file: string;
  /** How long a write waits for another process holding the file's lock, ms. Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating and migrating when needed) a SQLite store. Kysely's SQLite driver runs every query
 * and transaction on this one connection, one at a time, so transactions never interleave.
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  mkdirSync(dirname(options.file), { recursive: true });
  const database = new Database(options.file);
  try {
    // WAL: readers do not block the writer and a commit is one append. synchronous=NORMAL is durable
    // across process crashes in WAL mode (only an OS crash can lose the last commits).
    database.pragma('journal_mode = WAL');
    database.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    database.pragma('foreign_keys = ON');
    database.pragma('synchronous = NORMAL');
  } catch (error) {
    database.close();
    throw error;
  }
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database }) });
  try {
    await migrateToLatest(db, 'sqlite');
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return createKyselyStore(db, 'sqlite');
}
