/** Client secrets of applications, as hashes (never the secret), keyed by (tenant, key id). */
import type { ClientSecretRecord } from '../../core/model.js';
import type { ClientSecretRepository } from '../../core/ports.js';
import type { ClientSecretTable } from '../schema.js';
import { countOf, insertOnce, keyOf, type DbSource } from './shared.js';

function toSecret(row: ClientSecretTable): ClientSecretRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    appId: row.app_id,
    hash: row.hash,
    hint: row.hint,
    displayName: row.display_name,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function createClientSecretRepository(db: DbSource): ClientSecretRepository {
  return {
    async listByApp(tenantId, appId) {
      const rows = await db()
        .selectFrom('client_secrets')
        .selectAll()
        .where('tenant_key', '=', keyOf(tenantId))
        .where('app_key', '=', keyOf(appId))
        .orderBy('id_key')
        .execute();
      return rows.map(toSecret);
    },
    async insert(s) {
      await insertOnce(
        db()
          .insertInto('client_secrets')
          .values({
            tenant_key: keyOf(s.tenantId),
            id_key: keyOf(s.id),
            app_key: keyOf(s.appId),
            id: s.id,
            tenant_id: s.tenantId,
            app_id: s.appId,
            hash: s.hash,
            hint: s.hint,
            display_name: s.displayName,
            created_at: s.createdAt,
            expires_at: s.expiresAt,
          }),
        `A client secret with key id '${s.id}' already exists.`,
      );
    },
    async delete(tenantId, id) {
      const result = await db().deleteFrom('client_secrets').where('tenant_key', '=', keyOf(tenantId)).where('id_key', '=', keyOf(id)).executeTakeFirst();
      return countOf(result) > 0;
    },
  };
}
