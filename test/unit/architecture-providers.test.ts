/**
 * The provider kit's dependency rules (docs/adr/0008-provider-kit.md), read from the imports of src/:
 * surfaces never know providers; a provider is reachable from outside src/providers only through
 * `createProviders` (and the authorizer the composition root mounts); the kit knows no provider; data
 * planes never reach storage, the server, the CLI or the providers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSourceImports } from '../support/source-imports.js';

const files = readSourceImports();
const top = (path: string) => path.split('/')[0]!;
const folderOf = (path: string) => path.split('/').slice(0, 2).join('/');

function offenders(from: (file: string) => boolean, bad: (target: string) => boolean): string[] {
  return files.filter((f) => from(f.file)).flatMap((f) => f.targets.filter(bad).map((t) => `${f.file} → ${t}`));
}

describe('architecture: provider kit', () => {
  it('reads the provider folders it checks', () => {
    const providers = new Set(files.filter((f) => top(f.file) === 'providers').map((f) => folderOf(f.file)));
    for (const folder of ['providers/kit', 'providers/compute', 'providers/managed-identity', 'providers/resources']) assert.ok(providers.has(folder), folder);
  });

  it('HTTP surfaces never import providers; only the app builder mounts the data planes', () => {
    assert.deepEqual(
      offenders(
        (f) => top(f) === 'http',
        (t) => top(t) === 'providers',
      ),
      [],
    );
    assert.deepEqual(
      offenders(
        (f) => top(f) === 'http' && f !== 'http/app.ts',
        (t) => top(t) === 'dataplanes',
      ),
      [],
    );
  });

  it('outside src/providers, only the composition root reaches providers: createProviders and the ARM authorizer', () => {
    const allowed = new Set(['providers/index.js', 'providers/authorization/index.js']);
    assert.deepEqual(
      offenders(
        (f) => top(f) !== 'providers',
        (t) => top(t) === 'providers' && !allowed.has(t),
      ),
      [],
    );
    const users = [...new Set(files.filter((f) => top(f.file) !== 'providers' && f.targets.some((t) => top(t) === 'providers')).map((f) => f.file))];
    assert.deepEqual(users, ['server/server.ts']);
  });

  it('the kit knows no provider', () => {
    assert.deepEqual(
      offenders(
        (f) => folderOf(f) === 'providers/kit',
        (t) => top(t) === 'providers' && folderOf(t) !== 'providers/kit',
      ),
      [],
    );
  });

  it('providers reach core, contract, the ARM kit and each other, never storage, crypto, the server, the CLI or the agent', () => {
    const forbidden = new Set(['storage', 'crypto', 'server', 'cli', 'agent', 'config']);
    assert.deepEqual(
      offenders(
        (f) => top(f) === 'providers',
        (t) => forbidden.has(top(t)),
      ),
      [],
    );
  });

  it('data planes never reach storage, the server, the CLI or the providers', () => {
    const forbidden = new Set(['storage', 'server', 'cli', 'providers']);
    assert.deepEqual(
      offenders(
        (f) => top(f) === 'dataplanes',
        (t) => forbidden.has(top(t)),
      ),
      [],
    );
  });
});
