/**
 * Verifies bearer tokens issued by this server, in memory against the key ring (no HTTP): RS256
 * only, a published `kid`, issuer of the token's tenant, audience, `nbf`/`exp`. Failures become the
 * DomainErrors ARM answers with (`InvalidAuthenticationToken`, `ExpiredAuthenticationToken`,
 * `InvalidAuthenticationTokenAudience`), each saying which check failed.
 */
import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../core/clock.js';
import { DomainError } from '../core/errors.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../core/ports.js';
import type { IssuerPolicy } from '../core/tokens/issuer.js';

export interface AccessTokenVerifierDeps {
  keys: { publicKey(kid: string): KeyObject | undefined; refresh(): Promise<void> };
  issuers: Pick<IssuerPolicy, 'accepted'>;
  clock: Clock;
  /** Tolerance on `nbf`/`exp`, seconds (default 300, Microsoft.IdentityModel's default clock skew). */
  clockSkewSeconds?: number;
  /**
   * An unknown `kid` reloads the key ring (another server sharing the database may have created a key)
   * at most this often, ms (default 30 s), so that forged kids cannot hammer the store.
   */
  unknownKidRefreshMs?: number;
}

const invalid = (message: string, cause?: unknown) => new DomainError('InvalidAuthenticationToken', message, { cause });

/** The form audiences are compared in: case-insensitive scheme and host, trailing slashes ignored. */
export function normalizeAudience(audience: string): string {
  try {
    const url = new URL(audience);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}`.toLowerCase();
  } catch {
    return audience.replace(/\/+$/, '').toLowerCase();
  }
}

export function createAccessTokenVerifier(deps: AccessTokenVerifierDeps): AccessTokenVerifier {
  const skew = deps.clockSkewSeconds ?? 300;
  const refreshEvery = deps.unknownKidRefreshMs ?? 30_000;
  let lastRefresh = Number.NEGATIVE_INFINITY;

  async function keyFor(kid: string): Promise<KeyObject> {
    let key = deps.keys.publicKey(kid);
    if (!key && deps.clock.now() - lastRefresh >= refreshEvery) {
      lastRefresh = deps.clock.now();
      await deps.keys.refresh();
      key = deps.keys.publicKey(kid);
    }
    if (!key) throw invalid(`The access token is signed with key '${kid}', which is not one of the signing keys this server publishes.`);
    return key;
  }

  async function checkSignatureAndTimes(token: string): Promise<JWTPayload> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch (cause) {
      throw invalid('The access token is not a well-formed JWT: it must be three base64url parts separated by dots.', cause);
    }
    // Checked before any key is looked up: `none` and HS256-with-the-public-key are refused here.
    if (header.alg !== 'RS256') throw invalid(`The access token's signing algorithm '${String(header.alg)}' is not allowed: tokens must be signed with RS256.`);
    const kid = typeof header.kid === 'string' ? header.kid : typeof header.x5t === 'string' ? header.x5t : undefined;
    if (!kid) throw invalid("The access token header has no 'kid': the signing key cannot be identified.");
    const key = await keyFor(kid);
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['RS256'],
        currentDate: new Date(deps.clock.now()),
        clockTolerance: skew,
        requiredClaims: ['exp', 'iss', 'aud', 'tid', 'oid'],
      });
      return payload;
    } catch (cause) {
      throw mapJoseError(cause, deps.clock.now());
    }
  }

  return {
    async verify(token, audiences): Promise<VerifiedCaller> {
      const payload = await checkSignatureAndTimes(token);
      const tid = payload.tid;
      const oid = payload.oid;
      if (typeof tid !== 'string' || typeof oid !== 'string') throw invalid("The access token's 'tid' and 'oid' claims must be strings.");
      const accepted = deps.issuers.accepted(tid);
      if (typeof payload.iss !== 'string' || !accepted.includes(payload.iss)) {
        throw invalid(
          `The access token is from the wrong issuer '${String(payload.iss)}'. It must match one of '${accepted.join("', '")}' for tenant '${tid}'.`,
        );
      }
      const tokenAudiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ''];
      const allowed = new Set(audiences.map(normalizeAudience));
      if (!tokenAudiences.some((a) => allowed.has(normalizeAudience(a)))) {
        throw new DomainError(
          'InvalidAuthenticationTokenAudience',
          `The access token has been obtained for wrong audience or resource '${tokenAudiences.join(', ')}'. It should exactly match with one of the allowed audiences '${audiences.join("', '")}'.`,
        );
      }
      const appId = typeof payload.appid === 'string' ? payload.appid : typeof payload.azp === 'string' ? payload.azp : '';
      return { objectId: oid, tenantId: tid, appId, claims: payload as Record<string, unknown> };
    },
  };
}

function mapJoseError(cause: unknown, now: number): DomainError {
  if (cause instanceof joseErrors.JWTExpired) {
    const exp = typeof cause.payload.exp === 'number' ? new Date(cause.payload.exp * 1000).toISOString() : 'unknown';
    return new DomainError(
      'ExpiredAuthenticationToken',
      `The access token expiry UTC time '${exp}' is earlier than current UTC time '${new Date(now).toISOString()}'.`,
      { cause },
    );
  }
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed)
    return invalid('The access token signature is invalid: it was not signed by this server.', cause);
  if (cause instanceof joseErrors.JWTClaimValidationFailed) {
    if (cause.claim === 'nbf')
      return invalid(`The access token is not valid yet: its 'nbf' is later than the current UTC time '${new Date(now).toISOString()}'.`, cause);
    return invalid(`The access token's '${cause.claim}' claim is missing or invalid: ${cause.message}.`, cause);
  }
  if (cause instanceof joseErrors.JOSEError) return invalid(`The access token could not be validated: ${cause.message}.`, cause);
  return invalid('The access token could not be validated.', cause);
}
