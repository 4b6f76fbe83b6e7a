/** The shared engine: a PostgreSQL database through a pg connection pool. */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Store } from '../core/ports.js';
import { migrateToLatest } from './migrations.js';
import type { Schema } from './schema.js';
import { createKyselyStore } from './kysely-store.js';
import { withFaultTranslation } from './faults.js';

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
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    // A database that does not answer fails the request (503) instead of holding it: connecting waits
    // at most 5 s and a query 30 s (no query of Keyless comes near). TCP keep-alive notices a peer
    // that vanished without closing the connection.
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000,
    keepAlive: true,
  });
  // A client that loses its server emits 'error': on the pool while idle, on the client itself while
  // checked out (e.g. between two statements of a transaction). Unhandled, either ends the process
  // ("Connection terminated unexpectedly"). The failing query rejects on its own and the pool drops
  // the broken client, so the next query connects anew: the events only need a listener.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = new Kysely<Schema>({ dialect: withFaultTranslation(new PostgresDialect({ pool })) });
  try {
    await migrateToLatest(db, 'postgres');
  } catch (error) {
    await db.destroy();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot open the PostgreSQL store at ${describePostgresUrl(options.url)}: ${reason}`, { cause: error });
  }
  const max = options.maxConnections ?? 10;
  return Object.assign(createKyselyStore(db, 'postgres'), {
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }),
  });
}
