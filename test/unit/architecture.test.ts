/**
 * Holds the dependency direction of docs/adr/0001-architecture.md by reading every import in src/:
 * the core imports only itself (and node built-ins); only the composition root touches storage;
 * HTTP surfaces, providers and the agent never reach storage, the server or the CLI; the CLI talks
 * HTTP (contract, core helpers, its own framework) and starts the server only from `serve`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Each file's imports as top-level folders of src/ (`core`, `storage`, …) or package names. */
const imports = sourceFiles(SRC).map((file) => {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
  const layers = specs.map((spec) => (spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec)).split('/')[0]! : `pkg:${spec}`));
  return { file: relative(SRC, file), layer: relative(SRC, file).split('/')[0]!, layers };
});

function violations(layer: string, allowed: (target: string, file: string) => boolean): string[] {
  return imports.filter((f) => f.layer === layer).flatMap((f) => f.layers.filter((t) => !allowed(t, f.file)).map((t) => `${f.file} → ${t}`));
}

describe('architecture: dependency direction', () => {
  it('reads a realistic number of files and imports (the test can see what it checks)', () => {
    assert.ok(imports.length > 100);
    assert.ok(imports.some((f) => f.layer === 'core' && f.layers.includes('core')));
  });

  it('core imports only core and node built-ins', () => {
    assert.deepEqual(
      violations('core', (t) => t === 'core' || t.startsWith('pkg:node:')),
      [],
    );
  });

  it('only the composition root (and the offline check and key rotation beside it) imports storage', () => {
    const users = imports.filter((f) => f.layer !== 'storage' && f.layers.includes('storage')).map((f) => f.file);
    assert.deepEqual(users.sort(), ['server/check.ts', 'server/rotate-keys.ts', 'server/server.ts']);
  });

  it('HTTP surfaces, providers and the agent never reach storage, the server or the CLI', () => {
    for (const layer of ['http', 'providers', 'agent']) {
      assert.deepEqual(
        violations(layer, (t) => !['storage', 'server', 'cli'].includes(t)),
        [],
        layer,
      );
    }
  });

  it('the CLI uses contract, core helpers, config, the agent and its own code; only `serve` (and the offline `check` and `keys rotate`) reach the server layer', () => {
    const allowed = new Set(['cli', 'contract', 'core', 'config', 'agent']);
    assert.deepEqual(
      violations(
        'cli',
        (t, file) =>
          allowed.has(t) || t.startsWith('pkg:') || (t === 'server' && (file === 'cli/serve.ts' || file === 'cli/check.ts' || file === 'cli/keys.ts')),
      ),
      [],
    );
  });
});
