/**
 * The real Azure CLI against Keyless: process wall time of `az group show` (signed in, token cached:
 * one ARM call) next to `az --version` (az's start-up with no network call) and `keyless group show`
 * (the same call through Keyless's own CLI), medians of N interleaved runs. What it shows: how much of
 * an `az` command against Keyless is az itself. Skipped (reported as a problem-free note) without `az`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KeylessUnavailableError, startKeyless, type RunningKeyless } from '../lib/keyless-server.js';
import { BENCH_ROOT } from '../lib/processes.js';
import { formatNumber, type Benchmark, type SuiteResult, type Table } from '../lib/suite.js';

const CLI = join(BENCH_ROOT, 'bin/keyless.js');

interface Timed {
  ms: number;
  code: number | null;
  stderr: string;
}

function timeProcess(file: string, args: string[], env: Record<string, string | undefined>): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { cwd: BENCH_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, stderr }));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export const benchmark: Benchmark = {
  name: 'az',
  description: 'wall time of `az group show` against Keyless, vs `az --version` and `keyless group show`',
  async run(context): Promise<SuiteResult> {
    const title = 'The Azure CLI (az) against Keyless';
    if (spawnSync('az', ['--version'], { stdio: 'ignore' }).status !== 0) {
      return { title, tables: [], notes: ['`az` is not installed (apt-get install azure-cli): nothing measured.'], problems: [], data: {} };
    }
    const runs = context.smoke ? 2 : Math.max(7, context.rounds * 3);
    const problems: string[] = [];
    const azDir = await mkdtemp(join(tmpdir(), 'keyless-bench-az-'));
    const keylessDir = await mkdtemp(join(tmpdir(), 'keyless-bench-azk-'));
    let server: RunningKeyless | undefined;
    try {
      try {
        server = await startKeyless();
      } catch (e) {
        if (e instanceof KeylessUnavailableError) return { title, tables: [], notes: [], problems: [e.message], data: {} };
        throw e;
      }
      const b = server.bootstrap;
      const azEnv = { ...process.env, AZURE_CONFIG_DIR: azDir, AZURE_CORE_COLLECT_TELEMETRY: 'false', REQUESTS_CA_BUNDLE: b.caCertFile };
      const keylessEnv = { ...process.env, KEYLESS_CONFIG_DIR: keylessDir };
      const setup: [string, string[], Record<string, string | undefined>][] = [
        ['az', ['cloud', 'register', '-n', 'keyless', '--cloud-config', `@${join(dirname(b.caCertFile), 'az-cloud.json')}`], azEnv],
        ['az', ['cloud', 'set', '-n', 'keyless'], azEnv],
        ['az', ['login', '--service-principal', '-u', b.clientId, '-p', b.clientSecret, '--tenant', b.tenantId, '-o', 'none'], azEnv],
        ['az', ['group', 'create', '-n', 'bench-rg', '-l', 'westus2', '-o', 'none'], azEnv],
        [
          process.execPath,
          [
            CLI,
            'login',
            '--service-principal',
            '-u',
            b.clientId,
            '-p',
            b.clientSecret,
            '--tenant',
            b.tenantId,
            '--server',
            b.authorityHost,
            '--ca',
            b.caCertFile,
          ],
          keylessEnv,
        ],
      ];
      for (const [file, args, env] of setup) {
        const r = await timeProcess(file, args, env);
        if (r.code !== 0)
          problems.push(`${file === 'az' ? 'az' : 'keyless'} ${args.slice(file === 'az' ? 0 : 1, 3).join(' ')} failed: ${r.stderr.slice(0, 500)}`);
      }
      const samples: Record<'version' | 'azShow' | 'keylessShow', number[]> = { version: [], azShow: [], keylessShow: [] };
      for (let i = 0; i < runs && problems.length === 0; i++) {
        samples.version.push((await timeProcess('az', ['--version'], azEnv)).ms);
        const az = await timeProcess('az', ['group', 'show', '-n', 'bench-rg', '-o', 'none'], azEnv);
        if (az.code !== 0) problems.push(`az group show exited ${az.code}: ${az.stderr.slice(0, 500)}`);
        samples.azShow.push(az.ms);
        const k = await timeProcess(process.execPath, [CLI, 'group', 'show', '-n', 'bench-rg', '-o', 'none'], keylessEnv);
        if (k.code !== 0) problems.push(`keyless group show exited ${k.code}: ${k.stderr.slice(0, 500)}`);
        samples.keylessShow.push(k.ms);
        context.log(`az: run ${i + 1}/${runs}`);
      }
      const version = median(samples.version);
      const azShow = median(samples.azShow);
      const keylessShow = median(samples.keylessShow);
      const ms = (x: number) => (Number.isFinite(x) ? formatNumber(x, 0) : 'not available');
      const ratio = (x: number) => (Number.isFinite(x) && Number.isFinite(version) ? `${(x / version).toFixed(2)}×` : '–');
      const table: Table = {
        columns: [`Process (median of ${runs})`, 'wall ms', 'vs az --version'],
        rows: [
          ['az --version (start-up, no network call)', ms(version), '1.00×'],
          ['az group show -n bench-rg (1 ARM call, cached token)', ms(azShow), ratio(azShow)],
          ['keyless group show -n bench-rg (same call)', ms(keylessShow), ratio(keylessShow)],
        ],
      };
      const notes = [
        `The ARM call and its TLS handshake add ${ms(azShow - version)} ms to az's own start-up; \`keyless group show\` does the whole command in ${ms(keylessShow)} ms.`,
      ];
      return { title, tables: [table], notes, problems, data: { runs, azVersionMs: version, azGroupShowMs: azShow, keylessGroupShowMs: keylessShow } };
    } finally {
      await server?.stop();
      await rm(azDir, { recursive: true, force: true });
      await rm(keylessDir, { recursive: true, force: true });
    }
  },
};
