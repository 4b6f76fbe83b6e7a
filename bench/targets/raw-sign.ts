/**
 * Baseline (a): how many RS256 tokens ONE node:crypto thread signs per second on this machine.
 * Runs in its own process (forked by the tokens suite) with a fresh 2048-bit key; every token gets
 * new claims (iat, uti) and a freshly built compact JWS, as a token service would.
 * Argument: JSON `{ "durationSeconds": n, "warmupSeconds": n }`. Reports `{ type: 'result', … }` over IPC.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { appTokenClaims, createTokenSubject, signCompactJws, type TokenSubject } from '../lib/claims.js';

/** The measurement sent to the parent. */
export interface RawSignResult {
  type: 'result';
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
}

function signFor(seconds: number, subject: TokenSubject, key: KeyObject): { tokens: number; seconds: number } {
  const start = process.hrtime.bigint();
  const limit = start + BigInt(Math.round(seconds * 1e9));
  let tokens = 0;
  let now = start;
  while (now < limit) {
    // Read the clock every few tokens: one signature takes about a millisecond.
    for (let i = 0; i < 8; i++) {
      signCompactJws(subject, appTokenClaims(subject, Math.floor(Date.now() / 1000)), key);
      tokens++;
    }
    now = process.hrtime.bigint();
  }
  return { tokens, seconds: Number(now - start) / 1e9 };
}

const { durationSeconds, warmupSeconds } = JSON.parse(process.argv[2] ?? '{}') as { durationSeconds: number; warmupSeconds: number };
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const subject = createTokenSubject();
signFor(warmupSeconds, subject, privateKey);
const measured = signFor(durationSeconds, subject, privateKey);
const result: RawSignResult = { type: 'result', ...measured, tokensPerSecond: measured.tokens / measured.seconds };
process.send!(result, () => process.exit(0));
