/** Long-running ARM operations, keyed by operation id. */
import type { OperationRecord } from '../../core/model.js';
import type { OperationRepository } from '../../core/ports.js';
import type { OperationTable } from '../schema.js';
import { countOf, fromJsonOrNull, insertOnce, keyOf, toJsonOrNull, type DbSource } from './shared.js';

function toOperation(row: OperationTable): OperationRecord {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    resourceId: row.resource_id,
    action: row.action,
    status: row.status as OperationRecord['status'],
    startTime: row.start_time,
    endTime: row.end_time,
    error: fromJsonOrNull<OperationRecord['error'] & object>(row.error),
  };
}

function toRow(op: OperationRecord): OperationTable {
  return {
    id_key: keyOf(op.id),
    id: op.id,
    subscription_id: op.subscriptionId,
    resource_id: op.resourceId,
    action: op.action,
    status: op.status,
    start_time: op.startTime,
    end_time: op.endTime,
    error: toJsonOrNull(op.error),
  };
}

export function createOperationRepository(db: DbSource): OperationRepository {
  return {
    async get(id) {
      const row = await db().selectFrom('operations').selectAll().where('id_key', '=', keyOf(id)).executeTakeFirst();
      return row && toOperation(row);
    },
    async insert(op) {
      await insertOnce(db().insertInto('operations').values(toRow(op)), `An operation with id '${op.id}' already exists.`);
    },
    async update(op) {
      const { id_key, ...changes } = toRow(op);
      return countOf(await db().updateTable('operations').set(changes).where('id_key', '=', id_key).executeTakeFirst()) > 0;
    },
  };
}
