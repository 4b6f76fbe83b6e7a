/**
 * Running the real Azure CLI (`az`, Debian's 2.45 here) against a Keyless server started as a user
 * starts it. Every call gets an `AZURE_CONFIG_DIR` of the test's own (never the user's), the server's
 * CA through `REQUESTS_CA_BUNDLE` (what az's `requests` reads), and `PYTHONPATH=../shared/az-compat`
 * for the role commands Debian's packaging breaks (see that folder's README; it changes nothing az sends).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT, type RunningKeyless } from '../support/keyless.js';

export const AZ_COMPAT = resolve(ROOT, '../shared/az-compat');

/** Why the az tests cannot run here, or undefined when they can. */
export function azUnavailable(): string | undefined {
  const probe = spawnSync('az', ['--version'], { encoding: 'utf8', env: { ...process.env, AZURE_CORE_COLLECT_TELEMETRY: 'false' } });
  if (probe.error || probe.status !== 0) return 'the Azure CLI (az) is not installed: apt-get install azure-cli (.ci/run does)';
  return undefined;
}

export interface AzResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (undefined when it is not JSON). */
  json: any;
}

export interface AzSession {
  configDir: string;
  env: Record<string, string>;
  /** Runs `az <args>`. */
  az(args: string[], extraEnv?: Record<string, string>): Promise<AzResult>;
  /** Runs one shell line (e.g. a seed document's command, verbatim) with `az` on PATH. */
  sh(line: string, extraEnv?: Record<string, string>): Promise<AzResult>;
}

/** A fresh az configuration directory bound to one server's CA. */
export async function azSession(server: Pick<RunningKeyless, 'dataDir'>, extraEnv: Record<string, string> = {}, netns?: string): Promise<AzSession> {
  if (!existsSync(join(AZ_COMPAT, 'sitecustomize.py'))) throw new Error(`${AZ_COMPAT}/sitecustomize.py is missing: the role commands need it on Debian's az`);
  const configDir = await mkdtemp(join(tmpdir(), 'keyless-az-'));
  await mkdir(configDir, { recursive: true });
  const env: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AZURE_|MSI_|IDENTITY_|ARM_CLOUD)/.test(k))) as Record<string, string>),
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: 'false',
    AZURE_CORE_NO_COLOR: 'true',
    AZURE_CORE_ONLY_SHOW_ERRORS: 'false',
    REQUESTS_CA_BUNDLE: join(server.dataDir, 'ca.pem'),
    PYTHONPATH: AZ_COMPAT,
    ...extraEnv,
  };
  const run = (command: string, commandArgs: string[], more: Record<string, string> = {}) =>
    new Promise<AzResult>((done) => {
      // Inside a network namespace (`ip netns exec <name> …`) when one is given.
      const [file, args] = netns ? ['ip', ['netns', 'exec', netns, command, ...commandArgs]] : [command, commandArgs];
      execFile(file, args, { env: { ...env, ...more }, cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
        let json: any;
        try {
          json = stdout.trim() ? JSON.parse(stdout) : undefined;
        } catch {
          json = undefined;
        }
        done({ code, stdout, stderr, json });
      });
    });
  return {
    configDir,
    env,
    az: (args, more) => run('az', args, more),
    sh: (line, more) => run('bash', ['-c', line], more),
  };
}

/** Fails with az's output when a call did not succeed. */
export function ok(result: AzResult, what: string): AzResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

/** True when this process may create network namespaces (root with CAP_SYS_ADMIN and iproute2). */
export function netnsUnavailable(): string | undefined {
  if (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip') && !existsSync('/usr/bin/ip')) return 'iproute2 (ip) is not installed';
  const name = `klprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot create a network namespace here: ${(add.stderr || add.error?.message || '').trim()}`;
  spawnSync('ip', ['netns', 'delete', name]);
  return undefined;
}
