/**
 * Start-up of the `keyless` command: process wall time of `keyless --help` and of a
 * `keyless group show` against a running server (sign-in and token cached, so one ARM call), each the
 * median of N runs interleaved with a bare `node -e ''` start measured in the same run (the ratio is
 * what survives a noisy shared machine). Target: `--help` under 300 ms; az takes about a second.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KeylessUnavailableError, startKeyless, type RunningKeyless } from '../lib/keyless-server.js';
import { BENCH_ROOT } from '../lib/processes.js';
import { formatNumber, type Benchmark, type SuiteResult, type Table } from '../lib/suite.js';

const CLI = join(BENCH_ROOT, 'bin/keyless.js');
const HELP_TARGET_MS = 300;

interface Timed {
  ms: number;
  code: number | null;
  stderr: string;
}

function timeProcess(args: string[], env: Record<string, string | undefined>): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: BENCH_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, stderr }));
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

export const benchmark: Benchmark = {
  name: 'cli',
  description: 'process wall time of `keyless --help` and `keyless group show`, vs bare `node -e ""`',
  async run(context): Promise<SuiteResult> {
    const runs = context.smoke ? 3 : Math.max(11, context.rounds * 5);
    const problems: string[] = [];
    let server: RunningKeyless | undefined;
    const configDir = await mkdtemp(join(tmpdir(), 'keyless-bench-cli-'));
    const env = { ...process.env, KEYLESS_CONFIG_DIR: configDir };
    try {
      try {
        server = await startKeyless();
      } catch (e) {
        if (e instanceof KeylessUnavailableError) problems.push(e.message);
        else throw e;
      }
      const b = server?.bootstrap;
      if (b) {
        const login = await timeProcess(
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
          env,
        );
        const create = await timeProcess([CLI, 'group', 'create', '-n', 'bench-rg', '-l', 'westus2'], env);
        if (login.code !== 0 || create.code !== 0) problems.push(`keyless login / group create failed: ${login.stderr}${create.stderr}`);
      }
      const samples: Record<'node' | 'help' | 'show', number[]> = { node: [], help: [], show: [] };
      for (let i = 0; i < runs; i++) {
        samples.node.push((await timeProcess(['-e', ''], env)).ms);
        const help = await timeProcess([CLI, '--help'], env);
        if (help.code !== 0) problems.push(`keyless --help exited ${help.code}`);
        samples.help.push(help.ms);
        if (b && problems.length === 0) {
          const show = await timeProcess([CLI, 'group', 'show', '-n', 'bench-rg'], env);
          if (show.code !== 0) problems.push(`keyless group show exited ${show.code}: ${show.stderr}`);
          samples.show.push(show.ms);
        }
        context.log(`cli: run ${i + 1}/${runs}`);
      }
      const node = median(samples.node);
      const help = median(samples.help);
      const show = samples.show.length ? median(samples.show) : NaN;
      const ratio = (x: number) => (Number.isFinite(x) ? `${(x / node).toFixed(2)}×` : '–');
      const ms = (x: number) => (Number.isFinite(x) ? formatNumber(x, 0) : 'not available');
      const table: Table = {
        columns: ['Process (median of ' + runs + ')', 'wall ms', 'vs node -e ""'],
        rows: [
          ['node -e "" (baseline)', ms(node), '1.00×'],
          ['keyless --help', ms(help), ratio(help)],
          ['keyless group show -n bench-rg (1 ARM call, cached token)', ms(show), ratio(show)],
        ],
      };
      const notes = [
        `\`keyless --help\`: ${ms(help)} ms, target < ${HELP_TARGET_MS} ms: ${help < HELP_TARGET_MS ? 'met' : 'NOT met'}.`,
        'Command modules, JMESPath and YAML are imported only when the command line needs them; `--help` loads commander alone.',
      ];
      return { title: 'CLI start-up', tables: [table], notes, problems, data: { runs, nodeMs: node, helpMs: help, groupShowMs: show } };
    } finally {
      await server?.stop();
      await rm(configDir, { recursive: true, force: true });
    }
  },
};
