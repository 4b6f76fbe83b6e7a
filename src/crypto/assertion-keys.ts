/**
 * The signing keys of outside OIDC issuers, for client assertions (workload identity federation):
 * `{issuer}/.well-known/openid-configuration` → `jwks_uri` → JWKS, fetched over HTTPS only (Node's
 * trust store: the system CAs plus `NODE_EXTRA_CA_CERTS`), cached per issuer, refetched when a token
 * names a key the cache does not hold (an issuer rotated its keys), and bounded every way an issuer
 * could make it grow or hang: response size, time, keys per issuer, issuers cached, and refetches per
 * issuer (at most one every {@link REFETCH_COOLDOWN_MS}). An issuer Keyless hosts itself (an AKS
 * cluster's) is answered from `localIssuers` without any network request or CA setting.
 * Only issuers named by a federated credential are ever asked (the authenticator matches claims first).
 */
import { createPublicKey, verify as verifySignature, constants, type KeyObject, type JsonWebKey } from 'node:crypto';
import { request } from 'node:https';
import type { Clock } from '../core/clock.js';
import { assertionErrors, type AssertionAlgorithm, type AssertionKeys, type ParsedAssertion } from '../core/workload-identity/assertion.js';

/** A JWKS as published. */
export interface JsonWebKeySet {
  keys: (JsonWebKey & { kid?: string; alg?: string; use?: string })[];
}

export interface AssertionKeysOptions {
  clock: Clock;
  /** The JWKS of an issuer this server hosts, or undefined (then it is fetched). */
  localIssuers?(issuer: string): Promise<JsonWebKeySet | undefined>;
  /** How long fetched keys are used before they are fetched again (default 10 minutes). */
  ttlMs?: number;
  /** Per request (default 5 s). */
  timeoutMs?: number;
}

export const REFETCH_COOLDOWN_MS = 5_000;
const MAX_DOCUMENT_BYTES = 256 * 1024;
const MAX_KEYS = 100;
const MAX_ISSUERS = 1_000;
/** Signatures already verified, per exact token (a projected token is presented again and again for its hour). */
const MAX_VERIFIED = 10_000;

interface CachedIssuer {
  keys: Map<string, { key: KeyObject; alg?: string }>;
  /** Keys without a kid (used only when the token has none either). */
  anonymous: { key: KeyObject; alg?: string }[];
  fetchedAt: number;
}

/** Thrown inside this module with a message safe to show (no response bodies). */
class FetchFailure extends Error {}

function getJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new FetchFailure(`'${url.slice(0, 200)}' is not a URL`));
      return;
    }
    if (target.protocol !== 'https:') {
      reject(new FetchFailure(`'${url.slice(0, 200)}' is not an https URL`));
      return;
    }
    const req = request(target, { method: 'GET', headers: { accept: 'application/json' }, timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new FetchFailure(`GET ${url.slice(0, 200)} answered HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_DOCUMENT_BYTES) {
          req.destroy(new FetchFailure(`GET ${url.slice(0, 200)} answered more than ${MAX_DOCUMENT_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        try {
          const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
          resolve(value as Record<string, unknown>);
        } catch {
          reject(new FetchFailure(`GET ${url.slice(0, 200)} did not answer a JSON object`));
        }
      });
      res.on('error', (e) => reject(e instanceof FetchFailure ? e : new FetchFailure(`GET ${url.slice(0, 200)} failed: ${e.message}`)));
    });
    req.on('timeout', () => req.destroy(new FetchFailure(`GET ${url.slice(0, 200)} did not answer within ${timeoutMs} ms`)));
    req.on('error', (e) =>
      reject(e instanceof FetchFailure ? e : new FetchFailure(`GET ${url.slice(0, 200)} failed: ${(e as NodeJS.ErrnoException).code ?? e.message}`)),
    );
    req.end();
  });
}

/** The discovery document's URL (OIDC Discovery §4: the issuer with any trailing slash removed, then the well-known path). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

function toCached(jwks: JsonWebKeySet, now: number): CachedIssuer {
  const cached: CachedIssuer = { keys: new Map(), anonymous: [], fetchedAt: now };
  const keys = Array.isArray(jwks.keys) ? jwks.keys.slice(0, MAX_KEYS) : [];
  for (const jwk of keys) {
    if (typeof jwk !== 'object' || jwk === null || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') continue;
    let key: KeyObject;
    // Only the public members are read: a JWKS that leaks private parts is still used as public keys.
    const { kty, n, e, crv, x, y } = jwk;
    try {
      key = createPublicKey({ key: { kty, n, e, crv, x, y } as JsonWebKey, format: 'jwk' });
    } catch {
      continue;
    }
    const entry = { key, ...(typeof jwk.alg === 'string' ? { alg: jwk.alg } : {}) };
    if (typeof jwk.kid === 'string') cached.keys.set(jwk.kid, entry);
    else cached.anonymous.push(entry);
  }
  return cached;
}

const HASH: Record<AssertionAlgorithm, string> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};
const CURVE: Partial<Record<AssertionAlgorithm, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** Verifies a JWS signature with `key` under `alg`; false for a key of the wrong family or curve. */
export function verifyJws(alg: AssertionAlgorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const data = Buffer.from(signingInput, 'ascii');
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    if (key.asymmetricKeyType !== 'rsa') return false;
    const pss = alg.startsWith('PS');
    return verifySignature(
      HASH[alg],
      data,
      pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : key,
      signature,
    );
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== CURVE[alg]) return false;
  return verifySignature(HASH[alg], data, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

export function createAssertionKeys(options: AssertionKeysOptions): AssertionKeys & { clear(): void } {
  const ttl = options.ttlMs ?? 10 * 60_000;
  const timeout = options.timeoutMs ?? 5_000;
  const cache = new Map<string, CachedIssuer>();
  const inflight = new Map<string, Promise<CachedIssuer>>();
  // token → the key set that verified it. Valid only while that very key set is the issuer's cached
  // one: a refetch or expiry (a key withdrawn) makes the next presentation verify again.
  const verified = new Map<string, CachedIssuer>();

  async function fetchKeys(issuer: string): Promise<CachedIssuer> {
    const running = inflight.get(issuer);
    if (running) return running;
    const work = (async () => {
      let jwks: JsonWebKeySet;
      try {
        const discovery = await getJson(discoveryUrl(issuer), timeout);
        const jwksUri = discovery['jwks_uri'];
        if (typeof jwksUri !== 'string') throw new FetchFailure(`the discovery document ${discoveryUrl(issuer).slice(0, 200)} has no jwks_uri`);
        jwks = (await getJson(jwksUri, timeout)) as unknown as JsonWebKeySet;
      } catch (error) {
        throw assertionErrors.issuerUnreachable(issuer, error instanceof FetchFailure ? error.message : 'the request failed');
      }
      const cached = toCached(jwks, options.clock.now());
      if (cache.size >= MAX_ISSUERS) cache.delete(cache.keys().next().value!);
      cache.delete(issuer);
      cache.set(issuer, cached);
      return cached;
    })();
    inflight.set(issuer, work);
    try {
      return await work;
    } finally {
      inflight.delete(issuer);
    }
  }

  function find(cached: CachedIssuer, kid: string | undefined) {
    if (kid !== undefined) return cached.keys.get(kid);
    return cached.anonymous.length === 1 && cached.keys.size === 0 ? cached.anonymous[0] : undefined;
  }

  return {
    async verify(issuer: string, assertion: ParsedAssertion): Promise<void> {
      const { alg, kid } = assertion.header;
      let entry: { key: KeyObject; alg?: string } | undefined;
      const local = await options.localIssuers?.(issuer);
      if (local) {
        entry = find(toCached(local, options.clock.now()), kid);
      } else {
        const now = options.clock.now();
        let cached = cache.get(issuer);
        if (!cached || now - cached.fetchedAt > ttl) cached = await fetchKeys(issuer);
        const token = `${assertion.signingInput}.${assertion.signature.toString('base64url')}`;
        if (verified.get(token) === cached) return;
        entry = find(cached, kid);
        // An unknown key: the issuer may have rotated; ask again, at most once per cool-down.
        if (!entry && now - cached.fetchedAt > REFETCH_COOLDOWN_MS) entry = find(await fetchKeys(issuer), kid);
      }
      if (!entry) throw assertionErrors.unknownSigningKey(kid, issuer);
      if (entry.alg !== undefined && entry.alg !== alg) throw assertionErrors.badSignature(issuer);
      if (!verifyJws(alg, entry.key, assertion.signingInput, assertion.signature)) throw assertionErrors.badSignature(issuer);
      if (!local) {
        const current = cache.get(issuer);
        if (current) {
          if (verified.size >= MAX_VERIFIED) verified.clear();
          verified.set(`${assertion.signingInput}.${assertion.signature.toString('base64url')}`, current);
        }
      }
    },
    clear() {
      cache.clear();
      verified.clear();
    },
  };
}
