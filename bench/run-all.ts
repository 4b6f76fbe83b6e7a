/**
 * Runs the benchmarks: `npm run bench [-- <suite>…] [--duration s] [--warmup s] [--connections n]
 * [--rounds n] [--smoke] [--results file] [--json file]`. Every suite is a file in bench/suites/ exporting
 * `benchmark`; with no names, all run. Prints a table per suite and writes bench/RESULTS.md (not in
 * smoke runs unless `--results` is given). Exits 1 when a run is invalid (e.g. non-2xx responses).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './lib/machine.js';
import { renderSuiteSection, renderTextTable, writeResultsFile } from './lib/report.js';
import type { BenchContext, Benchmark, SuiteResult } from './lib/suite.js';

const SUITES_DIR = join(import.meta.dirname, 'suites');

async function loadSuites(): Promise<Benchmark[]> {
  const files = readdirSync(SUITES_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
  const suites: Benchmark[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(SUITES_DIR, file)).href)) as { benchmark?: Benchmark };
    if (mod.benchmark) suites.push(mod.benchmark);
  }
  return suites;
}

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got '${raw}'`);
  return value;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    rounds: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    results: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

const suites = await loadSuites();
if (values.help) {
  process.stdout.write(
    `usage: npm run bench -- [suite…] [--duration s] [--warmup s] [--connections n] [--rounds n] [--smoke] [--results file] [--json file]\nsuites:\n${suites.map((s) => `  ${s.name.padEnd(10)} ${s.description}`).join('\n')}\n`,
  );
  process.exit(0);
}
const unknown = positionals.filter((p) => !suites.some((s) => s.name === p));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.map((u) => `'${u}'`).join(', ')}; available: ${suites.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const selected = positionals.length === 0 ? suites : suites.filter((s) => positionals.includes(s.name));

const smoke = values.smoke;
const durationSeconds = positiveNumber('duration', values.duration, smoke ? 1 : 10);
const context: BenchContext = {
  durationSeconds,
  warmupSeconds: positiveNumber('warmup', values.warmup, smoke ? 0.5 : Math.min(3, durationSeconds / 3)),
  connections: Math.round(positiveNumber('connections', values.connections, smoke ? 2 : 10)),
  rounds: Math.round(positiveNumber('rounds', values.rounds, 1)),
  smoke,
  log: (message) => process.stderr.write(`[bench] ${message}\n`),
};

const machine = describeMachine();
const date = new Date();
context.log(`${machine.cpuModel}, ${machine.logicalCores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${machine.loadAverage1m}`);
const results = new Map<string, SuiteResult>();
const sections = new Map<string, string>();
let invalid = false;
for (const suite of selected) {
  context.log(`running '${suite.name}': ${suite.description}`);
  const result = await suite.run(context);
  results.set(suite.name, result);
  sections.set(suite.name, renderSuiteSection(suite.name, result, machine, context, date));
  process.stdout.write(`\n${result.title}\n\n${result.tables.map(renderTextTable).join('\n\n')}\n\n${result.notes.join('\n')}\n`);
  if (result.problems.length > 0) {
    invalid = true;
    process.stderr.write(`\n!!! '${suite.name}' RUN IS INVALID !!!\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }
}

const resultsPath = values.results ?? (smoke ? undefined : join(import.meta.dirname, 'RESULTS.md'));
if (resultsPath) {
  writeResultsFile(resolve(resultsPath), sections);
  context.log(`results written to ${resultsPath}`);
}
if (values.json) {
  const suitesJson = Object.fromEntries([...results].map(([name, r]) => [name, { problems: r.problems, data: r.data }]));
  writeFileSync(values.json, JSON.stringify({ machine, date: date.toISOString(), context: { ...context, log: undefined }, suites: suitesJson }, null, 2));
}
process.exit(invalid ? 1 : 0);
