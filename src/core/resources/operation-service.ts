/**
 * Long-running ARM operations: a record that clients poll through `Azure-AsyncOperation` and
 * `Location` until it reaches a terminal status (`Succeeded`, `Failed`, `Canceled`).
 */
import { isoTime, type Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { OperationRecord } from '../model.js';
import type { OperationRepository } from '../ports.js';

export interface OperationServiceDeps {
  operations: OperationRepository;
  clock: Clock;
  ids: IdGenerator;
}

export interface StartOperation {
  subscriptionId: string;
  resourceId: string;
  /** The RBAC action of the operation, e.g. `Microsoft.Resources/subscriptions/resourceGroups/delete`. */
  action: string;
}

export interface OperationService {
  /** Records a new operation in progress. */
  create(input: StartOperation): Promise<OperationRecord>;
  /** Marks the operation succeeded. */
  complete(operation: OperationRecord): Promise<OperationRecord>;
  /** Marks the operation failed with an ARM error. */
  fail(operation: OperationRecord, error: { code: string; message: string }): Promise<OperationRecord>;
  /**
   * The operation `id` of `subscriptionId`; an operation of another subscription is reported as
   * absent so that ids cannot be probed across subscriptions.
   */
  get(subscriptionId: string, id: string): Promise<OperationRecord>;
}

/** Creates the operation service; call it with `tx.operations` to act inside a transaction. */
export function createOperationService(deps: OperationServiceDeps): OperationService {
  const finish = async (operation: OperationRecord, status: 'Succeeded' | 'Failed', error: OperationRecord['error']) => {
    const done: OperationRecord = { ...operation, status, endTime: isoTime(deps.clock.now()), error };
    if (!(await deps.operations.update(done))) throw operationNotFound(operation.id);
    return done;
  };
  return {
    async create(input) {
      const operation: OperationRecord = {
        id: deps.ids.newGuid(),
        subscriptionId: input.subscriptionId,
        resourceId: input.resourceId,
        action: input.action,
        status: 'InProgress',
        startTime: isoTime(deps.clock.now()),
        endTime: null,
        error: null,
      };
      await deps.operations.insert(operation);
      return operation;
    },
    complete: (operation) => finish(operation, 'Succeeded', null),
    fail: (operation, error) => finish(operation, 'Failed', { code: error.code, message: error.message }),
    async get(subscriptionId, id) {
      const operation = await deps.operations.get(id);
      if (!operation || operation.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) throw operationNotFound(id);
      return operation;
    },
  };
}

function operationNotFound(id: string): DomainError {
  return new DomainError('NotFound', `The operation '${id}' could not be found.`);
}
