/**
 * Sign-in recording on the token path (issue 15 item 8): client-credentials tokens per second with
 * every token recorded as a sign-in (the activity log's buffered writer, flushing every second into
 * the store) against the same token service without a recorder, in the same process, over the same
 * SQLite store, key ring and signer thread, measured in interleaved rounds (the order alternates).
 *
 * It runs in a child process of its own (this file, started with `--child`), as every measured party
 * of the benchmark does. HTTP is left out on purpose: the ratio is that of the bare token path, so it
 * is a pessimistic bound for what a client sees through `keyless serve` (TLS and HTTP add a fixed cost
 * to both sides). After the measurement the child checks that every token of the recording side is
 * stored as a sign-in (nothing lost once flushed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { forkTs, stopChild, waitForMessage } from '../lib/processes.js';
import { formatNumber, type BenchContext, type Benchmark, type SuiteResult } from '../lib/suite.js';

/** A recording server should issue at least this share of the tokens of one that does not record. */
export const TARGET_RATIO = 0.9;

interface ChildResult {
  type: 'result';
  rounds: { without: number; withRecording: number }[];
  issuedWithRecording: number;
  storedSignIns: number;
  dropped: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

async function run(context: BenchContext): Promise<SuiteResult> {
  const child = forkTs('bench/suites/activity.ts', {
    args: ['--child', String(context.durationSeconds), String(context.warmupSeconds), String(context.connections), String(context.rounds)],
  });
  try {
    const timeout = (context.durationSeconds + context.warmupSeconds) * 2 * context.rounds * 1000 + 120_000;
    const result = await waitForMessage<ChildResult>(child, 'result', timeout);
    const without = median(result.rounds.map((r) => r.without));
    const withRecording = median(result.rounds.map((r) => r.withRecording));
    // The machine is shared: each round's two measurements are back to back, so the ratio is taken per
    // round and the median ratio reported (a busy moment lowers both sides of one round, not the ratio).
    const ratios = result.rounds.map((r) => r.withRecording / r.without);
    const ratio = median(ratios);
    const problems: string[] = [];
    if (result.storedSignIns !== result.issuedWithRecording) {
      problems.push(`sign-ins stored (${result.storedSignIns}) differ from tokens issued with recording (${result.issuedWithRecording})`);
    }
    if (!context.smoke && ratio < TARGET_RATIO) problems.push(`recording costs more than the target: ${ratio.toFixed(2)}x < ${TARGET_RATIO}x`);
    return {
      title: 'Sign-in recording on the token path (activity)',
      tables: [
        {
          columns: ['token service', 'tokens/s (median)', 'per round'],
          rows: [
            ['without a sign-in recorder', formatNumber(without), result.rounds.map((r) => formatNumber(r.without)).join(' / ')],
            ['recording every token (buffered, 1 s flush)', formatNumber(withRecording), result.rounds.map((r) => formatNumber(r.withRecording)).join(' / ')],
          ],
        },
      ],
      notes: [
        `Ratio with / without recording: **${ratio.toFixed(2)}x** (target ≥ ${TARGET_RATIO}x; median of the per-round ratios ${ratios.map((r) => r.toFixed(2)).join(' / ')}). ${formatNumber(result.issuedWithRecording)} tokens issued with recording, ${formatNumber(result.storedSignIns)} sign-ins stored after the final flush, ${result.dropped} dropped.`,
        `Method: one child process, one SQLite store, one signer thread, ${context.connections} concurrent client-credentials requests at a time on \`TokenService.clientCredentials\` (the directory read cache as the server wires it), ${context.durationSeconds} s per measurement after ${Math.round(context.warmupSeconds * 10) / 10} s warm-up, ${context.rounds} interleaved round(s). HTTP and TLS are not included: the ratio bounds the recording cost from above.`,
      ],
      problems,
      data: { without, withRecording, ratio, ratios, ...result },
    };
  } finally {
    await stopChild(child);
  }
}

export const benchmark: Benchmark = {
  name: 'activity',
  description: 'client-credentials tokens/s with sign-in recording vs without (same process, same run)',
  run,
};

/** The measured child: builds both token services over one store and loads them in turn. */
async function child(durationSeconds: number, warmupSeconds: number, connections: number, rounds: number): Promise<void> {
  const { systemClock } = await import('../../src/core/clock.js');
  const { randomIds } = await import('../../src/core/ids.js');
  const { ensureBootstrap, addClientSecret } = await import('../../src/core/directory/bootstrap.js');
  const { createDirectoryReadCache } = await import('../../src/core/directory/read-cache.js');
  const { createTokenService } = await import('../../src/core/tokens/token-service.js');
  const { createActivityLog } = await import('../../src/core/activity/activity-log.js');
  const { createKeyRing } = await import('../../src/crypto/key-ring.js');
  const { createKeySealing } = await import('../../src/crypto/key-sealing.js');
  const { clientSecretHasher } = await import('../../src/crypto/secrets.js');
  const { createSignerPool } = await import('../../src/crypto/signer-pool.js');
  const { openStore } = await import('../../src/storage/store.js');
  const { randomBytes } = await import('node:crypto');

  const dir = await mkdtemp(join(tmpdir(), 'keyless-bench-activity-'));
  const store = await openStore({ sqliteFile: join(dir, 'keyless.db') });
  const clock = systemClock;
  const keyRing = createKeyRing({
    store,
    clock,
    sealing: createKeySealing(randomBytes(32)),
    policy: { periodSeconds: 14 * 86400, maxTokenLifetimeSeconds: 86400 },
    onError: () => undefined,
  });
  await keyRing.start();
  const signer = createSignerPool({ threads: 1, key: keyRing.current() });
  const identity = await ensureBootstrap({ store, ids: randomIds, clock, secrets: clientSecretHasher });
  const { secret } = await addClientSecret(
    { store, ids: randomIds, clock, secrets: clientSecretHasher },
    { tenantId: identity.tenantId, appId: identity.clientId },
    'bench',
  );
  const activity = createActivityLog({ events: store.activityEvents, signIns: store.signInEvents, clock, ids: randomIds, retentionDays: 90 });
  activity.start();
  const base = {
    repos: createDirectoryReadCache(store, { clock }),
    signer,
    clock,
    config: { appTokenLifetimeSeconds: 3599, issuerMode: 'keyless' as const },
    baseUrl: () => 'https://127.0.0.1:8443',
    secrets: clientSecretHasher,
  };
  const services = { without: createTokenService(base), withRecording: createTokenService({ ...base, signIns: activity }) };
  const params = {
    endpoint: 'v2' as const,
    grantType: 'client_credentials',
    clientId: identity.clientId,
    clientSecret: secret,
    scope: 'https://management.azure.com/.default',
  };
  const context = { clientIp: '127.0.0.1' };
  let issuedWithRecording = 0;

  const load = async (name: keyof typeof services, seconds: number): Promise<number> => {
    const service = services[name];
    const until = Date.now() + seconds * 1000;
    let count = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < until) {
          await service.clientCredentials(identity.tenantId, params, context);
          count++;
        }
      }),
    );
    if (name === 'withRecording') issuedWithRecording += count;
    return count / seconds;
  };

  const results: ChildResult['rounds'] = [];
  for (let r = 0; r < rounds; r++) {
    const order: (keyof typeof services)[] = r % 2 === 0 ? ['without', 'withRecording'] : ['withRecording', 'without'];
    const round = { without: 0, withRecording: 0 };
    for (const name of order) {
      await load(name, warmupSeconds);
      round[name] = await load(name, durationSeconds);
    }
    results.push(round);
  }
  await activity.stop();
  let storedSignIns = 0;
  let after: string | undefined;
  do {
    const page = await store.signInEvents.list({ tenantId: identity.tenantId }, { limit: 1000, ...(after ? { after } : {}) });
    storedSignIns += page.items.length;
    after = page.next;
  } while (after);
  process.send!({ type: 'result', rounds: results, issuedWithRecording, storedSignIns, dropped: activity.dropped() } satisfies ChildResult);
  await signer.close();
  keyRing.stop();
  await store.close();
  await rm(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--child' && import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const [duration, warmup, connections, rounds] = process.argv.slice(3).map(Number) as [number, number, number, number];
  child(duration, warmup, connections, rounds).catch((error: unknown) => {
    process.send?.({ type: 'error', message: String((error as Error)?.stack ?? error) });
    process.exitCode = 1;
  });
}
