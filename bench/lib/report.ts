/**
 * Output of a run: aligned tables on the terminal, and bench/RESULTS.md, where each suite owns one
 * marked section so that running one suite (`npm run bench -- tokens`) keeps the others' results.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { MachineDescription } from './machine.js';
import type { BenchContext, SuiteResult, Table } from './suite.js';

/** A table with padded columns for the terminal. */
export function renderTextTable(table: Table): string {
  const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(table.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

export function renderMarkdownTable(table: Table): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [row(table.columns), row(table.columns.map((_, i) => (i === 0 ? '---' : '---:'))), ...table.rows.map(row)].join('\n');
}

/** The Markdown section of one suite, machine description and run settings included. */
export function renderSuiteSection(name: string, result: SuiteResult, machine: MachineDescription, context: BenchContext, date: Date): string {
  const lines = [
    `<!-- suite:${name} -->`,
    `## ${result.title}`,
    '',
    `Run ${date.toISOString()} with \`npm run bench -- ${name}\`: ${context.durationSeconds} s measured per measurement after ${context.warmupSeconds} s of warm-up, ${context.connections} keep-alive connections, ${context.rounds === 1 ? 'one round' : `median of ${context.rounds} interleaved rounds`}${context.smoke ? ' (SMOKE RUN: not a measurement)' : ''}.`,
    '',
    `Machine: ${machine.os}; ${machine.cpuModel}, ${machine.logicalCores} logical cores (available parallelism ${machine.availableParallelism}); ${machine.memoryGiB} GiB memory; Node ${machine.node}, OpenSSL ${machine.openssl}; 1-minute load average at start ${machine.loadAverage1m}.`,
    '',
  ];
  for (const table of result.tables) lines.push(renderMarkdownTable(table), '');
  for (const note of result.notes) lines.push(note, '');
  if (result.problems.length > 0) {
    lines.push('**This run is invalid:**', '', ...result.problems.map((p) => `- ${p}`), '');
  }
  lines.push(`<!-- /suite:${name} -->`);
  return lines.join('\n');
}

const HEADER = `# Keyless benchmarks

Written by \`npm run bench\` (bench/run-all.ts). Each section is replaced when its suite runs again;
see bench/README.md for what each suite measures and how.
`;

/** Replaces (or appends) each suite's section in the results file. */
export function writeResultsFile(path: string, sections: Map<string, string>): void {
  let text = existsSync(path) ? readFileSync(path, 'utf8') : HEADER;
  for (const [name, section] of sections) {
    const start = text.indexOf(`<!-- suite:${name} -->`);
    const endMarker = `<!-- /suite:${name} -->`;
    const end = text.indexOf(endMarker);
    text = start >= 0 && end > start ? text.slice(0, start) + section + text.slice(end + endMarker.length) : `${text.trimEnd()}\n\n${section}\n`;
  }
  writeFileSync(path, text.endsWith('\n') ? text : `${text}\n`);
}
