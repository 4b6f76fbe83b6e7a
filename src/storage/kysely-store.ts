/**
 * The one {@link Store} implementation, over any Kysely database. Engines differ only in how the
 * Kysely instance is built (sqlite.ts, postgres.ts); every query is the same.
 *
 * Transactions: `transaction(work)` runs `work` in one database transaction. The open transaction is
 * remembered in an AsyncLocalStorage, so that
 * - a nested `transaction` call joins the outer one (a throw that escapes it rolls back everything);
 * - a query made through the store itself (not `tx`) from inside the transaction also uses it, instead
 *   of waiting for a second connection: on SQLite there is only one, which the transaction holds, and
 *   on PostgreSQL a second connection would block on rows the transaction has locked.
 * Queries from other async contexts (other requests) never see the transaction: on SQLite they wait
 * for the single connection; on PostgreSQL they use another pooled one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Repositories, Store } from '../core/ports.js';
import { createRepositories } from './repositories/index.js';
import type { Engine, Schema } from './schema.js';

interface OpenTransaction {
  trx: Transaction<Schema>;
  repositories: Repositories;
  /** False once the transaction has committed or rolled back. */
  open: boolean;
}

/** Wraps a migrated Kysely database as a {@link Store}; closing the store destroys `db` (once). */
export function createKyselyStore(db: Kysely<Schema>, engine: Engine): Store {
  const context = new AsyncLocalStorage<OpenTransaction>();
  // Work started inside a transaction but still running after it ended (e.g. a background task)
  // falls back to the pool rather than using a finished transaction.
  const current = () => {
    const scope = context.getStore();
    return scope?.open ? scope.trx : db;
  };

  async function transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    const outer = context.getStore();
    if (outer?.open) return work(outer.repositories);
    return db.transaction().execute(async (trx) => {
      const scope: OpenTransaction = {
        trx,
        open: true,
        repositories: createRepositories(() => {
          if (!scope.open) throw new Error('this transaction has already finished; use the store instead of a saved tx');
          return trx;
        }),
      };
      try {
        return await context.run(scope, () => work(scope.repositories));
      } finally {
        scope.open = false;
      }
    });
  }

  let closing: Promise<void> | undefined;
  return {
    engine,
    ...createRepositories(current),
    transaction,
    // The readiness probe: one round trip to the database.
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    // Idempotent: shutdown paths may close the store more than once.
    close: () => (closing ??= db.destroy()),
  };
}
