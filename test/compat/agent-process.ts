/**
 * Runs `npx keyless agent …` as a user does, waits for its three `export` lines, and stops it with
 * SIGTERM (to its process group: npx does not forward signals). Also runs the real-SDK client script
 * (test/agent/clients/get-tokens.ts) in a child with only the agent's variables.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClientResult, ClientStep } from '../agent/clients/get-tokens.js';
import { ROOT } from '../support/keyless.js';

export interface RunningAgent {
  child: ChildProcess;
  env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: string; IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  output(): string;
  stop(): Promise<number | null>;
}

/** Spawns the agent; resolves once it printed its variables, rejects with its output if it exits first. */
export async function startAgentProcess(args: string[]): Promise<RunningAgent> {
  const child = spawn('npx', ['--no-install', 'keyless', 'agent', ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const env = await new Promise<RunningAgent['env']>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal(child, 'SIGKILL');
      reject(new Error(`agent not ready in 60 s:\n${out}`));
    }, 60_000);
    const check = () => {
      const vars = Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
      if (vars.AZURE_POD_IDENTITY_AUTHORITY_HOST && vars.IDENTITY_ENDPOINT && vars.IDENTITY_HEADER) {
        clearTimeout(timer);
        resolve(vars as RunningAgent['env']);
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      check();
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`agent exited with ${code}:\n${out}`), { exitCode: code, output: out }));
    });
  });
  return {
    child,
    env,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) signal(child, 'SIGTERM');
      return exited;
    },
  };
}

/** Runs `npx keyless agent …` expecting it to fail; resolves with its exit code and output. */
export async function runAgentExpectingFailure(args: string[]): Promise<{ code: number | null; output: string }> {
  try {
    const agent = await startAgentProcess(args);
    await agent.stop();
    throw new Error(`agent started but was expected to fail:\n${agent.output()}`);
  } catch (error) {
    const e = error as { exitCode?: number | null; output?: string };
    if (e.output === undefined) throw error;
    return { code: e.exitCode ?? null, output: e.output };
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, name);
  } catch {
    child.kill(name);
  }
}

/** The test process's environment without anything that would steer the SDKs elsewhere. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(AZURE_|IDENTITY_|MSI_|IMDS_ENDPOINT)/.test(name)) env[name] = value;
  return { ...env, ...extra };
}

/** Real SDK clients in a child process configured only by `env`. */
export async function runSdkClients(env: Record<string, string>, steps: ClientStep[]): Promise<ClientResult[]> {
  const script = join(ROOT, 'test/agent/clients/get-tokens.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, JSON.stringify(steps)], {
    cwd: ROOT,
    env: cleanEnv(env),
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ClientResult[];
}
