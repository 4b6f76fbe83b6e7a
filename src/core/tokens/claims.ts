/**
 * App-only access-token claims, v1 and v2, as Entra issues them (azure-wire-contracts §3.1).
 * v1 is what Entra issues for Azure resources (ARM, Storage, Key Vault …) whichever endpoint was
 * called, because their `accessTokenAcceptedVersion` is unset; v2 tokens use `azp`/`azpacr`
 * instead of `appid`/`appidacr`.
 */
import type { ServicePrincipal } from '../model.js';
import type { IssuerPolicy, TokenVersion } from './issuer.js';

/** How the client proved itself: `appidacr`/`azpacr` "0" none, "1" secret, "2" certificate (managed identities). */
export type ClientAuthentication = 'none' | 'secret' | 'certificate';

const ACR: Record<ClientAuthentication, string> = { none: '0', secret: '1', certificate: '2' };

/** Entra backdates `iat`/`nbf` by five minutes so that tokens are valid at once on clocks running behind. */
export const NOT_BEFORE_SKEW_SECONDS = 300;

export interface AppTokenClaimsInput {
  principal: Pick<ServicePrincipal, 'objectId' | 'appId' | 'tenantId'>;
  /** `aud`: the resource as requested. */
  audience: string;
  version: TokenVersion;
  /** Issue time, seconds since the epoch. */
  now: number;
  lifetimeSeconds: number;
  clientAuthentication: ClientAuthentication;
  issuers: IssuerPolicy;
  /** Random opaque values: `uti` (unique token id), `aio`, `rh`. */
  random: { uti: string; aio: string; rh: string };
  /** Added last, e.g. `xms_mirid` for managed identities; cannot override the claims above. */
  extraClaims?: Record<string, unknown>;
}

/** Builds the claim set of an app-only access token. */
export function buildAppTokenClaims(input: AppTokenClaimsInput): Record<string, unknown> {
  const { principal, version, now } = input;
  const tid = principal.tenantId;
  const common = {
    aud: input.audience,
    iss: input.issuers.issuer(version, tid),
    iat: now - NOT_BEFORE_SKEW_SECONDS,
    nbf: now - NOT_BEFORE_SKEW_SECONDS,
    exp: now + input.lifetimeSeconds,
    aio: input.random.aio,
  };
  const client =
    version === '1.0'
      ? { appid: principal.appId, appidacr: ACR[input.clientAuthentication] }
      : { azp: principal.appId, azpacr: ACR[input.clientAuthentication] };
  const claims: Record<string, unknown> = {
    ...input.extraClaims,
    ...common,
    ...client,
    idp: input.issuers.identityProvider(tid),
    idtyp: 'app',
    oid: principal.objectId,
    rh: input.random.rh,
    // For app-only tokens the subject is the service principal itself.
    sub: principal.objectId,
    tid,
    uti: input.random.uti,
    ver: version,
  };
  return claims;
}
