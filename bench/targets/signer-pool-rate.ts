/**
 * In-process signing scaling: tokens per second of the project's signer pool
 * (src/crypto/signer-pool.ts, `createSignerPool`) with N worker threads, signing the same fresh claim
 * sets as the raw baseline, with enough requests in flight to keep every thread busy.
 * Runs in its own process. Argument: JSON `{ "threads": n, "durationSeconds": n, "warmupSeconds": n }`.
 * Reports `{ type: 'result', … }` over IPC; `available: false` if the module is missing.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appTokenClaims, createTokenSubject, type TokenSubject } from '../lib/claims.js';
import { BENCH_ROOT } from '../lib/processes.js';
import { decodeJwt } from '../lib/token-probe.js';

/** The measurement sent to the parent. */
export type SignerPoolReport =
  | { type: 'result'; available: true; threads: number; tokens: number; seconds: number; tokensPerSecond: number }
  | { type: 'result'; available: false; threads: number; reason: string };

/** The part of src/crypto/signer-pool.ts used here (imported at run time: see below). */
interface SignerPoolModule {
  createSignerPool(options: { threads: number; key: { kid: string; privateKeyPem: string } }): {
    sign(claims: Record<string, unknown>): Promise<string>;
    close(): Promise<void>;
  };
}
type Pool = ReturnType<SignerPoolModule['createSignerPool']>;

const MODULE = join(BENCH_ROOT, 'src/crypto/signer-pool.ts');

/** Signs for `seconds` with `inFlight` requests outstanding; returns the completed count. */
async function signFor(pool: Pool, subject: TokenSubject, seconds: number, inFlight: number): Promise<{ tokens: number; seconds: number }> {
  const start = performance.now();
  const end = start + seconds * 1000;
  let tokens = 0;
  const lane = async () => {
    while (performance.now() < end) {
      await pool.sign(appTokenClaims(subject, Math.floor(Date.now() / 1000)));
      tokens++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { tokens, seconds: (performance.now() - start) / 1000 };
}

async function measure(threads: number, durationSeconds: number, warmupSeconds: number): Promise<SignerPoolReport> {
  // tsx turns a failed import into an uncaught error, so look before importing.
  if (!existsSync(MODULE)) return { type: 'result', available: false, threads, reason: 'src/crypto/signer-pool.ts does not exist' };
  const { createSignerPool } = (await import(pathToFileURL(MODULE).href)) as SignerPoolModule;
  const subject = createTokenSubject();
  const privateKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const pool = createSignerPool({ threads, key: { kid: subject.kid, privateKeyPem } });
  try {
    const sample = decodeJwt(await pool.sign(appTokenClaims(subject, Math.floor(Date.now() / 1000))));
    if (sample.header.alg !== 'RS256') throw new Error(`the signer pool signs with ${String(sample.header.alg)}, not RS256`);
    const inFlight = 4 * threads;
    await signFor(pool, subject, warmupSeconds, inFlight);
    const measured = await signFor(pool, subject, durationSeconds, inFlight);
    return { type: 'result', available: true, threads, ...measured, tokensPerSecond: measured.tokens / measured.seconds };
  } finally {
    await pool.close();
  }
}

const { threads, durationSeconds, warmupSeconds } = JSON.parse(process.argv[2] ?? '{}') as { threads: number; durationSeconds: number; warmupSeconds: number };
process.send!(await measure(threads, durationSeconds, warmupSeconds), () => process.exit(0));
