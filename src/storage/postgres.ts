/** The shared engine: a PostgreSQL database through a pg connection pool. */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Store } from '../core/ports.js';
import { migrateToLatest } from './migrations.js';
import type { Schema } from './schema.js';
import { createKyselyStore } from './kysely-store.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq-style parameters accepted by pg). */
  url: string;
  /** Pool size. Default 10. */
  maxConnections?: number;
}

/** The URL without its password, for messages. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = parsed.password ? '***' : '';
    return parsed.toString();
  } catch {
    return 'the PostgreSQL URL given';
  }
}

/** Opens a PostgreSQL store and brings its schema up to date (safe when several servers start at once). */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
  // An idle client that loses its server emits 'error' on the pool; unhandled it would end the
  // process. The pool drops that client and the next query connects anew, so nothing else to do.
  pool.on('error', () => undefined);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(db, 'postgres');
  } catch (error) {
    await db.destroy();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot open the PostgreSQL store at ${describePostgresUrl(options.url)}: ${reason}`, { cause: error });
  }
  return createKyselyStore(db, 'postgres');
}
