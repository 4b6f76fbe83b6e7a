/**
 * Throwaway PostgreSQL for tests: a real server in a temp dir, started with the distribution's
 * binaries. Tests run as root and PostgreSQL refuses to run as root, so the cluster belongs to the
 * `postgres` system user. scripts/run-tests.ts starts one cluster per run and passes its URL in
 * KEYLESS_TEST_PG_URL; each test file then makes its own database in it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const BIN = process.env.KEYLESS_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface RunningPostgres {
  /** URL of the cluster's `postgres` database, as the superuser `postgres` (trust auth). */
  url: string;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
  /** Stops the server as an outage would (`pg_ctl stop -m immediate`), keeping its files. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same port and data. */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs a PostgreSQL binary as the `postgres` user (it refuses to run as root). */
async function asPostgres(binary: string, args: string[]): Promise<void> {
  const [cmd, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', join(BIN, binary), ...args]] : [join(BIN, binary), args];
  await run(cmd, argv, { timeout: 60_000 });
}

/** Creates and starts a fresh cluster on a free port of 127.0.0.1. */
export async function startPostgres(): Promise<RunningPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'keyless-pg-'));
  const data = join(dir, 'data');
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync', '--no-instructions']);
    const port = await freePort();
    // fsync and friends off: the data is thrown away, and tests should not wait on the disk.
    const settings = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
      '-c shared_buffers=32MB',
    ].join(' ');
    const start = () => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
    await start();
    let stopped = false;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      halt: () => asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
      restart: start,
      async stop() {
        if (stopped) return;
        stopped = true;
        await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
        await cleanup();
      },
    };
  } catch (error) {
    await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
    await cleanup();
    throw error;
  }
}

export interface TestDatabase {
  /** URL of the new, empty database. */
  url: string;
  /** Drops the database (and stops the cluster when this call started one). */
  drop(): Promise<void>;
}

/**
 * A uniquely named empty database on `serverUrl`, on KEYLESS_TEST_PG_URL, or else on a cluster
 * started for it alone.
 */
export async function createTestDatabase(serverUrl?: string): Promise<TestDatabase> {
  const base = serverUrl ?? process.env.KEYLESS_TEST_PG_URL;
  const own = base ? undefined : await startPostgres();
  const adminUrl = base ?? own!.url;
  const name = `keyless_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
    await admin.query(`create database "${name}"`);
  } catch (error) {
    await own?.stop();
    throw error;
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      try {
        await client.connect();
        // WITH (FORCE) ends sessions a test left open (PostgreSQL 13+), so the drop cannot hang.
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end().catch(() => undefined);
        await own?.stop();
      }
    },
  };
}
