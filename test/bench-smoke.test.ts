/**
 * Smoke run of the tokens benchmark (`bench/run-all.ts --smoke tokens`): proves the machinery works
 * end to end — raw signer, oidc-provider baseline, the real `keyless serve`, the load generator in
 * its own process — with positive numbers and no non-2xx responses. It asserts nothing about speed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { loadProblem, runLoad } from '../bench/lib/load.js';
import { forkTs, stopChild, waitForMessage } from '../bench/lib/processes.js';
import { clientCredentialsForm } from '../bench/lib/token-measurements.js';
import type { OidcProviderReady } from '../bench/targets/oidc-provider-server.js';

const ROOT = resolve(import.meta.dirname, '..');

interface LoadData {
  requestsPerSecond: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface SmokeJson {
  suites: {
    tokens: {
      problems: string[];
      data: {
        rawSigning: { tokensPerSecond: number; tokens: number };
        oidcProvider: { load: LoadData; probe: { alg: string } };
        keyless: Array<{ label: string; unavailable?: string; load?: LoadData; probe?: { alg: string; uniqueIdClaim: string } }>;
        signerPool: Array<{ available: boolean; tokensPerSecond?: number; reason?: string }>;
      };
    };
  };
}

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run-all.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('exit', (code) => done({ code, output }));
  });
}

function assertCleanLoad(name: string, load: LoadData | undefined): void {
  assert.ok(load, `${name}: no load result`);
  assert.ok(load.ok2xx > 0 && load.requestsPerSecond > 0, `${name}: no successful requests`);
  assert.equal(load.non2xx, 0, `${name}: non-2xx responses`);
  assert.equal(load.errors + load.timeouts, 0, `${name}: socket errors or timeouts`);
}

test('the tokens benchmark runs end to end in smoke mode', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'keyless-bench-smoke-'));
  try {
    const jsonFile = join(dir, 'smoke.json');
    const { code, output } = await runBench(['--smoke', '--json', jsonFile, 'tokens']);
    assert.ok(existsSync(jsonFile), `the bench wrote no results:\n${output}`);
    const tokens = (JSON.parse(await readFile(jsonFile, 'utf8')) as SmokeJson).suites.tokens;
    assert.deepEqual(tokens.problems, [], `the smoke run reported problems:\n${output}`);
    assert.equal(code, 0, output);

    assert.ok(tokens.data.rawSigning.tokens > 0 && tokens.data.rawSigning.tokensPerSecond > 0);
    assert.equal(tokens.data.oidcProvider.probe.alg, 'RS256');
    assertCleanLoad('oidc-provider', tokens.data.oidcProvider.load);
    const keyless = tokens.data.keyless[0];
    assert.ok(keyless && !keyless.unavailable, `Keyless was not measured: ${keyless?.unavailable}`);
    assert.equal(keyless.probe?.alg, 'RS256');
    assert.equal(keyless.probe?.uniqueIdClaim, 'uti', 'Keyless tokens carry a fresh uti, as Entra does');
    assertCleanLoad('Keyless', keyless.load);
    for (const pool of tokens.data.signerPool.filter((p) => p.available)) assert.ok((pool.tokensPerSecond ?? 0) > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unknown benchmark name is refused with the list of suites', async () => {
  const { code, output } = await runBench(['no-such-bench']);
  assert.equal(code, 2);
  assert.match(output, /unknown benchmark 'no-such-bench'; available: .*tokens/);
});

test('non-2xx responses under load invalidate a measurement', { timeout: 60_000 }, async () => {
  const server = forkTs('bench/targets/oidc-provider-server.ts');
  try {
    const ready = await waitForMessage<OidcProviderReady>(server, 'ready', 30_000);
    const load = await runLoad({
      url: ready.tokenUrl,
      caPem: ready.caPem,
      form: clientCredentialsForm(ready.clientId, 'wrong-secret'),
      connections: 1,
      durationSeconds: 0.5,
      warmupSeconds: 0,
    });
    assert.ok(load.non2xx > 0, 'a wrong client secret is refused');
    assert.equal(load.ok2xx, 0);
    assert.match(loadProblem(load) ?? '', /non-2xx responses .*"401"/);
  } finally {
    await stopChild(server);
  }
});
