/**
 * The measurements of the tokens suite, each with its measured party in its own process:
 * raw signing (a), oidc-provider (b), the Keyless server, and the in-process signer pool.
 */
import type { OidcProviderReady } from '../targets/oidc-provider-server.js';
import type { RawSignResult } from '../targets/raw-sign.js';
import type { SignerPoolReport } from '../targets/signer-pool-rate.js';
import { loadProblem, runLoad, type LoadResult } from './load.js';
import { KeylessUnavailableError, startKeyless } from './keyless-server.js';
import { forkTs, stopChild, waitForMessage } from './processes.js';
import type { BenchContext } from './suite.js';
import { probeTokenEndpoint, type ProbeReport, type TokenTarget } from './token-probe.js';

/** The body every client-credentials load sends, as `@azure/identity` does for ARM. */
export function clientCredentialsForm(clientId: string, clientSecret: string): Record<string, string> {
  return { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'https://management.azure.com/.default' };
}

/** A loaded token endpoint: what the probe saw and what the load measured. */
export interface HttpMeasurement {
  probe: ProbeReport;
  load: LoadResult;
  /** Why the numbers cannot be trusted (non-2xx responses…), if so. */
  problem?: string;
}

/** A measurement that could not be made, and why. */
export interface Unavailable {
  unavailable: string;
}

const timeoutMs = (context: BenchContext) => (context.durationSeconds + context.warmupSeconds) * 1000 + 120_000;

/** Baseline (a): one node:crypto thread signing fresh RS256 tokens, alone in its process. */
export async function measureRawSigning(context: BenchContext): Promise<RawSignResult> {
  const child = forkTs('bench/targets/raw-sign.ts', {
    args: [JSON.stringify({ durationSeconds: context.durationSeconds, warmupSeconds: context.warmupSeconds })],
  });
  try {
    return await waitForMessage<RawSignResult>(child, 'result', timeoutMs(context));
  } finally {
    await stopChild(child);
  }
}

/** Probes the endpoint (fresh JWTs, trusted TLS), then loads it from the load-worker process. */
export async function loadTokenEndpoint(target: TokenTarget, context: BenchContext): Promise<HttpMeasurement> {
  const probe = await probeTokenEndpoint(target);
  context.log(`${target.name}: tokens are fresh ${probe.alg} JWTs (distinct ${probe.uniqueIdClaim}); loading for ${context.durationSeconds} s`);
  const load = await runLoad({
    url: target.url,
    form: target.form,
    caPem: target.caPem,
    connections: context.connections,
    durationSeconds: context.durationSeconds,
    warmupSeconds: context.warmupSeconds,
  });
  const problem = loadProblem(load);
  return problem ? { probe, load, problem: `${target.name}: ${problem}` } : { probe, load };
}

/** Baseline (b): oidc-provider in its own process, loaded like Keyless. */
export async function measureOidcProvider(context: BenchContext): Promise<HttpMeasurement> {
  const child = forkTs('bench/targets/oidc-provider-server.ts');
  try {
    const ready = await waitForMessage<OidcProviderReady>(child, 'ready', 60_000);
    return await loadTokenEndpoint(
      {
        name: 'oidc-provider',
        url: ready.tokenUrl,
        caPem: ready.caPem,
        form: clientCredentialsForm(ready.clientId, ready.clientSecret),
      },
      context,
    );
  } finally {
    await stopChild(child);
  }
}

/** The Keyless server (`keyless serve`) with extra environment, e.g. KEYLESS_SIGNING_THREADS. */
export async function measureKeyless(context: BenchContext, name: string, env: Record<string, string>): Promise<HttpMeasurement | Unavailable> {
  let server;
  try {
    server = await startKeyless(env);
  } catch (e) {
    if (e instanceof KeylessUnavailableError) return { unavailable: e.message };
    throw e;
  }
  try {
    const { clientId, clientSecret } = server.bootstrap;
    return await loadTokenEndpoint({ name, url: server.tokenUrl, caPem: server.caPem, form: clientCredentialsForm(clientId, clientSecret) }, context);
  } finally {
    await server.stop();
  }
}

/** The signer pool (src/crypto/signer-pool.ts) with `threads` worker threads, signing in process. */
export async function measureSignerPool(context: BenchContext, threads: number): Promise<SignerPoolReport> {
  const child = forkTs('bench/targets/signer-pool-rate.ts', {
    args: [JSON.stringify({ threads, durationSeconds: context.durationSeconds, warmupSeconds: context.warmupSeconds })],
  });
  try {
    return await waitForMessage<SignerPoolReport>(child, 'result', timeoutMs(context));
  } finally {
    await stopChild(child);
  }
}

export function isUnavailable(m: object): m is Unavailable {
  return 'unavailable' in m;
}
