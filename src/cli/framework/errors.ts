/**
 * The errors a `keyless` command ends with, and the exit status az gives each: usage errors exit 2
 * (argparse), service errors 1, and a missing resource on a `show` command 3 (azure-cli's
 * `ResourceNotFoundError`).
 */

/** Bad command line: printed as `ERROR: <message>`, exit 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A failure the user can act on (not signed in, no TTY to confirm, …): `ERROR: <message>`, exit 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * An ARM or token-authority error answer. Printed as az prints an `HttpResponseError`:
 * `ERROR: (Code) Message` then `Code: …` and `Message: …`.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly target?: string,
  ) {
    super(message);
  }
  /** Set by `show` commands: az exits 3 when the resource is not found. */
  exitCode = 1;
}

/** The lines az writes to stderr for an error, without a trailing newline. */
export function formatError(error: unknown): { text: string; exitCode: number } {
  if (error instanceof ServiceError) {
    const lines = [`ERROR: (${error.code}) ${error.message}`, `Code: ${error.code}`, `Message: ${error.message}`];
    if (error.target) lines.push(`Target: ${error.target}`);
    return { text: lines.join('\n'), exitCode: error.exitCode };
  }
  if (error instanceof UsageError || error instanceof CliError) return { text: `ERROR: ${error.message}`, exitCode: error.exitCode };
  const e = error as Error;
  return { text: `ERROR: The command failed with an unexpected error: ${e?.message ?? String(error)}`, exitCode: 1 };
}
