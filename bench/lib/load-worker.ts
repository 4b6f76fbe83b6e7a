/**
 * The load generator: a child process (forked by load.ts) that receives LoadOptions over IPC, runs
 * autocannon against the token endpoint with keep-alive connections, and reports a LoadResult.
 */
import autocannon, { type Result } from 'autocannon';
import { formBody, type LoadOptions, type LoadResult, type LoadWorkerMessage } from './load.js';

function summarize(r: Result, connections: number): LoadResult {
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(r.statusCodeStats)) statusCodes[code] = stat.count;
  return {
    requestsPerSecond: r.duration > 0 ? r['2xx'] / r.duration : 0,
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    latencyMs: { average: r.latency.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    durationSeconds: r.duration,
    connections,
  };
}

async function run(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'POST',
    headers: options.headers ?? { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    ...(options.method === 'GET' ? {} : { body: options.body ?? formBody(options.form) }),
    connections: options.connections,
    pipelining: 1,
    duration: options.durationSeconds,
    timeout: 10,
    // autocannon connects with rejectUnauthorized: false whatever it is given; the runner checks the
    // certificate chain against this CA with a verified request before loading (see token-probe.ts).
    tlsOptions: { ca: options.caPem },
    ...(options.warmupSeconds > 0 ? { warmup: { connections: options.connections, duration: options.warmupSeconds } } : {}),
  });
  return summarize(result, options.connections);
}

function reply(message: LoadWorkerMessage): void {
  process.send!(message, () => process.exit(0));
}

process.once('message', (options: LoadOptions) => {
  run(options).then(
    (result) => reply({ type: 'result', result }),
    (err: unknown) => reply({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
