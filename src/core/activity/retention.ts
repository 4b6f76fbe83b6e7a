/**
 * How long activity and sign-in events are kept. Azure keeps the Activity Log 90 days and Entra's
 * sign-in logs 30 days (P1/P2); Keyless keeps both for one configurable period, 90 days by default.
 */

export const DEFAULT_RETENTION_DAYS = 90;
/** Ten years: a longer period is almost certainly a typo. */
export const MAX_RETENTION_DAYS = 3650;

const DAY_MS = 86_400_000;

/** The oldest `eventTimestamp` kept at `now` (ms): events before it are pruned. */
export function retentionCutoff(now: number, days: number): string {
  if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS)
    throw new RangeError(`retention must be 1..${MAX_RETENTION_DAYS} whole days (got ${days})`);
  return new Date(now - days * DAY_MS).toISOString();
}
