/**
 * `keyless keys rotate --data-dir … | --database-url …`: promotes the published next signing key to
 * sign now and publishes a new next key (docs/adr/0010-reliability.md). Exit 0 on success, 1 when the
 * store refuses (nothing to promote, a concurrent rotation), 3 when the database or key encryption key
 * cannot be used. Output: lines for people, or `--output json`.
 */
import { resolve } from 'node:path';

export interface KeysRotateOptions {
  dataDir?: string;
  databaseUrl?: string;
  output?: string;
}

export async function runKeysRotate(opts: KeysRotateOptions): Promise<void> {
  const { rotateStoreKeys } = await import('../server/rotate-keys.js');
  const { isDomainError } = await import('../core/errors.js');
  let report;
  try {
    report = await rotateStoreKeys({ dataDir: opts.dataDir ? resolve(opts.dataDir) : undefined, databaseUrl: opts.databaseUrl });
  } catch (error) {
    process.stderr.write(`keyless keys rotate: ${(error as Error).message}\n`);
    process.exit(isDomainError(error) ? 1 : 3);
  }
  if (opts.output === 'json') {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(
      `Signing key ${report.current} signs new tokens from now on` +
        (report.retired ? `; ${report.retired} stopped signing and stays published until its tokens expire` : '') +
        `. New next key: ${report.next}.\nRunning servers take the change within KEYLESS_KEY_REFRESH (default 60 s).\n`,
    );
  }
  process.exit(0);
}
