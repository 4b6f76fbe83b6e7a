/**
 * A dependency the server cannot do without (its database) is unreachable or refusing writes for a
 * while. Not the caller's fault and not a bug: every surface answers 503 with `Retry-After` and its
 * own error body, and the same request succeeds once the dependency is back (docs/adr/0010-reliability.md).
 */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  /** What clients are told to wait before retrying, seconds. */
  readonly retryAfterSeconds: number;
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
  }
}

/** True for a {@link ServiceUnavailableError}, also when it is the cause of another error. */
export function isServiceUnavailable(error: unknown): error is ServiceUnavailableError {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ServiceUnavailableError) return true;
  }
  return false;
}

/** The {@link ServiceUnavailableError} in `error` or its causes. */
export function unavailableCause(error: unknown): ServiceUnavailableError | undefined {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ServiceUnavailableError) return e;
  }
  return undefined;
}
