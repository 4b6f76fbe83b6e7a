/**
 * A client assertion (RFC 7523 JWT) as the token endpoint receives it: parsed without trusting it,
 * and the errors Entra answers when one is refused (shared/reference/aks-wire.md §4.3, with the
 * AADSTS numbers and texts Entra uses). Signature checks live behind the {@link AssertionKeys} port
 * (src/crypto/assertion-keys.ts fetches issuers' keys over HTTPS); this module never does I/O.
 */
import { OAuthError } from '../tokens/oauth-error.js';

/** `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2). */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Signature algorithms accepted. Never `none` and never HMAC (`HS*`): a shared secret cannot be
 * published by an issuer, and accepting it would let anyone who reads the JWKS forge tokens.
 */
export const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type AssertionAlgorithm = (typeof ASSERTION_ALGORITHMS)[number];

/** Longest assertion read (Kubernetes and GitHub tokens are 1–2 KB). */
export const MAX_ASSERTION_LENGTH = 16 * 1024;

export interface ParsedAssertion {
  header: { alg: AssertionAlgorithm; kid?: string; [name: string]: unknown };
  claims: Record<string, unknown>;
  /** `base64url(header) "." base64url(payload)`: what the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** Verifies assertions' signatures with the keys their issuer publishes. */
export interface AssertionKeys {
  /**
   * Checks `assertion`'s signature with the key its header names, from the keys `issuer` publishes
   * (`{issuer}/.well-known/openid-configuration` → `jwks_uri`). Throws an OAuthError built by
   * {@link assertionErrors}: `issuerUnreachable`, `unknownSigningKey` or `badSignature`.
   */
  verify(issuer: string, assertion: ParsedAssertion): Promise<void>;
}

const DOCS = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';
const CHECK = 'Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.';
const show = (value: unknown) => String(value).slice(0, 300);

/** The refusals of the client-assertion grant, as Entra words them. */
export const assertionErrors = {
  malformed: (why: string) => new OAuthError('invalid_request', 50027, `JWT token is invalid or malformed: ${why}.`),
  wrongAssertionType: (type: string | undefined) =>
    new OAuthError(
      'invalid_request',
      900144,
      type
        ? `The client_assertion_type '${show(type)}' is not supported: it must be '${JWT_BEARER_ASSERTION_TYPE}'.`
        : `The request body must contain the following parameter: 'client_assertion_type'.`,
    ),
  algorithmNotAllowed: (alg: unknown) =>
    new OAuthError(
      'invalid_client',
      700027,
      `Client assertion failed signature validation: the algorithm '${show(alg)}' is not allowed. Assertions must be signed with one of ${ASSERTION_ALGORITHMS.join(', ')} by a key the issuer publishes.`,
      401,
    ),
  badSignature: (issuer: string) =>
    new OAuthError(
      'invalid_client',
      700027,
      `Client assertion failed signature validation: the signature does not verify with the key of identity provider '${show(issuer)}' that the token names.`,
      401,
    ),
  azureIssued: () => new OAuthError('invalid_client', 700222, 'AAD-issued tokens may not be used for federated identity flows.', 401),
  noCredentials: (claims: Record<string, unknown>) =>
    new OAuthError(
      'invalid_client',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${show(claims['iss'])}'. Assertion Subject: '${show(claims['sub'])}'. Assertion Audience: '${show(audiencesOf(claims).join(', '))}'. ${DOCS}`,
      401,
    ),
  noIssuerMatch: (iss: unknown) =>
    new OAuthError(
      'invalid_client',
      700211,
      `No matching federated identity record found for presented assertion issuer '${show(iss)}'. ${CHECK} ${DOCS}`,
      401,
    ),
  noAudienceMatch: (aud: string[]) =>
    new OAuthError(
      'invalid_client',
      700212,
      `No matching federated identity record found for presented assertion audience '${show(aud.join(', '))}'. ${CHECK} ${DOCS}`,
      401,
    ),
  noSubjectMatch: (sub: unknown) =>
    new OAuthError(
      'invalid_client',
      700213,
      `No matching federated identity record found for presented assertion subject '${show(sub)}'. ${CHECK} ${DOCS}`,
      401,
    ),
  notInTimeRange: (now: number, nbf: number | undefined, exp: number | undefined) =>
    new OAuthError(
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${iso(now)}, assertion valid from ${nbf === undefined ? '(not given)' : iso(nbf)}, expiry time of assertion ${exp === undefined ? '(not given: the exp claim is required)' : iso(exp)}.`,
      401,
    ),
  issuerUnreachable: (issuer: string, why: string) =>
    new OAuthError('invalid_request', 90061, `Request to External OIDC endpoint failed. Identity provider '${show(issuer)}': ${why}.`),
  unknownSigningKey: (kid: string | undefined, issuer: string) =>
    new OAuthError(
      'invalid_client',
      7000272,
      `The certificate with identifier ${kid === undefined ? '(none: the token header has no kid)' : show(kid)} used to sign the federated credential could not be found in the metadata of identity provider ${show(issuer)}. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token.`,
      401,
    ),
};

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** `aud` as a list (a JWT may carry one string or an array). */
export function audiencesOf(claims: Record<string, unknown>): string[] {
  const aud = claims['aud'];
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw assertionErrors.malformed(`the ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw assertionErrors.malformed(`the ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw assertionErrors.malformed(`the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Parses a compact JWS without trusting it; refuses what can never be accepted (alg none, HMAC). */
export function parseAssertion(token: string): ParsedAssertion {
  if (token.length > MAX_ASSERTION_LENGTH) throw assertionErrors.malformed(`the assertion is longer than ${MAX_ASSERTION_LENGTH} characters`);
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw assertionErrors.malformed('expected three dot-separated parts (a signed JWT)');
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h, 'header');
  const claims = decodeJson(p, 'payload');
  if (!ASSERTION_ALGORITHMS.includes(header['alg'] as AssertionAlgorithm)) throw assertionErrors.algorithmNotAllowed(header['alg']);
  if (header['crit'] !== undefined) throw assertionErrors.malformed("the 'crit' header is not supported");
  if (s.length === 0 || !/^[A-Za-z0-9_-]+$/.test(s)) throw assertionErrors.malformed('the signature is missing or not base64url');
  if (header['kid'] !== undefined && typeof header['kid'] !== 'string') throw assertionErrors.malformed("the 'kid' header must be a string");
  return { header: header as ParsedAssertion['header'], claims, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

/** Tolerance for clocks that differ between the issuer and Keyless. */
export const CLOCK_SKEW_SECONDS = 60;

/** `exp` is required and must be in the future; `nbf`, when given, in the past (both with {@link CLOCK_SKEW_SECONDS}). */
export function checkTimeRange(claims: Record<string, unknown>, nowMs: number): void {
  const now = Math.floor(nowMs / 1000);
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] : undefined;
  const nbf = typeof claims['nbf'] === 'number' ? claims['nbf'] : undefined;
  if (exp === undefined || now > exp + CLOCK_SKEW_SECONDS || (nbf !== undefined && nbf > now + CLOCK_SKEW_SECONDS)) {
    throw assertionErrors.notInTimeRange(now, nbf, exp);
  }
}
