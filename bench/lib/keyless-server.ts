/**
 * Starts the real Keyless server as a user does (`node bin/keyless.js serve --data-dir <tmp> --port 0`,
 * i.e. the compiled CLI that `npm run bench` builds first), waits for bootstrap.json, and stops it
 * with SIGTERM. bootstrap.json is written only once the server accepts requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_ROOT } from './processes.js';

/** The keys of `<data-dir>/bootstrap.json` the benchmark uses. */
export interface KeylessBootstrap {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  caCertFile: string;
}

export interface RunningKeyless {
  bootstrap: KeylessBootstrap;
  caPem: string;
  /** `${authorityHost}/${tenantId}/oauth2/v2.0/token`. */
  tokenUrl: string;
  stop(): Promise<void>;
}

/** Thrown when the server cannot be started (not built yet, or it exits before bootstrap.json). */
export class KeylessUnavailableError extends Error {
  override name = 'KeylessUnavailableError';
}

const CLI = join(BENCH_ROOT, 'bin/keyless.js');
const COMPILED = join(BENCH_ROOT, 'dist/src/cli/main.js');

/** Starts a server on a fresh data dir; `env` adds settings such as KEYLESS_SIGNING_THREADS. */
export async function startKeyless(env: Record<string, string> = {}, timeoutMs = 60_000): Promise<RunningKeyless> {
  if (!existsSync(COMPILED)) throw new KeylessUnavailableError(`${COMPILED} is missing: run \`npm run build\` first`);
  const dataDir = await mkdtemp(join(tmpdir(), 'keyless-bench-'));
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--port', '0'], {
    cwd: BENCH_ROOT,
    env: { ...process.env, KEYLESS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const cleanUp = async () => {
    await stopProcess(child, exited);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const bootstrap = await waitForBootstrap(dataDir, child, () => output, timeoutMs);
    const caPem = await readFile(bootstrap.caCertFile, 'utf8');
    const tokenUrl = `${bootstrap.authorityHost.replace(/\/$/, '')}/${bootstrap.tenantId}/oauth2/v2.0/token`;
    return { bootstrap, caPem, tokenUrl, stop: cleanUp };
  } catch (e) {
    await cleanUp();
    throw e;
  }
}

async function stopProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitForBootstrap(dataDir: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<KeylessBootstrap> {
  const file = join(dataDir, 'bootstrap.json');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new KeylessUnavailableError(`keyless serve exited with ${child.exitCode} before writing bootstrap.json:\n${lastLines(output())}`);
    }
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as KeylessBootstrap;
      if (parsed.authorityHost && parsed.tenantId && parsed.clientSecret) return parsed;
    } catch {
      /* not written yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new KeylessUnavailableError(`keyless serve wrote no bootstrap.json within ${timeoutMs / 1000} s:\n${lastLines(output())}`);
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-15).join('\n');
}
