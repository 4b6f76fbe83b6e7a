/**
 * Child processes of the benchmark: every measured party (signer, servers, load generator) runs in
 * its own process, started with tsx so that it runs the TypeScript sources directly.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root (the working directory of every child). */
export const BENCH_ROOT = resolve(import.meta.dirname, '../..');

/** Forks a TypeScript file (path relative to the repository root) with an IPC channel. */
export function forkTs(script: string, options: { args?: string[]; env?: Record<string, string> } = {}): ChildProcess {
  return fork(resolve(BENCH_ROOT, script), options.args ?? [], {
    cwd: BENCH_ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Resolves with the first IPC message of `type` from `child`; rejects if it exits first or time runs out. */
export function waitForMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs: number): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no '${type}' message from child within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onMessage = (m: { type: string; message?: string }) => {
      if (m.type === type) {
        cleanup();
        resolvePromise(m as T);
      } else if (m.type === 'error') {
        cleanup();
        reject(new Error(m.message ?? 'child reported an error'));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited with ${code} before sending '${type}'`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
