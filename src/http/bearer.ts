/**
 * Bearer-token authentication, shared by every surface (ARM, Graph, the data planes): read
 * `Authorization: Bearer <token>`, verify the token with the server's AccessTokenVerifier for the
 * surface's audiences, and say why when it fails — each surface renders the {@link BearerError} in its
 * own error format (ARM's envelope, Graph's body, Storage XML, Key Vault JSON). See docs/adr/0009-seams.md.
 */
import { isDomainError } from '../core/errors.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../core/ports.js';

/** Why authentication failed. */
export type BearerFailure = 'missing' | 'malformed' | 'invalid' | 'expired' | 'audience';

export class BearerError extends Error {
  override name = 'BearerError';
  constructor(
    readonly reason: BearerFailure,
    message: string,
  ) {
    super(message);
  }
}

/** The token of an `Authorization: Bearer <token>` header; undefined when the header is absent. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.trim() === '') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw new BearerError('malformed', "The 'Authorization' header is not 'Bearer <token>'.");
  return m[1];
}

/** Verifies a bearer token for one of `audiences`; every failure (even a verifier crash) is a {@link BearerError}. */
export async function verifyBearer(verifier: AccessTokenVerifier, token: string, audiences: readonly string[]): Promise<VerifiedCaller> {
  try {
    return await verifier.verify(token, audiences);
  } catch (e) {
    if (isDomainError(e)) {
      const reason = e.code === 'ExpiredAuthenticationToken' ? 'expired' : e.code === 'InvalidAuthenticationTokenAudience' ? 'audience' : 'invalid';
      throw new BearerError(reason, e.message);
    }
    throw new BearerError('invalid', 'The access token could not be validated.');
  }
}
