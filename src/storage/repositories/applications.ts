/**
 * Graph application objects, keyed by (tenant, object id); an app id is unique in its tenant. Also
 * lists a tenant's service principals for Graph's `GET /servicePrincipals`.
 */
import type { ApplicationRecord, ApplicationRepository } from '../../core/directory/applications.js';
import type { ServicePrincipal } from '../../core/model.js';
import type { ApplicationTable, PrincipalTable } from '../schema.js';
import { countOf, insertOnce, keyOf, type DbSource } from './shared.js';

function toApplication(row: ApplicationTable): ApplicationRecord {
  return { objectId: row.object_id, appId: row.app_id, tenantId: row.tenant_id, displayName: row.display_name, createdAt: row.created_at };
}

function toPrincipal(row: PrincipalTable): ServicePrincipal {
  return {
    objectId: row.object_id,
    appId: row.app_id,
    tenantId: row.tenant_id,
    displayName: row.display_name,
    kind: row.kind as ServicePrincipal['kind'],
    resourceId: row.resource_id,
    createdAt: row.created_at,
  };
}

export function createApplicationRepository(db: DbSource): ApplicationRepository {
  const select = () => db().selectFrom('applications').selectAll();
  return {
    async get(tenantId, objectId) {
      const row = await select().where('tenant_key', '=', keyOf(tenantId)).where('object_key', '=', keyOf(objectId)).executeTakeFirst();
      return row && toApplication(row);
    },
    async getByAppId(tenantId, appId) {
      const row = await select().where('tenant_key', '=', keyOf(tenantId)).where('app_key', '=', keyOf(appId)).executeTakeFirst();
      return row && toApplication(row);
    },
    async list(tenantId) {
      const rows = await select().where('tenant_key', '=', keyOf(tenantId)).orderBy('object_key').execute();
      return rows.map(toApplication);
    },
    async insert(a) {
      await insertOnce(
        db()
          .insertInto('applications')
          .values({
            tenant_key: keyOf(a.tenantId),
            object_key: keyOf(a.objectId),
            app_key: keyOf(a.appId),
            tenant_id: a.tenantId,
            object_id: a.objectId,
            app_id: a.appId,
            display_name: a.displayName,
            created_at: a.createdAt,
          }),
        `An application with object id '${a.objectId}' or app id '${a.appId}' already exists.`,
      );
    },
    async update(a) {
      const result = await db()
        .updateTable('applications')
        .set({ display_name: a.displayName })
        .where('tenant_key', '=', keyOf(a.tenantId))
        .where('object_key', '=', keyOf(a.objectId))
        .executeTakeFirst();
      return countOf(result) > 0;
    },
    async delete(tenantId, objectId) {
      const result = await db()
        .deleteFrom('applications')
        .where('tenant_key', '=', keyOf(tenantId))
        .where('object_key', '=', keyOf(objectId))
        .executeTakeFirst();
      return countOf(result) > 0;
    },
    async listPrincipals(tenantId) {
      const rows = await db().selectFrom('principals').selectAll().where('tenant_key', '=', keyOf(tenantId)).orderBy('object_key').execute();
      return rows.map(toPrincipal);
    },
  };
}
