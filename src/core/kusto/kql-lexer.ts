/**
 * The tokens of Keyless's KQL subset (docs/adr/0015-kusto.md): identifiers (command words may carry
 * dashes: `create-merge`, `set-or-append`), string literals in every Kusto form (`'…'`, `"…"` with
 * backslash escapes, verbatim `@'…'`, obfuscated `h'…'`/`h@'…'`, multi-line ```` ```…``` ````),
 * numbers, timespans (`5m`, `1h`, `2d`), and punctuation. Pure: no I/O.
 */
import { KustoError } from './errors.js';

export type TokenKind = 'ident' | 'string' | 'number' | 'timespan' | 'punct' | 'end';

export interface Token {
  kind: TokenKind;
  /** Identifier or punctuation text; a string's decoded value; a number's source text. */
  text: string;
  /** Offset in the source. */
  at: number;
  /** `h'…'` literals: their value is hidden in traces (Kusto's obfuscated strings). */
  obfuscated?: boolean;
  /** A timespan's length in milliseconds. */
  ms?: number;
}

const PUNCT = ['<|', '==', '!=', '<=', '>=', '=~', '!~', '(', ')', '[', ']', ',', ':', ';', '|', '=', '<', '>', '.', '*', '{', '}', '-'];
const UNITS: Record<string, number> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  tick: 0.0001,
  microsecond: 0.001,
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

const isIdentStart = (c: string) => /[A-Za-z_$]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_$]/.test(c);

export function syntaxError(message: string, at?: number): KustoError {
  return new KustoError('syntax', `Syntax error: ${message}${at === undefined ? '' : ` (at position ${at})`}`);
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    const at = i;
    // Multi-line literal ```…``` (no escapes).
    if (source.startsWith('```', i)) {
      const end = source.indexOf('```', i + 3);
      if (end < 0) throw syntaxError('a multi-line string literal (```) is not closed', at);
      tokens.push({ kind: 'string', text: source.slice(i + 3, end), at });
      i = end + 3;
      continue;
    }
    // String literals, with their h / @ prefixes.
    let j = i;
    let obfuscated = false;
    let verbatim = false;
    if (
      (source[j] === 'h' || source[j] === 'H') &&
      (source[j + 1] === "'" || source[j + 1] === '"' || (source[j + 1] === '@' && (source[j + 2] === "'" || source[j + 2] === '"')))
    ) {
      obfuscated = true;
      j++;
    }
    if (source[j] === '@' && (source[j + 1] === "'" || source[j + 1] === '"')) {
      verbatim = true;
      j++;
    }
    if (source[j] === "'" || source[j] === '"') {
      const quote = source[j]!;
      let value = '';
      let k = j + 1;
      for (;;) {
        if (k >= n) throw syntaxError('a string literal is not closed', at);
        const ch = source[k]!;
        if (ch === '\n' && !verbatim) throw syntaxError('a string literal is not closed before the end of the line', at);
        if (ch === quote) {
          if (verbatim && source[k + 1] === quote) {
            value += quote;
            k += 2;
            continue;
          }
          k++;
          break;
        }
        if (ch === '\\' && !verbatim) {
          const next = source[k + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
          if (next === undefined || !(next in map)) throw syntaxError(`unknown escape sequence '\\${next ?? ''}' in a string literal`, k);
          value += map[next];
          k += 2;
          continue;
        }
        value += ch;
        k++;
      }
      tokens.push({ kind: 'string', text: value, at, ...(obfuscated ? { obfuscated } : {}) });
      i = k;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let k = i;
      while (k < n && /[0-9]/.test(source[k]!)) k++;
      if (source[k] === '.' && /[0-9]/.test(source[k + 1] ?? '')) {
        k++;
        while (k < n && /[0-9]/.test(source[k]!)) k++;
      }
      if ((source[k] === 'e' || source[k] === 'E') && /[0-9+-]/.test(source[k + 1] ?? '')) {
        k += 2;
        while (k < n && /[0-9]/.test(source[k]!)) k++;
      }
      const number = source.slice(i, k);
      let u = k;
      while (u < n && /[a-z]/i.test(source[u]!)) u++;
      const unit = source.slice(k, u).toLowerCase();
      if (unit !== '') {
        if (!(unit in UNITS)) throw syntaxError(`'${source.slice(i, u)}' is not a number or a timespan`, at);
        tokens.push({ kind: 'timespan', text: source.slice(i, u), at, ms: Number(number) * UNITS[unit]! });
      } else {
        tokens.push({ kind: 'number', text: number, at });
      }
      i = u;
      continue;
    }
    if (isIdentStart(c)) {
      let k = i + 1;
      for (;;) {
        while (k < n && isIdentPart(source[k]!)) k++;
        // Command words with dashes: `create-merge`, `set-or-append`, `continuous-export`.
        if (source[k] === '-' && isIdentStart(source[k + 1] ?? '')) {
          const word = source.slice(i, k).toLowerCase();
          if (['create', 'alter', 'set', 'continuous', 'create-or', 'set-or'].includes(word)) {
            k++;
            continue;
          }
        }
        break;
      }
      tokens.push({ kind: 'ident', text: source.slice(i, k), at });
      i = k;
      continue;
    }
    const p = PUNCT.find((q) => source.startsWith(q, i));
    if (!p) throw syntaxError(`unexpected character '${c}'`, at);
    tokens.push({ kind: 'punct', text: p, at });
    i += p.length;
  }
  tokens.push({ kind: 'end', text: '', at: n });
  return tokens;
}
