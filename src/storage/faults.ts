/**
 * Database faults as the rest of the server sees them. An engine failure that says the database is
 * unreachable, shutting down, locked, read-only or full becomes a {@link ServiceUnavailableError}
 * (503 + Retry-After on every surface); anything else (a constraint, a bug) passes through unchanged.
 * The wrapping is one Kysely dialect decorator, so it covers every query, transaction and connection
 * of both engines.
 */
import type { DatabaseConnection, Dialect, Driver, QueryResult, CompiledQuery } from 'kysely';
import { DomainError } from '../core/errors.js';
import { ServiceUnavailableError } from '../core/unavailable.js';

/** Network failures while talking to PostgreSQL. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** SQLSTATEs of a server that is going away or not taking connections (PostgreSQL appendix A). */
const PG_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53100', '58030']);
/** pg's own messages for a lost or never-made connection (it sets no code on them). */
const PG_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /query read timeout/i,
  /connection (?:is )?closed/i,
  /cannot use a pool after calling end/i,
];

/** What an engine error means for availability, or undefined when it is not an availability fault. */
export function describeFault(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : '';
  const message = error instanceof Error ? error.message : '';
  if (NETWORK_CODES.has(code)) return `the database cannot be reached (${code})`;
  if (/^08/.test(code) || PG_UNAVAILABLE_STATES.has(code)) return `the database is not accepting connections (SQLSTATE ${code})`;
  if (code.startsWith('SQLITE_READONLY')) return 'the SQLite database file is read-only; check its permissions and those of its directory';
  if (code === 'SQLITE_FULL') return 'the disk holding the SQLite database is full';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'the SQLite database is locked by another process';
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') return `the SQLite database file cannot be read or written (${code})`;
  if (code === '' && PG_MESSAGES.some((m) => m.test(message))) return `the database connection was lost (${message})`;
  return undefined;
}

/**
 * SQLSTATEs of text PostgreSQL cannot store: U+0000 in text or jsonb (22021 character_not_in_repertoire,
 * 22P05 untranslatable_character). SQLite stores it; on PostgreSQL it was a 500 for a request naming
 * `%00` or sending `"\u0000"` (found by test/fuzz/arm-postgres.fuzz.test.ts). The request is at fault.
 */
const PG_UNSTORABLE_TEXT_STATES = new Set(['22021', '22P05']);

/**
 * `error` as a {@link ServiceUnavailableError} when it is an availability fault, as an `InvalidParameter`
 * domain error (a 400) when PostgreSQL refused the request's text; else unchanged.
 */
export function translateFault(error: unknown): unknown {
  if (error instanceof ServiceUnavailableError) return error;
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && PG_UNSTORABLE_TEXT_STATES.has(code)) {
    return new DomainError('InvalidParameter', 'The request holds a character Keyless cannot store or look up (U+0000, the NUL character): remove it.', {
      cause: error,
    });
  }
  const reason = describeFault(error);
  return reason ? new ServiceUnavailableError(`The Keyless database is unavailable: ${reason}. Try again shortly.`, { cause: error }) : error;
}

/** Runs `work` (which may throw synchronously: better-sqlite3 does) with its failure translated. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateFault(error);
  }
}

const WRAPPED = Symbol('keyless.faults');

function wrapConnection(connection: DatabaseConnection): DatabaseConnection {
  const marked = connection as DatabaseConnection & { [WRAPPED]?: true };
  if (marked[WRAPPED]) return connection;
  const execute = connection.executeQuery.bind(connection);
  marked.executeQuery = <R>(query: CompiledQuery): Promise<QueryResult<R>> => translated(() => execute<R>(query));
  marked[WRAPPED] = true;
  return connection;
}

/**
 * SQLite rolls a transaction back by itself when a write or the commit fails with SQLITE_FULL or an
 * I/O error; the rollback the query layer then sends fails with "no transaction is active", and that
 * error would hide the real one (a full disk became a 500). Nothing is left to roll back: done.
 */
async function rollbackUnlessGone(driver: Driver, connection: DatabaseConnection): Promise<void> {
  try {
    await driver.rollbackTransaction(connection);
  } catch (error) {
    if (error instanceof Error && /no transaction is active/i.test(error.message)) return;
    throw error;
  }
}

function wrapDriver(driver: Driver): Driver {
  return {
    init: () => translated(() => driver.init()),
    acquireConnection: async () => wrapConnection(await translated(() => driver.acquireConnection())),
    beginTransaction: (c, s) => translated(() => driver.beginTransaction(c, s)),
    commitTransaction: (c) => translated(() => driver.commitTransaction(c)),
    rollbackTransaction: (c) => translated(() => rollbackUnlessGone(driver, c)),
    ...(driver.savepoint ? { savepoint: (c, n, q) => translated(() => driver.savepoint!(c, n, q)) } : {}),
    ...(driver.rollbackToSavepoint ? { rollbackToSavepoint: (c, n, q) => translated(() => driver.rollbackToSavepoint!(c, n, q)) } : {}),
    ...(driver.releaseSavepoint ? { releaseSavepoint: (c, n, q) => translated(() => driver.releaseSavepoint!(c, n, q)) } : {}),
    releaseConnection: (c) => driver.releaseConnection(c),
    destroy: () => driver.destroy(),
  };
}

/** `dialect` with every driver failure passed through {@link translateFault}. */
export function withFaultTranslation(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => wrapDriver(dialect.createDriver()),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}
