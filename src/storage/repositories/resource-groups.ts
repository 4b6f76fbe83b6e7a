/** Resource groups, keyed by (subscription, name), listed in name order. */
import type { ResourceGroup, Tags } from '../../core/model.js';
import type { ResourceGroupRepository } from '../../core/ports.js';
import type { ResourceGroupTable } from '../schema.js';
import { countOf, decodeCursor, fromJson, insertOnce, keyOf, pageSize, toJson, toPage, type DbSource } from './shared.js';

function toGroup(row: ResourceGroupTable): ResourceGroup {
  return {
    subscriptionId: row.subscription_id,
    name: row.name,
    location: row.location,
    managedBy: row.managed_by,
    tags: fromJson<Tags>(row.tags),
    provisioningState: row.provisioning_state as ResourceGroup['provisioningState'],
    etag: row.etag,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(g: ResourceGroup): ResourceGroupTable {
  return {
    subscription_key: keyOf(g.subscriptionId),
    name_key: keyOf(g.name),
    subscription_id: g.subscriptionId,
    name: g.name,
    location: g.location,
    managed_by: g.managedBy,
    tags: toJson(g.tags),
    provisioning_state: g.provisioningState,
    etag: g.etag,
    created_at: g.createdAt,
    updated_at: g.updatedAt,
  };
}

export function createResourceGroupRepository(db: DbSource): ResourceGroupRepository {
  return {
    async get(subscriptionId, name) {
      const row = await db()
        .selectFrom('resource_groups')
        .selectAll()
        .where('subscription_key', '=', keyOf(subscriptionId))
        .where('name_key', '=', keyOf(name))
        .executeTakeFirst();
      return row && toGroup(row);
    },
    async list(subscriptionId, page) {
      const limit = pageSize(page);
      let query = db().selectFrom('resource_groups').selectAll().where('subscription_key', '=', keyOf(subscriptionId));
      if (page.after !== undefined) query = query.where('name_key', '>', decodeCursor(page.after));
      const rows = await query
        .orderBy('name_key')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, (r) => r.name_key, toGroup);
    },
    async insert(group) {
      await insertOnce(
        db().insertInto('resource_groups').values(toRow(group)),
        `A resource group named '${group.name}' already exists in subscription '${group.subscriptionId}'.`,
      );
    },
    async update(group, ifEtag) {
      const { subscription_key, name_key, ...changes } = toRow(group);
      let query = db().updateTable('resource_groups').set(changes).where('subscription_key', '=', subscription_key).where('name_key', '=', name_key);
      if (ifEtag !== undefined) query = query.where('etag', '=', ifEtag);
      return countOf(await query.executeTakeFirst()) > 0;
    },
    async delete(subscriptionId, name) {
      const result = await db()
        .deleteFrom('resource_groups')
        .where('subscription_key', '=', keyOf(subscriptionId))
        .where('name_key', '=', keyOf(name))
        .executeTakeFirst();
      return countOf(result) > 0;
    },
  };
}
