/**
 * The soak (issue 15 item 7): two servers on one PostgreSQL database and a real agent under mixed
 * load (test/soak/soak-harness.ts). Resident memory and open file descriptors of each process must
 * stay flat after warm-up (< 10 % growth, median of the first quarter of post-warm-up samples against
 * the median of the last quarter; for descriptors, or at most 3) and latency p99 stable (see
 * latencyOf); every request must succeed.
 *
 * `npm test` runs it for KEYLESS_SOAK_SECONDS (default 75 s); `npm run soak` for 10 minutes. The
 * 10 % bar on memory is the full run's: a short run (under 5 minutes) is a smoke check that allows
 * 20 %, because its post-warm-up quarters are seconds apart and V8's heap is still settling (a 75 s
 * run on a loaded CI machine measured +11 % on one server while the 10-minute run measured +1.5 %).
 * KEYLESS_SOAK_RATE sets the steady load (requests per second, default 40); KEYLESS_SOAK_RESULTS
 * names a file to write the figures to (Markdown), as recorded in bench/RESULTS.md.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fdsWithinBounds, growthOf, latencyOf, metricSummary, runSoak, type SoakResult } from './soak-harness.js';

const seconds = Number(process.env.KEYLESS_SOAK_SECONDS ?? 75);
const full = seconds >= 300;
const options = {
  seconds,
  rate: Number(process.env.KEYLESS_SOAK_RATE ?? 40),
  // V8 grows its old space for the first half-minute or so of load: a short run waits longer, in proportion.
  warmupSeconds: full ? 90 : Math.round(seconds * 0.4),
  windowSeconds: full ? 30 : Math.max(5, Math.round(seconds / 10)),
  sampleSeconds: full ? 5 : 2,
  churnSeconds: full ? 10 : 5,
};

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');

/** The figures as Markdown tables (what bench/RESULTS.md records). */
export function report(result: SoakResult): string {
  const growth = growthOf(result);
  const latency = latencyOf(result);
  const total = Object.values(result.kinds).reduce((x, k) => x + k.requests, 0);
  const failed = Object.values(result.kinds).reduce((x, k) => x + k.errors, 0);
  const lines = [
    `${fmt(result.options.seconds / 60, 1)} min, ${result.options.rate} req/s steady load (4 paced workers), warm-up ${result.options.warmupSeconds} s, samples every ${result.options.sampleSeconds} s, windows of ${result.options.windowSeconds} s; identity churn every ${result.options.churnSeconds} s.`,
    '',
    `Requests: ${fmt(total)}, failed: ${failed}; processes alive at the end: ${Object.entries(result.alive)
      .map(([k, v]) => `${k} ${v ? 'yes' : 'NO'}`)
      .join(', ')}.`,
    '',
    '| Process | RSS after warm-up (MiB) | RSS at the end (MiB) | growth | fds after warm-up | fds at the end | growth |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...growth.map(
      (g) =>
        `| ${g.process} | ${fmt(g.rssFirstMiB, 1)} | ${fmt(g.rssLastMiB, 1)} | ${fmt(g.rssGrowth * 100, 1)} % | ${fmt(g.fdsFirst)} | ${fmt(g.fdsLast)} | ${fmt(g.fdsGrowth * 100, 1)} % |`,
    ),
    '',
    '| Request kind | requests | failed | p50 ms | p99 ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(result.kinds).map(([k, v]) => `| ${k} | ${fmt(v.requests)} | ${v.errors} | ${fmt(v.p50)} | ${fmt(v.p99)} |`),
    '',
    '| Window (s) | requests | failed | p50 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...result.windows.map(
      (w) =>
        `| ${w.startS}–${w.startS + result.options.windowSeconds}${w.startS < result.options.warmupSeconds ? ' (warm-up)' : ''} | ${fmt(w.requests)} | ${w.errors} | ${fmt(w.p50)} | ${fmt(w.p99)} | ${fmt(w.max)} |`,
    ),
    '',
    `p99 (steady kinds) after warm-up: ${fmt(latency.firstP99)} ms (median over the first third of the windows) → ${fmt(latency.lastP99)} ms (the last third): ${latency.stable ? 'stable' : 'NOT stable'} (criterion: at most 2× or +50 ms).`,
    '',
    `Identity churn: ${result.churn.cycles} attach/detach cycles (${result.churn.failures} failed); attach → the agent serves the identity p50 ${fmt(result.churn.attachP50)} ms, max ${fmt(result.churn.attachMax)} ms; detach → refused p50 ${fmt(result.churn.detachP50)} ms, max ${fmt(result.churn.detachMax)} ms.`,
    '',
    ...Object.entries(result.metrics).map(([server, samples]) => {
      const m = metricSummary(samples);
      return `/metrics of ${server}: ${fmt(m.requests!)} requests (${m['5xx']} 5xx), tokens issued ${fmt(m.tokensClientCredentials!)} client_credentials + ${fmt(m.tokensManagedIdentity!)} managed_identity (${fmt(m.refusedManagedIdentity!)} refused), directory cache ${fmt(m.cacheHits!)} hits / ${fmt(m.cacheMisses!)} misses, RBAC ${fmt(m.rbacAllowed!)} allowed / ${fmt(m.rbacDenied!)} denied.`;
    }),
  ];
  return lines.join('\n');
}

describe(`soak: two servers on PostgreSQL and an agent, ${seconds} s of mixed load`, () => {
  it('memory and file descriptors stay flat after warm-up, p99 stays put, nothing fails', { timeout: (seconds + 180) * 1000 }, async (t) => {
    const result = await runSoak({ ...options, log: (line) => t.diagnostic(line) });
    const text = report(result);
    for (const line of text.split('\n')) t.diagnostic(line);
    if (process.env.KEYLESS_SOAK_RESULTS) await writeFile(process.env.KEYLESS_SOAK_RESULTS, `${text}\n`);

    assert.deepEqual(result.errors, [], 'every request of the load succeeds');
    assert.ok(Object.values(result.alive).every(Boolean), 'all three processes are still running');
    assert.ok(result.churn.cycles >= 3 && result.churn.failures === 0, `identity churn: ${result.churn.cycles} cycles, ${result.churn.failures} failed`);
    const rssBar = full ? 0.1 : 0.2;
    for (const g of growthOf(result)) {
      assert.ok(g.rssGrowth < rssBar, `${g.process}: resident memory grew ${(g.rssGrowth * 100).toFixed(1)} % after warm-up`);
      assert.ok(fdsWithinBounds(g), `${g.process}: open file descriptors grew from ${g.fdsFirst} to ${g.fdsLast}`);
    }
    const latency = latencyOf(result);
    assert.ok(latency.stable, `p99 went from ${latency.firstP99} ms to ${latency.lastP99} ms`);
    for (const [name, samples] of Object.entries(result.metrics)) assert.equal(metricSummary(samples)['5xx'], 0, `${name} answered 5xx`);
  });
});
