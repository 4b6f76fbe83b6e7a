/**
 * Activity Log and sign-in events (migration 8). Rows are written in batches by the activity log's
 * buffered writer; a batch retried after a partial failure skips rows already stored (by id). Lists
 * are newest first, paged by a cursor naming the last row's (time, id).
 */
import type { ActivityEvent, ActivityEventBody, ActivityEventRepository, SignInEvent, SignInEventRepository } from '../../core/activity/model.js';
import { DomainError } from '../../core/errors.js';
import { CompiledQuery, type Kysely } from 'kysely';
import { countOf, decodeCursor, encodeCursor, fromJson, keyOf, pageSize, toJson, type DbSource } from './shared.js';

/** Rows per INSERT statement, largest first: a batch becomes a few statements of these fixed sizes. */
const CHUNK_SIZES = [128, 32, 8, 2, 1];

/**
 * Writes batches of rows into one table: one transaction (one commit) per batch, multi-row INSERTs of
 * a few fixed sizes whose SQL is compiled once per size and kept (so the SQLite store's statement
 * cache, keyed by text, holds five shapes, and no query is rebuilt per batch). The activity log writes
 * hundreds of rows a second from the token path's process, where SQLite runs synchronously; measured
 * here this costs about a third of the main-thread time of one Kysely insert per row. A retried
 * batch skips rows already stored.
 */
function createBatchInserter(db: DbSource, table: 'activity_events' | 'sign_in_events', key: string, columns: readonly string[]) {
  const compiled = new Map<number, string>();
  const statement = (conn: Kysely<any>, size: number) => {
    let text = compiled.get(size);
    if (text === undefined) {
      const template = Array.from({ length: size }, () => Object.fromEntries(columns.map((c) => [c, ''])));
      text = conn
        .insertInto(table)
        .values(template)
        .onConflict((oc) => oc.column(key).doNothing())
        .compile().sql;
      compiled.set(size, text);
    }
    return text;
  };
  return async (rows: readonly Record<string, string>[]): Promise<void> => {
    if (rows.length === 0) return;
    const run = async (conn: Kysely<any>) => {
      let at = 0;
      for (const size of CHUNK_SIZES) {
        while (rows.length - at >= size) {
          const params = rows.slice(at, at + size).flatMap((row) => columns.map((c) => row[c]));
          await conn.executeQuery(CompiledQuery.raw(statement(conn, size), params));
          at += size;
        }
      }
    };
    const conn = db() as Kysely<any>;
    if (conn.isTransaction) return run(conn);
    await conn.transaction().execute(run);
  };
}

const ACTIVITY_COLUMNS = [
  'event_data_id',
  'subscription_key',
  'tenant_id',
  'event_ts',
  'resource_group_key',
  'resource_key',
  'provider_key',
  'correlation_key',
  'caller_key',
  'status_key',
  'body',
] as const;
const SIGN_IN_COLUMNS = ['id', 'tenant_key', 'created_at', 'app_key', 'principal_key', 'event_type', 'body'] as const;

function splitCursor(cursor: string | undefined): { at: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const text = decodeCursor(cursor);
  const bar = text.indexOf('|');
  if (bar < 0) throw new DomainError('InvalidParameter', 'The paging token (skip token) is not valid: pass the nextLink exactly as it was returned.');
  return { at: text.slice(0, bar), id: text.slice(bar + 1) };
}

export function createActivityEventRepository(db: DbSource): ActivityEventRepository {
  const insertRows = createBatchInserter(db, 'activity_events', 'event_data_id', ACTIVITY_COLUMNS);
  return {
    async insertMany(events) {
      const rows = events.map((e) => ({
        event_data_id: keyOf(e.eventDataId),
        subscription_key: keyOf(e.subscriptionId),
        tenant_id: e.tenantId,
        event_ts: e.eventTimestamp,
        resource_group_key: keyOf(e.body.resourceGroupName),
        resource_key: keyOf(e.body.resourceId),
        provider_key: keyOf(e.body.resourceProviderName.value),
        correlation_key: keyOf(e.body.correlationId),
        caller_key: keyOf(e.body.caller),
        status_key: keyOf(e.body.status.value),
        body: toJson(e.body),
      }));
      await insertRows(rows);
    },
    async list(query, page) {
      const limit = pageSize(page);
      const after = splitCursor(page.after);
      let q = db()
        .selectFrom('activity_events')
        .select(['event_data_id', 'event_ts', 'body', 'tenant_id'])
        .where('subscription_key', '=', keyOf(query.subscriptionId))
        .where('event_ts', '>=', query.from)
        .where('event_ts', '<=', query.to);
      if (query.resourceGroupName !== undefined) q = q.where('resource_group_key', '=', keyOf(query.resourceGroupName));
      if (query.resourceId !== undefined) q = q.where('resource_key', '=', keyOf(query.resourceId.replace(/\/+$/, '')));
      if (query.resourceProvider !== undefined) q = q.where('provider_key', '=', keyOf(query.resourceProvider));
      if (query.correlationId !== undefined) q = q.where('correlation_key', '=', keyOf(query.correlationId));
      if (query.caller !== undefined) q = q.where('caller_key', '=', keyOf(query.caller));
      if (query.status !== undefined) q = q.where('status_key', '=', keyOf(query.status));
      if (after) q = q.where((eb) => eb.or([eb('event_ts', '<', after.at), eb.and([eb('event_ts', '=', after.at), eb('event_data_id', '<', after.id)])]));
      const rows = await q
        .orderBy('event_ts', 'desc')
        .orderBy('event_data_id', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map((r): ActivityEvent => {
        const body = fromJson<ActivityEventBody>(r.body);
        return { tenantId: r.tenant_id, subscriptionId: body.subscriptionId, eventTimestamp: r.event_ts, eventDataId: body.eventDataId, body };
      });
      const last = rows[limit - 1];
      return rows.length > limit && last ? { items, next: encodeCursor(`${last.event_ts}|${last.event_data_id}`) } : { items };
    },
    async deleteBefore(before) {
      return countOf(await db().deleteFrom('activity_events').where('event_ts', '<', before).executeTakeFirst());
    },
  };
}

export function createSignInEventRepository(db: DbSource): SignInEventRepository {
  const insertRows = createBatchInserter(db, 'sign_in_events', 'id', SIGN_IN_COLUMNS);
  return {
    async insertMany(events) {
      const rows = events.map((e) => ({
        id: keyOf(e.id),
        tenant_key: keyOf(e.tenantId),
        created_at: e.createdDateTime,
        app_key: keyOf(e.appId),
        principal_key: keyOf(e.servicePrincipalId ?? ''),
        event_type: e.eventType,
        body: toJson(e),
      }));
      await insertRows(rows);
    },
    async list(query, page) {
      const limit = pageSize(page);
      if (query.eventTypes && query.eventTypes.length === 0) return { items: [] };
      const after = splitCursor(page.after);
      let q = db().selectFrom('sign_in_events').select(['id', 'created_at', 'body']).where('tenant_key', '=', keyOf(query.tenantId));
      if (query.from !== undefined) q = q.where('created_at', '>=', query.from);
      if (query.to !== undefined) q = q.where('created_at', '<=', query.to);
      if (query.appId !== undefined) q = q.where('app_key', '=', keyOf(query.appId));
      if (query.servicePrincipalId !== undefined) q = q.where('principal_key', '=', keyOf(query.servicePrincipalId));
      if (query.eventTypes) q = q.where('event_type', 'in', [...query.eventTypes]);
      if (after) q = q.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map((r) => fromJson<SignInEvent>(r.body));
      const last = rows[limit - 1];
      return rows.length > limit && last ? { items, next: encodeCursor(`${last.created_at}|${last.id}`) } : { items };
    },
    async deleteBefore(before) {
      return countOf(await db().deleteFrom('sign_in_events').where('created_at', '<', before).executeTakeFirst());
    },
  };
}
