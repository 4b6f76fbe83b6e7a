/** The embedded engine: one SQLite file through better-sqlite3. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Store } from '../core/ports.js';
import { migrateToLatest } from './migrations.js';
import type { Schema } from './schema.js';
import { createKyselyStore } from './kysely-store.js';
import { describeFault, withFaultTranslation } from './faults.js';

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
  let database: Database.Database;
  try {
    database = new Database(options.file);
  } catch (error) {
    throw openError(options.file, error);
  }
  try {
    // WAL: readers do not block the writer and a commit is one append. synchronous=NORMAL is durable
    // across process crashes in WAL mode (only an OS crash can lose the last commits).
    database.pragma('journal_mode = WAL');
    database.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    database.pragma('foreign_keys = ON');
    database.pragma('synchronous = NORMAL');
  } catch (error) {
    database.close();
    throw openError(options.file, error);
  }
  const db = new Kysely<Schema>({ dialect: withFaultTranslation(new SqliteDialect({ database: withStatementCache(database) })) });
  try {
    await migrateToLatest(db, 'sqlite');
  } catch (error) {
    await db.destroy();
    throw openError(options.file, error);
  }
  return createKyselyStore(db, 'sqlite');
}

/** A start-up failure that says which file and, for the usual causes (read-only, full disk), what to fix. */
function openError(file: string, error: unknown): Error {
  const reason = describeFault(error) ?? (error instanceof Error ? error.message : String(error));
  return new Error(`cannot open the SQLite store at ${file}: ${reason}`, { cause: error });
}

/** How many prepared statements to keep; the queries are a fixed set, so this is never reached in use. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every statement anew; preparing costs more than running the small
 * queries of the token path. The queries Kysely builds are a fixed set of SQL strings with bound
 * parameters, so their prepared statements are kept and reused (better-sqlite3 statements are
 * reusable; the driver runs one at a time on this single connection).
 */
function withStatementCache(database: Database.Database): Database.Database {
  const cache = new Map<string, Database.Statement>();
  const prepare = database.prepare.bind(database);
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property !== 'prepare') {
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return (sql: string) => {
        let statement = cache.get(sql);
        if (!statement) {
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
          statement = prepare(sql);
          cache.set(sql, statement);
        }
        return statement;
      };
    },
  });
}
