/**
 * TEMPORARY stand-in for src/crypto/access-token-verifier.ts (being written): real RS256 JWTs signed
 * with a key made for the test, and a verifier that checks signature, audience, nbf/exp the way the
 * AccessTokenVerifier port documents. Replace with the real verifier once it exists.
 */
import { generateKeyPair, SignJWT, jwtVerify, errors as joseErrors, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../src/core/errors.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../../src/core/ports.js';

export interface TestTokens {
  verifier: AccessTokenVerifier;
  /** A token for `tenantId` with ARM's audience unless `claims` say otherwise. */
  issue(tenantId: string, claims?: Record<string, unknown>, options?: { expiresInSeconds?: number }): Promise<string>;
  /** A token signed by a key the verifier does not know. */
  forge(tenantId: string): Promise<string>;
}

const ISSUER = 'https://keyless.test/';

function sameAudience(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}

export async function createTestTokens(): Promise<TestTokens> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const sign = (key: CryptoKey, tenantId: string, claims: Record<string, unknown>, expiresIn: number) =>
    new SignJWT({ aud: 'https://management.azure.com/', tid: tenantId, oid: randomUUID(), appid: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'test' })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setNotBefore(Math.floor(Date.now() / 1000) - 60)
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .sign(key);
  const verifier: AccessTokenVerifier = {
    async verify(token, audiences): Promise<VerifiedCaller> {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, publicKey, { algorithms: ['RS256'], issuer: ISSUER }));
      } catch (e) {
        if (e instanceof joseErrors.JWTExpired) throw new DomainError('ExpiredAuthenticationToken', 'The access token has expired.');
        throw new DomainError('InvalidAuthenticationToken', 'The access token is invalid.');
      }
      const aud = String(payload['aud']);
      if (!audiences.some((a) => sameAudience(a, aud))) {
        throw new DomainError('InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource '${aud}'.`);
      }
      return { objectId: String(payload['oid']), tenantId: String(payload['tid']), appId: String(payload['appid']), claims: payload };
    },
  };
  return {
    verifier,
    issue: (tenantId, claims = {}, options = {}) => sign(privateKey, tenantId, claims, options.expiresInSeconds ?? 3600),
    forge: (tenantId) => sign(other.privateKey, tenantId, {}, 3600),
  };
}
