/**
 * Every import of every TypeScript file under src/, resolved to a path relative to src/ (or
 * `pkg:<name>` for packages): what the architecture tests read to hold the dependency direction.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const SRC = resolve(import.meta.dirname, '../../src');

export interface SourceFile {
  /** Relative to src/, e.g. `providers/compute/index.ts`. */
  file: string;
  /** Each import: a path relative to src/ (`core/errors.ts` → `core/errors.js`) or `pkg:<name>`. */
  targets: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

export function readSourceImports(): SourceFile[] {
  return sourceFiles(SRC).map((path) => {
    const text = readFileSync(path, 'utf8');
    const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
    return {
      file: relative(SRC, path),
      targets: specs.map((spec) => (spec.startsWith('.') ? relative(SRC, resolve(dirname(path), spec)) : `pkg:${spec}`)),
    };
  });
}
