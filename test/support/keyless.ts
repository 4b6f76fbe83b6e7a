/**
 * Starts a real Keyless server the way a user does (`npx keyless serve --data-dir <tmp> --port 0`),
 * waits for bootstrap.json, and stops it with SIGTERM. The data dir is seeded with the test CA
 * (created by scripts/run-tests.ts and trusted through NODE_EXTRA_CA_CERTS), so SDK clients in the
 * test process trust the server exactly as a user's process does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BootstrapFile } from '../../src/server/data-dir.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface RunningKeyless {
  dataDir: string;
  bootstrap: BootstrapFile;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** Stops the server and removes its data dir. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Start with `npx keyless` (as the README says) or `node bin/keyless.js` (faster). Default: npx. */
  via?: 'npx' | 'node';
  /** Default 0 (a free port). */
  port?: number;
  extraArgs?: string[];
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => done(port));
    });
  });
}

/** A fresh data dir holding the test CA, so that the server issues its certificate from it. */
export async function createDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'keyless-test-'));
  const caDir = process.env.KEYLESS_TEST_CA_DIR;
  if (!caDir) throw new Error('KEYLESS_TEST_CA_DIR is not set: run tests through `node --import tsx scripts/run-tests.ts`');
  await copyFile(join(caDir, 'ca.pem'), join(dir, 'ca.pem'));
  await copyFile(join(caDir, 'ca-key.pem'), join(dir, 'ca-key.pem'));
  return dir;
}

export async function startKeyless(options: StartOptions = {}): Promise<RunningKeyless> {
  const dataDir = options.dataDir ?? (await createDataDir());
  const args = [
    'serve',
    '--data-dir',
    dataDir,
    '--port',
    String(options.port ?? 0),
    ...(options.databaseUrl ? ['--database-url', options.databaseUrl] : []),
    ...(options.extraArgs ?? []),
  ];
  const [cmd, argv] = options.via === 'node' ? [process.execPath, [join(ROOT, 'bin/keyless.js'), ...args]] : ['npx', ['--no-install', 'keyless', ...args]];
  // On a restart the old bootstrap.json is still there: wait for the server to write it anew.
  const before = await fileIdentity(join(dataDir, 'bootstrap.json'));
  // Own process group: npx does not pass SIGTERM on to the server it starts, so signal the group.
  const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const bootstrap = await waitForBootstrap(dataDir, before, child, () => out);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) signalGroup(child, 'SIGTERM');
    return exited;
  };
  return {
    dataDir,
    bootstrap,
    child,
    output: () => out,
    stop,
    async dispose() {
      await stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

async function fileIdentity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

async function waitForBootstrap(dataDir: string, before: string | undefined, child: ChildProcess, output: () => string): Promise<BootstrapFile> {
  const deadline = Date.now() + 60_000;
  const file = join(dataDir, 'bootstrap.json');
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`keyless serve exited with ${child.exitCode}:\n${output()}`);
    try {
      const now = await fileIdentity(file);
      if (now === undefined || now === before) throw new Error('not yet');
      return JSON.parse(await readFile(join(dataDir, 'bootstrap.json'), 'utf8')) as BootstrapFile;
    } catch {
      /* not written yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  signalGroup(child, 'SIGKILL');
  throw new Error(`keyless serve did not write bootstrap.json within 60 s:\n${output()}`);
}

/** A client-credentials token for ARM, as the bootstrap admin (or any app) of a running server. */
export async function armToken(b: { authorityHost: string; tenantId: string; clientId: string; clientSecret: string }): Promise<string> {
  const res = await fetch(`${b.authorityHost}/${b.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: b.clientId,
      client_secret: b.clientSecret,
      scope: 'https://management.azure.com/.default',
    }),
  });
  if (res.status !== 200) throw new Error(`token request failed with ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
