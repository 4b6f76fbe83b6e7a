/**
 * `keyless check`: reads the store of a data dir or a PostgreSQL URL (read-only) and reports every
 * broken invariant (src/core/invariants/invariants.ts). Wired here, next to `startServer`, because
 * only the server layer may open storage.
 */
import { findViolations, type Violation } from '../core/invariants/invariants.js';
import { readInvariantSnapshot } from '../storage/invariant-snapshot.js';
import { sqliteFile } from './data-dir.js';

export interface CheckReport {
  /** What was checked, without a password. */
  target: string;
  counts: { principals: number; resources: number; resourceGroups: number; roleAssignments: number };
  violations: Violation[];
}

export async function checkStore(options: { dataDir: string; databaseUrl?: string | undefined }): Promise<CheckReport> {
  const location = options.databaseUrl ? { databaseUrl: options.databaseUrl, sqliteFile: '' } : { sqliteFile: sqliteFile(options.dataDir) };
  const snapshot = await readInvariantSnapshot(location);
  return {
    target: options.databaseUrl ? describe(options.databaseUrl) : `SQLite ${location.sqliteFile}`,
    counts: {
      principals: snapshot.principals.length,
      resources: snapshot.resources.length,
      resourceGroups: snapshot.resourceGroups.length,
      roleAssignments: snapshot.roleAssignments.length,
    },
    violations: findViolations(snapshot),
  };
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL ${u.hostname}${u.port ? ':' + u.port : ''}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}
