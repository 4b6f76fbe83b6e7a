/**
 * Drives HTTP load at a token endpoint from a separate process (load-worker.ts), so that the load
 * generator never shares an event loop with the server or with the benchmark runner.
 */
import { forkTs } from './processes.js';

/** What to load and how hard. */
export interface LoadOptions {
  /** The token endpoint, e.g. `https://127.0.0.1:8443/<tenant>/oauth2/v2.0/token`. */
  url: string;
  /** Form fields of the POST body (sent `application/x-www-form-urlencoded`). */
  form: Record<string, string>;
  /** Default POST (with `form`); GET sends no body. */
  method?: 'GET' | 'POST';
  /** A raw body sent instead of `form` (e.g. JSON; set `headers` with its content type). */
  body?: string;
  /** Request headers replacing the form defaults (e.g. IMDS's `Metadata: true`). */
  headers?: Record<string, string>;
  /** PEM of the CA that issued the target's certificate. */
  caPem: string;
  /** Concurrent keep-alive connections. */
  connections: number;
  /** Measured seconds (after the warm-up). */
  durationSeconds: number;
  /** Unmeasured seconds before the measurement. */
  warmupSeconds: number;
}

/** What the load worker measured. */
export interface LoadResult {
  /** 2xx responses per second over the measured interval. */
  requestsPerSecond: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyMs: { average: number; p50: number; p90: number; p99: number; max: number };
  durationSeconds: number;
  connections: number;
}

/** Messages between the parent and load-worker.ts. */
export type LoadWorkerMessage = { type: 'result'; result: LoadResult } | { type: 'error'; message: string };

/** Why a load result cannot be trusted, or undefined when it can (only 2xx, no socket errors). */
export function loadProblem(result: LoadResult): string | undefined {
  if (result.non2xx > 0) return `${result.non2xx} non-2xx responses (status codes: ${JSON.stringify(result.statusCodes)})`;
  if (result.errors > 0 || result.timeouts > 0) return `${result.errors} socket errors and ${result.timeouts} timeouts`;
  if (result.ok2xx === 0) return 'no successful responses at all';
  return undefined;
}

/** Encodes a form body the way OAuth clients do (application/x-www-form-urlencoded). */
export function formBody(form: Record<string, string>): string {
  return new URLSearchParams(form).toString();
}

/** Runs autocannon in a child process and resolves with its measurement. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const child = forkTs('bench/lib/load-worker.ts');
  const limitMs = (options.durationSeconds + options.warmupSeconds + 60) * 1000;
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load worker gave no result within ${limitMs / 1000} s`)), limitMs);
      child.on('message', (m: LoadWorkerMessage) => {
        clearTimeout(timer);
        if (m.type === 'result') resolve(m.result);
        else reject(new Error(`load worker failed: ${m.message}`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`load worker exited with ${code} before reporting`));
      });
      child.send(options);
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}
