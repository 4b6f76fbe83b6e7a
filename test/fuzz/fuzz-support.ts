/**
 * Shared pieces of the fuzz campaign (issue 15 item 5): the seed and run counts (replayable through
 * KEYLESS_FUZZ_SEED / KEYLESS_FUZZ_RUNS), generators of hostile strings, and the checks every
 * surface's answers must pass (no status ≥ 500, an error body in the surface's own format).
 */
import fc from 'fast-check';

/** The seed of this run: KEYLESS_FUZZ_SEED replays a failing run; otherwise a fresh one, printed. */
export const FUZZ_SEED = process.env['KEYLESS_FUZZ_SEED'] ? Number(process.env['KEYLESS_FUZZ_SEED']) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
/** Multiplies every property's run count (`npm run stress` raises it). */
const RUNS_FACTOR = process.env['KEYLESS_FUZZ_RUNS'] ? Number(process.env['KEYLESS_FUZZ_RUNS']) : 1;

/**
 * The run count of a property on an engine: SQLite runs it whole; PostgreSQL (the same server on the
 * other store) a fifth of it in `npm test`, which shares a small machine, and all of it under
 * `npm run stress` (KEYLESS_FUZZ_RUNS > 1).
 */
export function engineShare(engine: 'sqlite' | 'postgres', baseRuns: number): number {
  return engine === 'sqlite' || RUNS_FACTOR > 1 ? baseRuns : Math.max(1, Math.round(baseRuns / 5));
}

let announced = false;
/** fast-check parameters for one property of `baseRuns` requests (scaled by KEYLESS_FUZZ_RUNS). */
export function fuzzParams(baseRuns: number): fc.Parameters<unknown> {
  if (!announced) {
    announced = true;
    console.log(`fuzz: seed ${FUZZ_SEED} (replay: KEYLESS_FUZZ_SEED=${FUZZ_SEED} node --import tsx scripts/run-tests.ts test/fuzz), runs x${RUNS_FACTOR}`);
  }
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(baseRuns * RUNS_FACTOR)), endOnFailure: true, verbose: 1 };
}

/** How many requests the campaign sent, by surface (printed at the end of each file). */
export const sent: Record<string, number> = {};
export const count = (surface: string) => {
  sent[surface] = (sent[surface] ?? 0) + 1;
};

/** Strings meant to break parsers, routers and validators. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '..',
    '.',
    '%2F',
    '..%2F..%2F',
    '%2e%2e',
    'a%2Fb',
    '%00',
    '\u0000',
    '%',
    '%zz',
    '?',
    '#',
    '&',
    '=',
    '\\',
    '//',
    '*',
    '~',
    "'",
    '"',
    '<script>',
    'null',
    'true',
    '0',
    '-1',
    'NaN',
    '1e309',
    '{}',
    '[]',
    'CON',
    'ÄÖÜ',
    '名前',
    '😀',
    '\u202e',
    '\r\nX-Injected: 1',
    'a'.repeat(5000),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 300 }),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/),
);

/** Percent-encodes a string for a path segment, sometimes leaving it raw (path tricks pass as sent). */
export const segment = (s: string, raw: boolean) => (raw ? s.replace(/[\r\n\s#?]/g, encodeURIComponent) : encodeURIComponent(s));

/** Mixed case of a string (ARM paths and names compare case-insensitively). */
export const mixCase = (s: string, bits: number) => [...s].map((c, i) => ((bits >> (i % 30)) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');

/** Bodies: malformed JSON text, wrong-typed JSON, deep nesting, huge values. */
export const hostileBody: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,2',
    '{"location":}',
    'null',
    '""',
    '0',
    '[]',
    '{}',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '\u0000',
    '\ufeff{}',
    '{"a":1,"a":2}',
  ),
  fc.integer({ min: 1, max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 3000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.constant(JSON.stringify({ location: 'x'.repeat(200_000) })),
);

/** Content types, right and wrong. */
export const contentType: fc.Arbitrary<string | undefined> = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=latin1',
  '*/*',
  'application/merge-patch+json',
  ';;;',
  'a'.repeat(3000),
);

/** Extra headers: duplicates, junk and huge values. */
export const junkHeaders: fc.Arbitrary<Record<string, string | string[]>> = fc
  .record(
    {
      'x-ms-client-request-id': fc.oneof(fc.string({ maxLength: 60 }), fc.constant('a'.repeat(8000))),
      'if-match': fc.constantFrom('*', '"x"', 'W/"x"', '', '"'),
      'if-none-match': fc.constantFrom('*', '"x"', ''),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', ''),
      'accept-language': fc.string({ maxLength: 30 }),
      'x-forwarded-for': fc.constantFrom('127.0.0.1', '169.254.169.254', 'junk'),
      'x-ms-version': fc.string({ maxLength: 20 }),
    },
    { requiredKeys: [] },
  )
  .map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, '?')])));

/** A header value safe to put on the wire (inject refuses control characters outright, as Node does). */
export const headerSafe = (s: string) => s.replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, '?');

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, unknown>;
  request: string;
}

/** No answer may be a server error. */
export function assertNo5xx(a: Answer): void {
  if (a.status >= 500) throw new Error(`${a.status} for ${a.request}: ${a.body.slice(0, 500)}`);
}

/** The body of an error answer as `{error:{code,message}}` with string code and message (ARM, Graph, agent API). */
export function assertCodeMessageError(a: Answer): void {
  if (a.status < 400) return;
  if (a.body === '') {
    // HEAD has no body by definition.
    if (a.request.startsWith('HEAD ')) return;
    throw new Error(`${a.status} with an empty body for ${a.request}`);
  }
  let parsed: any;
  try {
    parsed = JSON.parse(a.body);
  } catch {
    throw new Error(`${a.status} with a non-JSON body for ${a.request}: ${a.body.slice(0, 300)}`);
  }
  const e = parsed?.error;
  if (typeof e?.code !== 'string' || typeof e?.message !== 'string' || e.code === '' || e.message === '') {
    throw new Error(`${a.status} with a body not in {error:{code,message}} for ${a.request}: ${a.body.slice(0, 300)}`);
  }
}

/**
 * ARM's surface: `{error:{code,message}}`, except HDInsight's own refusals, which Azure's HDInsight
 * provider answers in its flat `{code,message}` shape (src/providers/hdinsight/errors.ts).
 */
export function assertArmError(a: Answer): void {
  if (a.status < 400 || a.body === '') return assertCodeMessageError(a);
  if (/microsoft\.hdinsight/i.test(a.request)) {
    try {
      const parsed = JSON.parse(a.body);
      if (typeof parsed?.code === 'string' && typeof parsed?.message === 'string' && parsed.error === undefined) return;
    } catch {
      /* checked below */
    }
  }
  assertCodeMessageError(a);
}

/**
 * A path no surface prefix claims: ARM's 404, or the Blob / Data Lake data plane's (path-style
 * `/{account}/…` URLs are its own) XML `<Error><Code>…</Code><Message>…</Message></Error>`.
 */
export function assertAnySurfaceError(a: Answer): void {
  if (a.status < 400) return;
  if (a.body.startsWith('<?xml') || a.body.startsWith('<Error>')) {
    if (!/<Error><Code>[^<]+<\/Code><Message>[^<]+/.test(a.body))
      throw new Error(`${a.status} with malformed XML error for ${a.request}: ${a.body.slice(0, 300)}`);
    return;
  }
  if (a.body.trimStart().startsWith('{')) {
    const parsed = JSON.parse(a.body);
    // The data lake (dfs) plane's JSON error is `{error:{code,message}}` too.
    if (typeof parsed?.error?.code === 'string' || typeof parsed?.error === 'string' || typeof parsed?.code === 'string') return;
  }
  if (a.body === '' && (a.request.startsWith('HEAD ') || a.status === 304)) return;
  // The storage data plane answers HEAD errors without a body but with x-ms-error-code.
  if (a.body === '' && typeof a.headers['x-ms-error-code'] === 'string') return;
  throw new Error(`${a.status} in no surface's error format for ${a.request}: ${a.body.slice(0, 300)}`);
}

/** OAuth's error body: `{error, error_description}` strings. */
export function assertOAuthError(a: Answer): void {
  if (a.status < 400) return;
  let parsed: any;
  try {
    parsed = JSON.parse(a.body);
  } catch {
    throw new Error(`${a.status} with a non-JSON body for ${a.request}: ${a.body.slice(0, 300)}`);
  }
  if (typeof parsed?.error !== 'string' || typeof parsed?.error_description !== 'string') {
    throw new Error(`${a.status} with a body not in {error,error_description} for ${a.request}: ${a.body.slice(0, 300)}`);
  }
}
