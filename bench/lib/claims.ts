/**
 * The token the raw-signing baseline signs: the claim set of an Entra v1 app-only access token for
 * ARM (the shape Keyless issues for client credentials), with the compact JWS built each time.
 * Claim names follow https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference.
 */
import { randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';

/** Identifiers that stay the same for every token of a run (one tenant, one client). */
export interface TokenSubject {
  tenantId: string;
  appId: string;
  objectId: string;
  kid: string;
}

export function createTokenSubject(): TokenSubject {
  return { tenantId: randomUUID(), appId: randomUUID(), objectId: randomUUID(), kid: randomBytes(20).toString('base64url') };
}

/** A fresh claim set: new `iat`/`nbf`/`exp` and a new `uti`, as every Entra token has. */
export function appTokenClaims(subject: TokenSubject, nowSeconds: number): Record<string, unknown> {
  const issuer = `https://sts.windows.net/${subject.tenantId}/`;
  return {
    aud: 'https://management.azure.com/',
    iss: issuer,
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 3599,
    aio: 'k2BgYJhZ1Lh9zLfbCv3Hv0m7yP3oAQA=',
    appid: subject.appId,
    appidacr: '1',
    idp: issuer,
    idtyp: 'app',
    oid: subject.objectId,
    rh: '1.AXEAv4j5cvGGr0GRqy180BHbR0ZIf3kAutdPukPawfj2MBNxAAA.',
    sub: subject.objectId,
    tid: subject.tenantId,
    uti: randomBytes(16).toString('base64url'),
    ver: '1.0',
  };
}

/** Signs `claims` as a compact RS256 JWS with `node:crypto` (header and payload encoded each time). */
export function signCompactJws(subject: TokenSubject, claims: Record<string, unknown>, key: KeyObject): string {
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5t: subject.kid, kid: subject.kid })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${header}.${payload}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}
