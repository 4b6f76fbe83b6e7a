/**
 * The activity log service: takes Activity Log and sign-in events from the request paths without
 * making them wait (events go to an in-memory buffer written in batches every `flushIntervalMs`),
 * answers reads (after writing what this server still holds, so a client reads its own writes), and
 * prunes events past the retention period.
 *
 * What a crash can lose: the events buffered since the last flush (at most `flushIntervalMs`, 1 s by
 * default); a graceful stop writes them. When the database cannot take them the events stay buffered
 * and are retried, up to `maxBuffered`; beyond that new events are dropped and counted (the server
 * keeps serving: an audit log must not take the identity service down). docs/adr/0016-activity-log.md.
 */
import type { Clock } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { Page, PageRequest } from '../model.js';
import { activityEventsFor, type ArmRequestOutcome } from './activity-events.js';
import type { ActivityEvent, ActivityEventRepository, ActivityQuery, SignInEvent, SignInEventRepository, SignInQuery } from './model.js';
import { retentionCutoff } from './retention.js';
import type { SignInInput, SignInRecorder } from './sign-in-events.js';

export interface ActivityLogDeps {
  events: ActivityEventRepository;
  signIns: SignInEventRepository;
  clock: Clock;
  ids: IdGenerator;
  retentionDays: number;
  /** Default 1000 ms. */
  flushIntervalMs?: number;
  /** Default one hour; each server prunes on its own timer (a delete by time is safe to repeat). */
  pruneIntervalMs?: number;
  /** Events held while the database does not take them; default 100,000. */
  maxBuffered?: number;
  onError?(error: unknown, what: string): void;
}

export interface ActivityLog extends SignInRecorder {
  /** Records the events of one ARM request (nothing for reads that were not denied). Returns at once. */
  recordArm(outcome: ArmRequestOutcome): void;
  /** Writes every buffered event now. */
  flush(): Promise<void>;
  listEvents(query: ActivityQuery, page: PageRequest): Promise<Page<ActivityEvent>>;
  listSignIns(query: SignInQuery, page: PageRequest): Promise<Page<SignInEvent>>;
  /** Deletes events older than the retention period; returns how many of each kind. */
  prune(): Promise<{ events: number; signIns: number }>;
  /** Events dropped because the buffer was full. */
  dropped(): number;
  start(): void;
  /** Stops the timers and writes what is buffered. */
  stop(): Promise<void>;
}

export function createActivityLog(deps: ActivityLogDeps): ActivityLog {
  const flushIntervalMs = deps.flushIntervalMs ?? 1000;
  const maxBuffered = deps.maxBuffered ?? 100_000;
  let events: ActivityEvent[] = [];
  let signIns: SignInEvent[] = [];
  let droppedCount = 0;
  let flushing: Promise<void> | undefined;
  const timers: ReturnType<typeof setInterval>[] = [];
  const report = (error: unknown, what: string) => deps.onError?.(error, what);

  const room = () => maxBuffered - events.length - signIns.length;

  async function writeOnce(): Promise<void> {
    const [batchEvents, batchSignIns] = [events, signIns];
    events = [];
    signIns = [];
    try {
      if (batchEvents.length) await deps.events.insertMany(batchEvents);
    } catch (error) {
      events = [...batchEvents, ...events].slice(0, maxBuffered);
      signIns = [...batchSignIns, ...signIns].slice(0, Math.max(0, maxBuffered - events.length));
      throw error;
    }
    try {
      if (batchSignIns.length) await deps.signIns.insertMany(batchSignIns);
    } catch (error) {
      signIns = [...batchSignIns, ...signIns].slice(0, Math.max(0, maxBuffered - events.length));
      throw error;
    }
  }

  /** One writer at a time; a flush asked for while one runs waits for it and then writes the rest. */
  function flush(): Promise<void> {
    const run = (flushing ?? Promise.resolve()).then(async () => {
      if (events.length || signIns.length) await writeOnce();
    });
    const settled = run.finally(() => {
      if (flushing === settled) flushing = undefined;
    });
    flushing = settled.catch(() => undefined);
    return settled;
  }

  return {
    recordArm(outcome) {
      const made = activityEventsFor(outcome, deps.ids);
      if (made.length > room()) {
        droppedCount += made.length;
        return;
      }
      events.push(...made);
    },
    record(input: SignInInput) {
      if (room() < 1) {
        droppedCount++;
        return;
      }
      signIns.push({ ...input, id: deps.ids.newGuid(), createdDateTime: new Date(deps.clock.now()).toISOString() });
    },
    flush,
    async listEvents(query, page) {
      await flush().catch((error) => report(error, 'activity log flush before read'));
      return deps.events.list(query, page);
    },
    async listSignIns(query, page) {
      await flush().catch((error) => report(error, 'sign-in flush before read'));
      return deps.signIns.list(query, page);
    },
    async prune() {
      const before = retentionCutoff(deps.clock.now(), deps.retentionDays);
      return { events: await deps.events.deleteBefore(before), signIns: await deps.signIns.deleteBefore(before) };
    },
    dropped: () => droppedCount,
    start() {
      const every = (ms: number, work: () => Promise<unknown>, what: string) => {
        const timer = setInterval(() => void work().catch((error) => report(error, what)), ms);
        timer.unref?.();
        timers.push(timer);
      };
      every(flushIntervalMs, flush, 'activity log flush');
      every(deps.pruneIntervalMs ?? 3_600_000, () => this.prune(), 'activity log retention');
      // A first prune soon after start, so a server restarted often still prunes.
      const first = setTimeout(() => void this.prune().catch((error) => report(error, 'activity log retention')), 5_000);
      first.unref?.();
      timers.push(first as unknown as ReturnType<typeof setInterval>);
    },
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await flush().catch((error) => report(error, 'activity log flush at stop'));
    },
  };
}
