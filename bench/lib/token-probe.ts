/**
 * Checks a token endpoint before it is loaded: the TLS chain verifies against the given CA, the
 * answer is an RS256 JWT, and two answers carry different tokens with different unique ids (`uti`
 * for Entra-shaped tokens, `jti` otherwise) — proof that every response is freshly signed.
 */
import { request } from 'node:https';
import { formBody } from './load.js';

/** An endpoint the runner can load: where, what to send, and which CA to trust. */
export interface TokenTarget {
  name: string;
  url: string;
  form: Record<string, string>;
  caPem: string;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs the form once over a verified TLS connection. */
export function requestToken(target: TokenTarget): Promise<TokenResponse> {
  const body = formBody(target.form);
  return new Promise((resolve, reject) => {
    const req = request(
      target.url,
      {
        method: 'POST',
        ca: target.caPem,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
          } catch {
            reject(new Error(`${target.name}: token endpoint answered ${res.statusCode} with a body that is not JSON`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The decoded header and payload of a compact JWS; throws when `token` is not one. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) throw new Error('not a compact JWS');
  const decode = (p: string) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(parts[0]!), payload: decode(parts[1]!) };
}

/** What the probe saw, for the results file (claim names only: never a token). */
export interface ProbeReport {
  alg: string;
  claimNames: string[];
  uniqueIdClaim: 'uti' | 'jti';
}

/** Fetches two tokens and throws unless both are fresh, distinct RS256 JWTs. */
export async function probeTokenEndpoint(target: TokenTarget): Promise<ProbeReport> {
  const first = await fetchJwt(target);
  const second = await fetchJwt(target);
  const idClaim = typeof first.payload.uti === 'string' ? 'uti' : 'jti';
  const a = first.payload[idClaim];
  const b = second.payload[idClaim];
  if (typeof a !== 'string' || typeof b !== 'string') throw new Error(`${target.name}: token carries neither uti nor jti`);
  if (a === b || first.token === second.token)
    throw new Error(`${target.name}: two requests returned the same token (${idClaim} reused): tokens must be freshly signed`);
  return { alg: String(first.header.alg), claimNames: Object.keys(first.payload).sort(), uniqueIdClaim: idClaim };
}

async function fetchJwt(target: TokenTarget): Promise<{ token: string; header: Record<string, unknown>; payload: Record<string, unknown> }> {
  const res = await requestToken(target);
  if (res.status !== 200) {
    throw new Error(`${target.name}: token request answered ${res.status}: ${String(res.body.error ?? '')} ${String(res.body.error_description ?? '')}`);
  }
  const token = res.body.access_token;
  if (typeof token !== 'string') throw new Error(`${target.name}: token response has no access_token`);
  const decoded = decodeJwt(token);
  if (decoded.header.alg !== 'RS256') throw new Error(`${target.name}: token is signed with ${String(decoded.header.alg)}, not RS256`);
  return { token, ...decoded };
}
