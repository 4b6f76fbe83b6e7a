/** Join tokens and host keys of host agents (hashes only), keyed by their random id. */
import type { HostCredentialRepository, HostKeyRecord, JoinTokenRecord } from '../../core/hosts/host-records.js';
import { resourceKey } from '../../core/resource-id.js';
import type { HostJoinTokenTable, HostKeyTable } from '../schema.js';
import { countOf, insertOnce, keyOf, type DbSource } from './shared.js';

function toJoinToken(row: HostJoinTokenTable): JoinTokenRecord {
  return {
    id: row.id,
    resourceId: row.resource_id,
    resourceCreatedAt: row.resource_created_at,
    tenantId: row.tenant_id,
    hash: row.hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

function toHostKey(row: HostKeyTable): HostKeyRecord {
  return {
    id: row.id,
    resourceId: row.resource_id,
    resourceCreatedAt: row.resource_created_at,
    tenantId: row.tenant_id,
    hash: row.hash,
    joinTokenId: row.join_token_id,
    createdAt: row.created_at,
  };
}

export function createHostCredentialRepository(db: DbSource): HostCredentialRepository {
  return {
    async insertJoinToken(t) {
      await insertOnce(
        db()
          .insertInto('host_join_tokens')
          .values({
            id_key: keyOf(t.id),
            id: t.id,
            resource_key: resourceKey(t.resourceId),
            resource_id: t.resourceId,
            resource_created_at: t.resourceCreatedAt,
            tenant_id: t.tenantId,
            hash: t.hash,
            created_at: t.createdAt,
            expires_at: t.expiresAt,
            used_at: t.usedAt,
          }),
        `A join token with id '${t.id}' already exists.`,
      );
    },
    async getJoinToken(id) {
      const row = await db().selectFrom('host_join_tokens').selectAll().where('id_key', '=', keyOf(id)).executeTakeFirst();
      return row && toJoinToken(row);
    },
    async consumeJoinToken(id, now) {
      // One conditional UPDATE: of two concurrent exchanges, exactly one sees a changed row.
      const result = await db()
        .updateTable('host_join_tokens')
        .set({ used_at: now })
        .where('id_key', '=', keyOf(id))
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return countOf(result) === 1;
    },
    async deleteExpiredJoinTokens(before) {
      return countOf(await db().deleteFrom('host_join_tokens').where('expires_at', '<', before).executeTakeFirst());
    },
    async insertHostKey(k) {
      await insertOnce(
        db()
          .insertInto('host_keys')
          .values({
            id_key: keyOf(k.id),
            id: k.id,
            resource_key: resourceKey(k.resourceId),
            resource_id: k.resourceId,
            resource_created_at: k.resourceCreatedAt,
            tenant_id: k.tenantId,
            hash: k.hash,
            join_token_id: k.joinTokenId,
            created_at: k.createdAt,
          }),
        `A host key with id '${k.id}' already exists.`,
      );
    },
    async getHostKey(id) {
      const row = await db().selectFrom('host_keys').selectAll().where('id_key', '=', keyOf(id)).executeTakeFirst();
      return row && toHostKey(row);
    },
    async deleteHostKeysOf(resourceId) {
      return countOf(await db().deleteFrom('host_keys').where('resource_key', '=', resourceKey(resourceId)).executeTakeFirst());
    },
  };
}
