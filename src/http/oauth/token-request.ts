/**
 * Reading a token request: the `application/x-www-form-urlencoded` body (RFC 6749 §4.4.2) and
 * client_secret_basic (RFC 6749 §2.3.1: `Basic base64(urlencode(id) ":" urlencode(secret))`), and
 * writing the success bodies of the v1 and v2 endpoints.
 */
import type { ClientCredentialsParams } from '../../core/tokens/client-credentials.js';
import { oauthErrors } from '../../core/tokens/oauth-error.js';
import type { IssuedToken } from '../../core/tokens/token-service.js';

export type FormBody = Record<string, string>;

/** Parses a form body; a repeated parameter keeps its first value. */
export function parseForm(text: string): FormBody {
  const out: FormBody = {};
  for (const [key, value] of new URLSearchParams(text)) if (!(key in out)) out[key] = value;
  return out;
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** The client id and secret of a Basic Authorization header, or undefined when there is none. */
export function parseBasicAuthorization(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  if (!header || !/^basic\s/i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw oauthErrors.malformedBasicAuthorization();
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw oauthErrors.malformedBasicAuthorization();
  }
}

/** The grant parameters of a request to the v1 or v2 token endpoint. */
export function clientCredentialsParams(endpoint: 'v1' | 'v2', body: FormBody, authorization: string | undefined): ClientCredentialsParams {
  const basic = parseBasicAuthorization(authorization);
  if (basic && body.client_secret !== undefined) throw oauthErrors.multipleClientAuthentications();
  if (basic && body.client_id !== undefined && body.client_id !== basic.clientId) throw oauthErrors.conflictingClientId();
  return {
    endpoint,
    grantType: body.grant_type,
    clientId: basic?.clientId ?? body.client_id,
    clientSecret: basic?.clientSecret ?? body.client_secret,
    clientAssertion: body.client_assertion,
    clientAssertionType: body.client_assertion_type,
    scope: body.scope,
    resource: body.resource,
  };
}

/** v2 success body: numbers (azure-wire-contracts §2.3). */
export function v2TokenResponse(token: IssuedToken) {
  return { token_type: 'Bearer', expires_in: token.expiresIn, ext_expires_in: token.expiresIn, access_token: token.accessToken };
}

/** v1 success body: Entra's v1 endpoint writes every number as a string and echoes the resource. */
export function v1TokenResponse(token: IssuedToken) {
  return {
    token_type: 'Bearer',
    expires_in: String(token.expiresIn),
    ext_expires_in: String(token.expiresIn),
    expires_on: String(token.expiresOn),
    not_before: String(token.notBefore),
    resource: token.audience,
    access_token: token.accessToken,
  };
}
