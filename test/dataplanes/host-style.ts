/**
 * Runs sdk-runner.ts under `unshare --mount` with a private /etc/hosts that maps the data planes'
 * host-style names to 127.0.0.1 — the `/etc/hosts` lines a user adds, without editing the machine's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../support/keyless.js';

export interface RunnerAnswer {
  ok: boolean;
  value?: any;
  status?: number;
  code?: string;
  message?: string;
}

export interface SdkRunner {
  call(client: string, method: string, ...args: unknown[]): Promise<RunnerAnswer>;
  close(): Promise<void>;
}

export async function startSdkRunner(hostNames: string[], env: Record<string, string>): Promise<SdkRunner> {
  const dir = await mkdtemp(join(tmpdir(), 'keyless-hosts-'));
  const hosts = join(dir, 'hosts');
  await writeFile(hosts, `127.0.0.1 localhost\n::1 localhost\n127.0.0.1 ${hostNames.join(' ')}\n`);
  const script = `mount --bind '${hosts}' /etc/hosts && exec '${process.execPath}' --import tsx test/dataplanes/sdk-runner.ts`;
  const child: ChildProcess = spawn('unshare', ['--mount', 'sh', '-c', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const waiting = new Map<number, (a: RunnerAnswer) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const answer = JSON.parse(line) as RunnerAnswer & { id: number };
      waiting.get(answer.id)?.(answer);
      waiting.delete(answer.id);
    } catch {
      /* not an answer */
    }
  });
  const exited = new Promise<void>((done) =>
    child.on('exit', () => {
      for (const resolve of waiting.values()) resolve({ ok: false, message: `runner exited: ${stderr}` });
      done();
    }),
  );
  let next = 1;
  return {
    call(client, method, ...args) {
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        child.stdin!.write(JSON.stringify({ id, client, method, args }) + '\n');
      });
    },
    async close() {
      child.stdin!.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
