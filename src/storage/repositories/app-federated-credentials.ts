/** Federated identity credentials of app registrations, keyed by (tenant, application object id, credential id). */
import type { AppFederatedCredentialRecord, AppFederatedCredentialRepository } from '../../core/directory/app-federated-credentials.js';
import type { AppFederatedCredentialTable } from '../schema.js';
import { countOf, insertOnce, keyOf, toJson, type DbSource } from './shared.js';

function toRecord(row: AppFederatedCredentialTable): AppFederatedCredentialRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    appObjectId: row.app_object_id,
    name: row.name,
    issuer: row.issuer,
    subject: row.subject,
    audiences: JSON.parse(row.audiences) as string[],
    description: row.description,
    createdAt: row.created_at,
  };
}

export function createAppFederatedCredentialRepository(db: DbSource): AppFederatedCredentialRepository {
  return {
    async listByApp(tenantId, appObjectId) {
      const rows = await db()
        .selectFrom('app_federated_credentials')
        .selectAll()
        .where('tenant_key', '=', keyOf(tenantId))
        .where('app_object_key', '=', keyOf(appObjectId))
        .orderBy('created_at')
        .orderBy('id_key')
        .execute();
      return rows.map(toRecord);
    },
    async insert(r) {
      await insertOnce(
        db()
          .insertInto('app_federated_credentials')
          .values({
            tenant_key: keyOf(r.tenantId),
            app_object_key: keyOf(r.appObjectId),
            id_key: keyOf(r.id),
            name_key: keyOf(r.name),
            tenant_id: r.tenantId,
            app_object_id: r.appObjectId,
            id: r.id,
            name: r.name,
            issuer: r.issuer,
            subject: r.subject,
            audiences: toJson(r.audiences),
            description: r.description,
            created_at: r.createdAt,
          }),
        `A federated identity credential named '${r.name}' already exists on this application.`,
      );
    },
    async update(r) {
      const result = await db()
        .updateTable('app_federated_credentials')
        .set({ issuer: r.issuer, subject: r.subject, audiences: toJson(r.audiences), description: r.description })
        .where('tenant_key', '=', keyOf(r.tenantId))
        .where('app_object_key', '=', keyOf(r.appObjectId))
        .where('id_key', '=', keyOf(r.id))
        .executeTakeFirst();
      return countOf(result) > 0;
    },
    async delete(tenantId, appObjectId, id) {
      const result = await db()
        .deleteFrom('app_federated_credentials')
        .where('tenant_key', '=', keyOf(tenantId))
        .where('app_object_key', '=', keyOf(appObjectId))
        .where('id_key', '=', keyOf(id))
        .executeTakeFirst();
      return countOf(result) > 0;
    },
    async deleteByApp(tenantId, appObjectId) {
      const result = await db()
        .deleteFrom('app_federated_credentials')
        .where('tenant_key', '=', keyOf(tenantId))
        .where('app_object_key', '=', keyOf(appObjectId))
        .executeTakeFirst();
      return countOf(result);
    },
  };
}
