/**
 * Runs the real `keyless` binary (`node bin/keyless.js`, or `npx keyless`) as a user's shell does,
 * against a server from `startKeyless()`, with its own KEYLESS_CONFIG_DIR so tests never touch the
 * user's profile. `shell()` runs a bash line with `keyless` on PATH, for `$(keyless … -o tsv)` usage.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliServer {
  server: RunningKeyless;
  /** The config dir of the signed-in CLI (KEYLESS_CONFIG_DIR). */
  configDir: string;
  /** `keyless <args>` with this server's config dir. */
  run(args: string[], options?: { env?: Record<string, string>; via?: 'node' | 'npx'; configDir?: string }): Promise<RunResult>;
  /** `bash -c <line>` with `keyless` on PATH and this config dir. */
  shell(line: string): Promise<RunResult>;
  dispose(): Promise<void>;
}

/** Spawns a process and collects its output; never rejects on a non-zero exit. */
export function spawnCollect(cmd: string, args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment of a CLI run: no trust of the test CA through NODE_EXTRA_CA_CERTS (the CLI uses its profile's CA). */
function cliEnv(configDir: string, extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, KEYLESS_CONFIG_DIR: configDir, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

export function runKeyless(configDir: string, args: string[], options: { env?: Record<string, string>; via?: 'node' | 'npx' } = {}): Promise<RunResult> {
  const env = cliEnv(configDir, options.env);
  return options.via === 'npx'
    ? spawnCollect('npx', ['--no-install', 'keyless', ...args], env)
    : spawnCollect(process.execPath, [join(ROOT, 'bin/keyless.js'), ...args], env);
}

/** Starts a server and signs a fresh config dir in as its bootstrap admin (`keyless login --data-dir`). */
export async function startCliServer(): Promise<CliServer> {
  const server = await startKeyless({ via: 'node' });
  const configDir = await mkdtemp(join(tmpdir(), 'keyless-cli-'));
  const binDir = await mkdtemp(join(tmpdir(), 'keyless-bin-'));
  const shim = join(binDir, 'keyless');
  await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin/keyless.js')}" "$@"\n`);
  await chmod(shim, 0o755);
  const login = await runKeyless(configDir, ['login', '--data-dir', server.dataDir]);
  if (login.code !== 0) {
    await server.dispose();
    throw new Error(`keyless login failed (${login.code}): ${login.stderr}`);
  }
  return {
    server,
    configDir,
    run: (args, options = {}) => runKeyless(options.configDir ?? configDir, args, options),
    shell: (line) => spawnCollect('bash', ['-c', line], cliEnv(configDir, { PATH: `${binDir}:${process.env.PATH ?? ''}` })),
    async dispose() {
      await server.dispose();
      await rm(configDir, { recursive: true, force: true });
      await rm(binDir, { recursive: true, force: true });
    },
  };
}

/** Parses stdout as JSON, with the whole run in the failure message. */
export function json<T = Record<string, unknown>>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
