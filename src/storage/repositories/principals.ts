/**
 * Service principals: applications and managed identities. Keyed by (tenant, object id); an app id is
 * unique in its tenant, and a managed identity's ARM id is unique (one principal per identity).
 */
import type { ServicePrincipal } from '../../core/model.js';
import type { PrincipalRepository } from '../../core/ports.js';
import { resourceKey } from '../../core/resource-id.js';
import type { PrincipalTable } from '../schema.js';
import { countOf, insertOnce, keyOf, type DbSource } from './shared.js';

function toPrincipal(row: PrincipalTable): ServicePrincipal {
  return {
    objectId: row.object_id, appId: row.app_id, tenantId: row.tenant_id, displayName: row.display_name,
    kind: row.kind as ServicePrincipal['kind'], resourceId: row.resource_id, createdAt: row.created_at,
  };
}

export function createPrincipalRepository(db: DbSource): PrincipalRepository {
  const select = () => db().selectFrom('principals').selectAll();
  return {
    async getByObjectId(tenantId, objectId) {
      const row = await select().where('tenant_key', '=', keyOf(tenantId)).where('object_key', '=', keyOf(objectId)).executeTakeFirst();
      return row && toPrincipal(row);
    },
    async getByAppId(tenantId, appId) {
      const row = await select().where('tenant_key', '=', keyOf(tenantId)).where('app_key', '=', keyOf(appId)).executeTakeFirst();
      return row && toPrincipal(row);
    },
    async getByResourceId(resourceId) {
      const row = await select().where('resource_key', '=', resourceKey(resourceId)).executeTakeFirst();
      return row && toPrincipal(row);
    },
    async insert(p) {
      await insertOnce(db().insertInto('principals').values({
        tenant_key: keyOf(p.tenantId), object_key: keyOf(p.objectId), app_key: keyOf(p.appId),
        resource_key: p.resourceId === null ? null : resourceKey(p.resourceId),
        tenant_id: p.tenantId, object_id: p.objectId, app_id: p.appId, display_name: p.displayName,
        kind: p.kind, resource_id: p.resourceId, created_at: p.createdAt,
      }), `A service principal with object id '${p.objectId}', app id '${p.appId}'`
        + (p.resourceId === null ? '' : ` or resource id '${p.resourceId}'`) + ' already exists.');
    },
    async delete(tenantId, objectId) {
      const result = await db().deleteFrom('principals')
        .where('tenant_key', '=', keyOf(tenantId)).where('object_key', '=', keyOf(objectId)).executeTakeFirst();
      return countOf(result) > 0;
    },
    async deleteByResourceScope(resourceId) {
      const key = resourceKey(resourceId);
      // Keys below `key` start with `key/`; '0' is the character after '/', so the range is exact
      // (keys compare byte-wise on both engines, see migrations.ts).
      const result = await db().deleteFrom('principals')
        .where((eb) => eb.or([
          eb('resource_key', '=', key),
          eb.and([eb('resource_key', '>', `${key}/`), eb('resource_key', '<', `${key}0`)]),
        ]))
        .executeTakeFirst();
      return countOf(result);
    },
  };
}
