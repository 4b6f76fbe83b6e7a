/**
 * Runs every test file under test/ with Node's test runner (TypeScript through tsx).
 * Usage: node --import tsx scripts/run-tests.ts [substring …]  — only files whose path contains a substring.
 * Storage and server tests that need PostgreSQL get one throwaway cluster, started here once and
 * shared through KEYLESS_TEST_PG_URL (each test file makes its own database in it).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres } from '../test/support/postgres.js';

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (entry.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

const filters = process.argv.slice(2);
const files = findTests('test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const pg = process.env.KEYLESS_TEST_PG_URL ? undefined : await startPostgres();
const env = { ...process.env, ...(pg ? { KEYLESS_TEST_PG_URL: pg.url } : {}) };
const child = spawn(process.execPath, ['--import', 'tsx', '--enable-source-maps', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
const code: number = await new Promise((done) => child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0))));
await pg?.stop();
process.exit(code);
