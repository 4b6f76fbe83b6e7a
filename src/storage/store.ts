/**
 * The storage entry point: opens the engine the server's settings name. Everything else in storage/
 * is reached through the returned {@link Store}.
 */
import type { Store } from '../core/ports.js';
import { createPostgresStore } from './postgres.js';
import { createSqliteStore } from './sqlite.js';

export interface OpenStoreOptions {
  /** PostgreSQL URL; when absent or empty the embedded SQLite file is used. */
  databaseUrl?: string | undefined;
  /** The SQLite file, e.g. `<dataDir>/keyless.db`. */
  sqliteFile: string;
}

/** Opens PostgreSQL when a database URL is given, the embedded SQLite file otherwise. */
export function openStore(options: OpenStoreOptions): Promise<Store> {
  return options.databaseUrl ? createPostgresStore({ url: options.databaseUrl }) : createSqliteStore({ file: options.sqliteFile });
}

export { createPostgresStore, type PostgresStoreOptions } from './postgres.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite.js';
