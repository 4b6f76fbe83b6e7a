/**
 * `keyless check --data-dir … | --database-url …`: the invariant checker. Exit 0 when the store is
 * consistent, 1 when any invariant is broken (each printed), 2 on usage errors, 3 when the database
 * cannot be read. Output: lines for people, or `--output json`.
 */
import { resolve } from 'node:path';

export interface CheckCommandOptions {
  dataDir?: string;
  databaseUrl?: string;
  output?: string;
}

export async function runCheck(opts: CheckCommandOptions): Promise<void> {
  const databaseUrl = opts.databaseUrl ?? process.env['KEYLESS_DATABASE_URL'] ?? undefined;
  const dataDir = resolve(opts.dataDir ?? process.env['KEYLESS_DATA_DIR'] ?? '.keyless');
  // The one command besides `serve` that opens the database itself (read-only): it must work with
  // no server running, e.g. after a crash and before the restart.
  const { checkStore } = await import('../server/check.js');
  let report;
  try {
    report = await checkStore({ dataDir, databaseUrl: databaseUrl || undefined });
  } catch (error) {
    process.stderr.write(`keyless check: ${(error as Error).message}\n`);
    process.exit(3);
  }
  if (opts.output === 'json') {
    process.stdout.write(`${JSON.stringify({ target: report.target, counts: report.counts, violations: report.violations }, null, 2)}\n`);
  } else {
    const c = report.counts;
    process.stdout.write(
      `Checked ${report.target}: ${c.principals} principals, ${c.resources} resources, ${c.resourceGroups} resource groups, ${c.roleAssignments} role assignments.\n`,
    );
    for (const v of report.violations) process.stdout.write(`VIOLATION ${v.kind}: ${v.subject}: ${v.detail}\n`);
    process.stdout.write(report.violations.length === 0 ? 'No invariant is broken.\n' : `${report.violations.length} invariant violation(s) found.\n`);
  }
  process.exit(report.violations.length === 0 ? 0 : 1);
}
