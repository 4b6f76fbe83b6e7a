/** Subscriptions, keyed by their id, each in one tenant. */
import type { Subscription } from '../../core/model.js';
import type { SubscriptionRepository } from '../../core/ports.js';
import type { SubscriptionTable } from '../schema.js';
import { insertOnce, keyOf, type DbSource } from './shared.js';

function toSubscription(row: SubscriptionTable): Subscription {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    displayName: row.display_name,
    state: row.state as Subscription['state'],
    createdAt: row.created_at,
  };
}

export function createSubscriptionRepository(db: DbSource): SubscriptionRepository {
  return {
    async get(id) {
      const row = await db().selectFrom('subscriptions').selectAll().where('id_key', '=', keyOf(id)).executeTakeFirst();
      return row && toSubscription(row);
    },
    async list(tenantId) {
      let query = db().selectFrom('subscriptions').selectAll();
      if (tenantId !== undefined) query = query.where('tenant_key', '=', keyOf(tenantId));
      const rows = await query.orderBy('id_key').execute();
      return rows.map(toSubscription);
    },
    async insert(subscription) {
      await insertOnce(
        db()
          .insertInto('subscriptions')
          .values({
            id_key: keyOf(subscription.id),
            id: subscription.id,
            tenant_key: keyOf(subscription.tenantId),
            tenant_id: subscription.tenantId,
            display_name: subscription.displayName,
            state: subscription.state,
            created_at: subscription.createdAt,
          }),
        `A subscription with id '${subscription.id}' already exists.`,
      );
    },
  };
}
