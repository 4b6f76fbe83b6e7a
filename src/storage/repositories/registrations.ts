/** Feature and provider registrations per subscription: one upserted row per name. */
import type { RegistrationRecord, RegistrationRepository } from '../../core/features/registrations.js';
import type { RegistrationTable } from '../schema.js';
import { keyOf, type DbSource } from './shared.js';

function toRecord(row: RegistrationTable): RegistrationRecord {
  return {
    subscriptionId: row.subscription_id,
    kind: row.kind as RegistrationRecord['kind'],
    name: row.name,
    state: row.state as RegistrationRecord['state'],
    updatedAt: row.updated_at,
  };
}

export function createRegistrationRepository(db: DbSource): RegistrationRepository {
  return {
    async get(subscriptionId, kind, name) {
      const row = await db()
        .selectFrom('registrations')
        .selectAll()
        .where('subscription_key', '=', keyOf(subscriptionId))
        .where('kind', '=', kind)
        .where('name_key', '=', keyOf(name))
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async list(subscriptionId, kind) {
      const rows = await db()
        .selectFrom('registrations')
        .selectAll()
        .where('subscription_key', '=', keyOf(subscriptionId))
        .where('kind', '=', kind)
        .orderBy('name_key')
        .execute();
      return rows.map(toRecord);
    },
    async put(record) {
      const row: RegistrationTable = {
        subscription_key: keyOf(record.subscriptionId),
        kind: record.kind,
        name_key: keyOf(record.name),
        subscription_id: record.subscriptionId,
        name: record.name,
        state: record.state,
        updated_at: record.updatedAt,
      };
      // Concurrent registrations of the same name both succeed; the last write wins, as in Azure.
      await db()
        .insertInto('registrations')
        .values(row)
        .onConflict((oc) => oc.columns(['subscription_key', 'kind', 'name_key']).doUpdateSet({ state: row.state, updated_at: row.updated_at }))
        .execute();
    },
  };
}
