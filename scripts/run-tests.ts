/**
 * Runs every test file under test/ with Node's test runner (TypeScript through tsx).
 * Usage: node --import tsx scripts/run-tests.ts [substring …]  — only files whose path contains a substring.
 * Storage and server tests that need PostgreSQL get one throwaway cluster, started here once and
 * shared through KEYLESS_TEST_PG_URL (each test file makes its own database in it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '../src/crypto/certificates.js';
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

// One CA for the run: servers under test issue their certificates from it (test/support/keyless.ts
// seeds their data dirs), and every test process trusts it the way users do, via NODE_EXTRA_CA_CERTS.
const caDir = mkdtempSync(join(tmpdir(), 'keyless-test-ca-'));
const ca = await createCertificateAuthority('Keyless Test CA');
writeFileSync(join(caDir, 'ca.pem'), ca.certPem);
writeFileSync(join(caDir, 'ca-key.pem'), ca.keyPem, { mode: 0o600 });

// Tests start `npx keyless …` as users do. npm sets up a cache entry for this checkout on the first
// `npx` (~/.npm/_npx); a first run killed half-way by a test's timeout leaves an entry without its
// package.json, and every later `npx keyless` then fails at once. Make that first run here, alone.
spawnSync('npx', ['--no-install', 'keyless', '--help'], { stdio: 'ignore', timeout: 300_000 });

const pg = process.env.KEYLESS_TEST_PG_URL ? undefined : await startPostgres();
const env = {
  ...process.env,
  KEYLESS_TEST_CA_DIR: caDir,
  NODE_EXTRA_CA_CERTS: join(caDir, 'ca.pem'),
  ...(pg ? { KEYLESS_TEST_PG_URL: pg.url } : {}),
};
const child = spawn(process.execPath, ['--import', 'tsx', '--enable-source-maps', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
// Interrupted (Ctrl-C, CI stop): stop the tests, then still stop PostgreSQL below.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const code: number = await new Promise((done) => child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0))));
await pg?.stop();
rmSync(caDir, { recursive: true, force: true });
process.exit(code);
