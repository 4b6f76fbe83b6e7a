/**
 * Provider resources of any type, keyed by their normalised ARM id, listed in id order. Child
 * resources (`{parent}/{childType}/{name}`) live in the same table, so a subtree is a key range.
 */
import type { ResourceRecord, Tags } from '../../core/model.js';
import type { ResourceRepository } from '../../core/ports.js';
import { resourceKey } from '../../core/resource-id.js';
import type { ResourceTable } from '../schema.js';
import { countOf, decodeCursor, fromJson, fromJsonOrNull, insertOnce, keyOf, pageSize, toJson, toJsonOrNull, toPage, type DbSource } from './shared.js';

function toResource(row: ResourceTable): ResourceRecord {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    resourceGroup: row.resource_group,
    type: row.type,
    name: row.name,
    location: row.location,
    tags: fromJson<Tags>(row.tags),
    kind: row.kind,
    properties: fromJson<Record<string, unknown>>(row.properties),
    identity: fromJsonOrNull<Record<string, unknown>>(row.identity),
    sku: fromJsonOrNull<Record<string, unknown>>(row.sku),
    provisioningState: row.provisioning_state as ResourceRecord['provisioningState'],
    etag: row.etag,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(r: ResourceRecord): ResourceTable {
  return {
    id_key: resourceKey(r.id),
    subscription_key: keyOf(r.subscriptionId),
    group_key: keyOf(r.resourceGroup),
    type_key: keyOf(r.type),
    id: r.id,
    subscription_id: r.subscriptionId,
    resource_group: r.resourceGroup,
    type: r.type,
    name: r.name,
    location: r.location,
    tags: toJson(r.tags),
    kind: r.kind,
    properties: toJson(r.properties),
    identity: toJsonOrNull(r.identity),
    sku: toJsonOrNull(r.sku),
    provisioning_state: r.provisioningState,
    etag: r.etag,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

export function createResourceRepository(db: DbSource): ResourceRepository {
  const list = async (filter: { subscriptionId: string; resourceGroup?: string; type?: string }, page: { limit: number; after?: string }) => {
    const limit = pageSize(page);
    let query = db().selectFrom('resources').selectAll().where('subscription_key', '=', keyOf(filter.subscriptionId));
    if (filter.resourceGroup !== undefined) query = query.where('group_key', '=', keyOf(filter.resourceGroup));
    if (filter.type !== undefined) query = query.where('type_key', '=', keyOf(filter.type));
    if (page.after !== undefined) query = query.where('id_key', '>', decodeCursor(page.after));
    const rows = await query
      .orderBy('id_key')
      .limit(limit + 1)
      .execute();
    return toPage(rows, limit, (r) => r.id_key, toResource);
  };

  return {
    async get(id) {
      const row = await db().selectFrom('resources').selectAll().where('id_key', '=', resourceKey(id)).executeTakeFirst();
      return row && toResource(row);
    },
    listByGroup: (subscriptionId, resourceGroup, page, type) => list({ subscriptionId, resourceGroup, type }, page),
    listBySubscription: (subscriptionId, page, type) => list({ subscriptionId, type }, page),
    async findByTypeAndName(type, name) {
      // Names of these types are unique per type across subscriptions (storage accounts, vaults); a
      // handful of rows at most.
      const rows = await db()
        .selectFrom('resources')
        .selectAll()
        .where('type_key', '=', keyOf(type))
        .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
        .orderBy('id_key')
        .limit(10)
        .execute();
      return rows.map(toResource);
    },
    async insert(resource) {
      await insertOnce(db().insertInto('resources').values(toRow(resource)), `A resource with id '${resource.id}' already exists.`);
    },
    async update(resource, ifEtag) {
      const { id_key, ...changes } = toRow(resource);
      let query = db().updateTable('resources').set(changes).where('id_key', '=', id_key);
      if (ifEtag !== undefined) query = query.where('etag', '=', ifEtag);
      return countOf(await query.executeTakeFirst()) > 0;
    },
    async delete(id) {
      const result = await db().deleteFrom('resources').where('id_key', '=', resourceKey(id)).executeTakeFirst();
      return countOf(result) > 0;
    },
    async deleteTree(id) {
      const key = resourceKey(id);
      // Children have keys starting with `key/`: the byte range (`key/`, `key0`) holds exactly them.
      const result = await db()
        .deleteFrom('resources')
        .where((eb) => eb.or([eb('id_key', '=', key), eb.and([eb('id_key', '>', `${key}/`), eb('id_key', '<', `${key}0`)])]))
        .executeTakeFirst();
      return countOf(result);
    },
    async deleteByGroup(subscriptionId, resourceGroup) {
      const result = await db()
        .deleteFrom('resources')
        .where('subscription_key', '=', keyOf(subscriptionId))
        .where('group_key', '=', keyOf(resourceGroup))
        .executeTakeFirst();
      return countOf(result);
    },
  };
}
