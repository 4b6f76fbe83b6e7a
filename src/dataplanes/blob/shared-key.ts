/**
 * Shared Key authentication (learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key):
 * `Authorization: SharedKey {account}:{base64 HMAC-SHA256(key, StringToSign)}` over the verb, the
 * standard headers, the canonicalized `x-ms-*` headers and the canonicalized resource
 * `/{account}{path}` plus the sorted query parameters. The signature is compared in constant time
 * against both account keys; `x-ms-date` (or `Date`) must be within 15 minutes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BlobError } from '../../core/blob/errors.js';

const STANDARD_HEADERS = [
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-type',
  'date',
  'if-modified-since',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'range',
];
const MAX_SKEW_MS = 15 * 60 * 1000;

type Headers = Record<string, string | string[] | undefined>;
const header = (h: Headers, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
};

/** The account a `SharedKey account:signature` header names, or undefined for another scheme. */
export function sharedKeyAccount(authorization: string | undefined): { account: string; signature: string } | undefined {
  const m = /^SharedKey\s+([^:\s]+):(\S+)\s*$/i.exec(authorization ?? '');
  return m ? { account: m[1]!, signature: m[2]! } : undefined;
}

/**
 * The canonicalized x-ms-* headers. Azure sorts them the way .NET's culture-aware comparison does,
 * which ignores hyphens; `hyphenBlind` gives that order, the default the plain ordinal one (they
 * differ only for unusual header names, so both are tried).
 */
function canonicalHeaders(h: Headers, hyphenBlind: boolean): string {
  const names = Object.keys(h)
    .filter((n) => n.toLowerCase().startsWith('x-ms-'))
    .map((n) => n.toLowerCase());
  const key = (n: string) => (hyphenBlind ? n.replace(/-/g, '') : n);
  names.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return [...new Set(names)].map((n) => `${n}:${header(h, n).replace(/\s+/g, ' ').trim()}\n`).join('');
}

/** `/{account}{raw path}` and `\nname:value` per query parameter (names lower-cased and sorted). */
function canonicalResource(account: string, rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const path = (q < 0 ? rawUrl : rawUrl.slice(0, q)) || '/';
  let out = `/${account}${path}`;
  if (q >= 0) {
    const params = new Map<string, string[]>();
    for (const part of rawUrl.slice(q + 1).split('&')) {
      const eq = part.indexOf('=');
      // As the storage SDKs sign: parameters without a value are left out.
      if (eq <= 0 || eq !== part.lastIndexOf('=') || eq === part.length - 1) continue;
      let name: string, value: string;
      try {
        name = decodeURIComponent(part.slice(0, eq)).toLowerCase();
        value = decodeURIComponent(part.slice(eq + 1));
      } catch {
        continue;
      }
      params.set(name, [...(params.get(name) ?? []), value]);
    }
    for (const name of [...params.keys()].sort()) out += `\n${name}:${params.get(name)!.join(',')}`;
  }
  return out;
}

export function stringToSign(method: string, h: Headers, account: string, rawUrl: string, hyphenBlind = false): string {
  const standard = STANDARD_HEADERS.map((n) => {
    const v = header(h, n);
    return n === 'content-length' && v === '0' ? '' : v;
  });
  return [method.toUpperCase(), ...standard].join('\n') + '\n' + canonicalHeaders(h, hyphenBlind) + canonicalResource(account, rawUrl);
}

/**
 * Verifies a Shared Key request against the account's keys; throws Azure's AuthenticationFailed
 * (403) with a detail that says what differs, without echoing secrets.
 */
export function verifySharedKey(input: {
  method: string;
  headers: Headers;
  rawUrl: string;
  account: string;
  signature: string;
  keys: readonly Buffer[];
  now: number;
}): void {
  const date = header(input.headers, 'x-ms-date') || header(input.headers, 'date');
  const at = Date.parse(date);
  if (!date || Number.isNaN(at)) throw new BlobError('AuthenticationFailed', "Request date header not specified or invalid: send 'x-ms-date'.");
  if (Math.abs(input.now - at) > MAX_SKEW_MS) throw new BlobError('AuthenticationFailed', `Request date header too old or too far in the future: '${date}'.`);
  const sent = Buffer.from(input.signature, 'base64');
  for (const hyphenBlind of [false, true]) {
    const text = stringToSign(input.method, input.headers, input.account, input.rawUrl, hyphenBlind);
    for (const key of input.keys) {
      const expected = createHmac('sha256', key).update(text, 'utf8').digest();
      if (sent.length === expected.length && timingSafeEqual(sent, expected)) return;
    }
  }
  throw new BlobError(
    'AuthenticationFailed',
    'The MAC signature found in the HTTP request is not the same as any computed signature. Check the account key and how the string to sign is built.',
  );
}
