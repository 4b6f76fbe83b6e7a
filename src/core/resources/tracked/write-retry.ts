/**
 * The one retry helper of resource writes. ARM writes are optimistic: a write reads the resource,
 * decides, then stores under the etag it read. When another request stored first, the write is
 * re-run from the start in a new transaction — but only when the conflict was on the resource this
 * write is about. A conflict raised by a nested write (an AKS hook creating an identity, say) is not
 * this write's to retry: it surfaces as Azure's 409 `Conflict` rather than silently re-running the
 * outer write.
 */
import { DomainError } from '../../errors.js';
import type { Repositories, Store } from '../../ports.js';
import { resourceKey } from '../../resource-id.js';

/** How many times a write is tried before its conflict is reported. */
export const WRITE_ATTEMPTS = 5;

/** A write that lost a race on `resourceId` (insert of an existing id, or update under a stale etag). */
export class ConcurrentWriteError extends DomainError {
  readonly resourceId: string;

  constructor(resourceId: string, label: string, name: string) {
    super('Conflict', `The ${label} '${name}' was changed by another request at the same time; retry the request.`);
    this.resourceId = resourceId;
  }
}

/**
 * Runs `work` in a transaction of `store`, again (up to {@link WRITE_ATTEMPTS} times) when it fails
 * with a {@link ConcurrentWriteError} on `resourceId`. `afterCommit` runs once the write is committed.
 */
export async function runResourceWrite<T>(
  store: Store,
  resourceId: string,
  work: (tx: Repositories) => Promise<T>,
  afterCommit?: (result: T) => void,
): Promise<T> {
  const key = resourceKey(resourceId);
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await store.transaction(work);
      afterCommit?.(result);
      return result;
    } catch (error) {
      const ours = error instanceof ConcurrentWriteError && resourceKey(error.resourceId) === key;
      if (!ours || attempt >= WRITE_ATTEMPTS) throw error;
    }
  }
}
