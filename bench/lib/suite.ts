/**
 * The contract between bench/run-all.ts and one benchmark file in bench/suites/. A suite file
 * exports `benchmark`; the runner selects suites by name (`npm run bench -- tokens`).
 */

/** Settings shared by every suite of one run. */
export interface BenchContext {
  /** Measured seconds of each measurement (every measurement of a run gets the same). */
  durationSeconds: number;
  /** Unmeasured seconds before each measurement. */
  warmupSeconds: number;
  /** Concurrent keep-alive connections of the load generator. */
  connections: number;
  /** Times each measurement is repeated (interleaved); suites report the median round. */
  rounds: number;
  /** A tiny run that checks the machinery, not the speed. */
  smoke: boolean;
  /** Progress output (stderr). */
  log(message: string): void;
}

/** A table as plain cells: printed to the terminal and rendered in RESULTS.md. */
export interface Table {
  columns: string[];
  rows: string[][];
}

/** What a suite hands back. */
export interface SuiteResult {
  /** Section heading in RESULTS.md. */
  title: string;
  tables: Table[];
  /** Markdown paragraphs after the tables: ratios against targets, method notes. */
  notes: string[];
  /** Things that invalidate the run (non-2xx responses, a target that would not start…). */
  problems: string[];
  /** Machine-readable numbers, written with `--json`. */
  data: Record<string, unknown>;
}

export interface Benchmark {
  /** The selector on the command line. */
  name: string;
  description: string;
  run(context: BenchContext): Promise<SuiteResult>;
}

/** Formats a number for tables: integers with thousands separators, small values with 2 decimals. */
export function formatNumber(value: number, decimals = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}
