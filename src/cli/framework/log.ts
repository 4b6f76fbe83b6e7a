/**
 * stderr logging as az does it: `WARNING:` (hidden by `--only-show-errors`), `INFO:` (`--verbose`)
 * and `DEBUG:` (`--debug`, which also turns on INFO). Nothing here ever prints a secret: callers
 * redact before logging (see http.ts).
 */
export interface LogSettings {
  verbose: boolean;
  debug: boolean;
  onlyShowErrors: boolean;
}

const settings: LogSettings = { verbose: false, debug: false, onlyShowErrors: false };

export function configureLog(next: Partial<LogSettings>): void {
  Object.assign(settings, next);
}

export const log = {
  get debugEnabled(): boolean {
    return settings.debug;
  },
  warn(message: string): void {
    if (!settings.onlyShowErrors) process.stderr.write(`WARNING: ${message}\n`);
  },
  info(message: string): void {
    if (settings.verbose || settings.debug) process.stderr.write(`INFO: ${message}\n`);
  },
  debug(message: string): void {
    if (settings.debug) process.stderr.write(`DEBUG: ${message}\n`);
  },
};
