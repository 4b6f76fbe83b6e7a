/**
 * Issuer strings. In `keyless` mode tokens name this server (`{baseUrl}/{tid}/` for v1,
 * `{baseUrl}/{tid}/v2.0` for v2), so the issuer matches the authority clients were given. In `azure`
 * mode they carry Entra's own strings (`https://sts.windows.net/{tid}/` and
 * `https://login.microsoftonline.com/{tid}/v2.0`, azure-wire-contracts §3.1), for resource servers
 * that accept only those.
 */
export type IssuerMode = 'keyless' | 'azure';
export type TokenVersion = '1.0' | '2.0';

export interface IssuerPolicy {
  /** The `iss` of a token of `version` for tenant `tid` (also the discovery documents' `issuer`). */
  issuer(version: TokenVersion, tid: string): string;
  /** The `idp` of app-only tokens: the v1 issuer, as Entra writes it for apps of the tenant itself. */
  identityProvider(tid: string): string;
  /** Every issuer a token of tenant `tid` may carry (both versions). */
  accepted(tid: string): string[];
}

/** @param baseUrl this server's base URL without a trailing slash, e.g. `https://127.0.0.1:8443`. */
export function createIssuerPolicy(mode: IssuerMode, baseUrl: () => string): IssuerPolicy {
  const issuer = (version: TokenVersion, tid: string): string => {
    if (mode === 'azure') return version === '1.0' ? `https://sts.windows.net/${tid}/` : `https://login.microsoftonline.com/${tid}/v2.0`;
    const base = baseUrl().replace(/\/+$/, '');
    return version === '1.0' ? `${base}/${tid}/` : `${base}/${tid}/v2.0`;
  };
  return {
    issuer,
    identityProvider: (tid) => issuer('1.0', tid),
    accepted: (tid) => [issuer('1.0', tid), issuer('2.0', tid)],
  };
}
