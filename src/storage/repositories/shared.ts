/**
 * What every repository shares: the connection it should use right now, inserts that report a
 * duplicate key as a `Conflict`, JSON columns and key paging. No rules about what may be stored live
 * here: the core decides, storage stores.
 */
import type { InsertQueryBuilder, InsertResult, Kysely } from 'kysely';
import { DomainError } from '../../core/errors.js';
import type { Page, PageRequest } from '../../core/model.js';
import type { Schema } from '../schema.js';

/**
 * Returns the connection for the next query: the open transaction when the caller runs inside one,
 * the pool otherwise. Evaluated per query so a repository object can outlive a transaction.
 */
export type DbSource = () => Kysely<Schema>;

/** The key names and ids are compared by (ARM compares them case-insensitively). */
export function keyOf(value: string): string {
  return value.toLowerCase();
}

/** True for a unique or primary-key violation of SQLite (better-sqlite3) or PostgreSQL (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Runs an insert that must not replace an existing row. `ON CONFLICT DO NOTHING` (both engines) keeps
 * a PostgreSQL transaction usable after a duplicate, exactly like SQLite's; a skipped row becomes a
 * `Conflict` the core can turn into Azure's 409.
 */
export async function insertOnce<DB, TB extends keyof DB & string>(query: InsertQueryBuilder<DB, TB, InsertResult>, conflictMessage: string): Promise<void> {
  let result: InsertResult;
  try {
    result = await query.onConflict((oc) => oc.doNothing()).executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('Conflict', conflictMessage, { cause: error });
    throw error;
  }
  if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) throw new DomainError('Conflict', conflictMessage);
}

/** Rows changed by an update or delete, as a number on both engines. */
export function countOf(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): number {
  return Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}

/** A JSON column's text. */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/** A nullable JSON column's text: SQL NULL for null/undefined. */
export function toJsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** A JSON column's value. */
export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** A nullable JSON column's value. */
export function fromJsonOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

const CURSOR_PREFIX = 'k1:';

/** An opaque cursor naming the last key of a page. */
export function encodeCursor(lastKey: string): string {
  return Buffer.from(CURSOR_PREFIX + lastKey, 'utf8').toString('base64url');
}

/**
 * The key a cursor names. A cursor comes back from clients (ARM's `$skipToken` in a `nextLink`), so a
 * damaged one is the caller's mistake, not a server fault.
 */
export function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]*$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!text.startsWith(CURSOR_PREFIX)) {
    throw new DomainError('InvalidParameter', 'The paging token (skip token) is not valid: pass the nextLink exactly as it was returned.');
  }
  return text.slice(CURSOR_PREFIX.length);
}

/** A page size the database accepts: a whole number of at least 1, at most 1000. */
export function pageSize(page: PageRequest): number {
  const n = Math.floor(page.limit);
  return Number.isFinite(n) ? Math.min(Math.max(n, 1), 1000) : 1000;
}

/**
 * Turns `limit + 1` rows ordered by key into a page: the extra row, when present, only proves that a
 * next page exists.
 */
export function toPage<R, T>(rows: R[], limit: number, keyOfRow: (row: R) => string, map: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const page: Page<T> = { items: items.map(map) };
  const last = items[items.length - 1];
  if (rows.length > limit && last !== undefined) page.next = encodeCursor(keyOfRow(last));
  return page;
}
