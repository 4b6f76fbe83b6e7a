/**
 * Keeps a server's RBAC index equal to the database: a full load at start, then the change feed
 * polled every `intervalMs` (200 ms by default, so a write on another server is effective here well
 * within a second). Each change names an assignment or role; the poller re-reads it, so applying a
 * change twice is harmless. PostgreSQL may commit sequence numbers out of order (a transaction that
 * took seq 10 can commit after one that took 11), so each poll looks back a few numbers and skips
 * the ones it has applied already.
 */
import type { Repositories } from '../ports.js';
import type { RbacIndex } from './rbac-index.js';

const LOOKBACK = 64;
const BATCH = 1000;
const LOAD_PAGE = 20_000;

export interface RbacSync {
  /** Loads every custom role and assignment into the index. */
  load(): Promise<void>;
  /** Applies changes made since the last poll (by any server); returns how many were applied. */
  poll(): Promise<number>;
  /** Starts polling; `onError` hears failed polls (the next poll retries). */
  start(intervalMs: number, onError: (error: unknown) => void): void;
  stop(): Promise<void>;
}

export function createRbacSync(repos: Repositories, index: RbacIndex): RbacSync {
  let cursor = 0;
  const applied = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let polls = 0;

  async function apply(kind: string, name: string): Promise<void> {
    if (kind === 'assignment') {
      const a = await repos.roleAssignments.get(name);
      if (a) index.putAssignment(a);
      else index.removeAssignment(name);
    } else if (kind === 'definition') {
      const d = await repos.roleDefinitions.get(name);
      if (d) index.putRole(d);
      else if (index.role(name)?.definition.roleType === 'CustomRole') index.removeRole(name);
    }
  }

  async function poll(): Promise<number> {
    const changes = await repos.rbacChanges.since(Math.max(0, cursor - LOOKBACK), BATCH);
    let count = 0;
    for (const change of changes) {
      if (applied.has(change.seq)) continue;
      await apply(change.kind, change.name);
      applied.add(change.seq);
      cursor = Math.max(cursor, change.seq);
      count++;
    }
    for (const seq of applied) if (seq <= cursor - LOOKBACK) applied.delete(seq);
    // Now and then drop feed entries every server has long applied (10 minutes of polls).
    if (++polls % 3000 === 0 && cursor > 100_000) await repos.rbacChanges.prune(cursor - 100_000);
    return count;
  }

  return {
    async load() {
      cursor = await repos.rbacChanges.latest();
      for (const d of await repos.roleDefinitions.list()) index.putRole(d);
      // Only what decisions need, in large pages: a million assignments load in seconds.
      let after = '';
      for (;;) {
        const entries = await repos.roleAssignments.scanIndexEntries(after, LOAD_PAGE);
        for (const e of entries) index.putAssignment(e);
        if (entries.length < LOAD_PAGE) break;
        after = entries[entries.length - 1]!.name;
      }
    },
    poll,
    start(intervalMs, onError) {
      const tick = () => {
        running = poll()
          .catch(onError)
          .finally(() => {
            if (timer) (timer = setTimeout(tick, intervalMs)).unref();
          });
      };
      timer = setTimeout(tick, intervalMs);
      timer.unref();
    },
    async stop() {
      const t = timer;
      timer = undefined;
      if (t) clearTimeout(t);
      await running;
    },
  };
}
