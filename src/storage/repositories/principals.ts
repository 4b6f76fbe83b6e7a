/**
 * Service principals: applications and managed identities. Keyed by (tenant, object id); an app id is
 * unique in its tenant, and a managed identity's ARM id is unique (one principal per identity).
 */
import type { ServicePrincipal } from '../../core/model.js';
import type { PrincipalRepository } from '../../core/ports.js';
import { resourceKey } from '../../core/resource-id.js';
import type { ExpressionBuilder } from 'kysely';
import type { PrincipalTable, Schema } from '../schema.js';
import { countOf, insertOnce, keyOf, type DbSource } from './shared.js';

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

export function createPrincipalRepository(db: DbSource): PrincipalRepository {
  const select = () => db().selectFrom('principals').selectAll();
  /**
   * A principal takes its role assignments with it (an assignment to a deleted principal is a
   * half-made object: docs/adr/0010-reliability.md; Azure would keep it as "Identity not found").
   * The assignments go first, so a crash between the two statements outside a transaction leaves a
   * principal without assignments, never assignments without a principal. Each removal is recorded
   * in the RBAC change feed so every server's index drops it.
   */
  const deleteAssignmentsOf = async (objectKeys: string[]) => {
    if (objectKeys.length === 0) return;
    const names = await db().selectFrom('role_assignments').select('name').where('principal_key', 'in', objectKeys).execute();
    if (names.length === 0) return;
    await db().deleteFrom('role_assignments').where('principal_key', 'in', objectKeys).execute();
    const at = new Date().toISOString();
    await db()
      .insertInto('rbac_changes')
      .values(names.map((n) => ({ kind: 'assignment', name: n.name, at })))
      .execute();
  };
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
      await insertOnce(
        db()
          .insertInto('principals')
          .values({
            tenant_key: keyOf(p.tenantId),
            object_key: keyOf(p.objectId),
            app_key: keyOf(p.appId),
            resource_key: p.resourceId === null ? null : resourceKey(p.resourceId),
            tenant_id: p.tenantId,
            object_id: p.objectId,
            app_id: p.appId,
            display_name: p.displayName,
            kind: p.kind,
            resource_id: p.resourceId,
            created_at: p.createdAt,
          }),
        `A service principal with object id '${p.objectId}', app id '${p.appId}'` +
          (p.resourceId === null ? '' : ` or resource id '${p.resourceId}'`) +
          ' already exists.',
      );
    },
    async delete(tenantId, objectId) {
      await deleteAssignmentsOf([keyOf(objectId)]);
      const result = await db().deleteFrom('principals').where('tenant_key', '=', keyOf(tenantId)).where('object_key', '=', keyOf(objectId)).executeTakeFirst();
      return countOf(result) > 0;
    },
    async deleteByResourceScope(resourceId) {
      const key = resourceKey(resourceId);
      // Keys below `key` start with `key/`; '0' is the character after '/', so the range is exact
      // (keys compare byte-wise on both engines, see migrations.ts).
      const inScope = (eb: ExpressionBuilder<Schema, 'principals'>) =>
        eb.or([eb('resource_key', '=', key), eb.and([eb('resource_key', '>', `${key}/`), eb('resource_key', '<', `${key}0`)])]);
      const doomed = await db().selectFrom('principals').select('object_key').where(inScope).execute();
      await deleteAssignmentsOf(doomed.map((p) => p.object_key));
      const result = await db().deleteFrom('principals').where(inScope).executeTakeFirst();
      return countOf(result);
    },
  };
}
