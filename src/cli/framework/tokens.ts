/**
 * Access tokens for the signed-in principal: client credentials against the server's token
 * authority (`/{tenant}/oauth2/v2.0/token`, `scope={resource}/.default`), cached in the config dir
 * per audience and refreshed five minutes before expiry, as MSAL does for az.
 */
import { CliError, ServiceError } from './errors.js';
import { loadTokenCache, saveTokenCache, type CachedToken, type Profile } from './profile.js';
import { send } from './transport.js';

/** ARM's audience: what az asks for by default. */
export const ARM_RESOURCE = 'https://management.azure.com/';
const REFRESH_MARGIN_S = 300;

/** The `.default` scope of a resource (`https://x/` → `https://x/.default`). */
function scopeOf(resource: string): string {
  return `${resource.replace(/\/+$/, '')}/.default`;
}

/** Asks the token authority for a token; the request and answer never reach `--debug` output. */
export async function requestToken(server: Profile['server'], credential: Profile['credential'], resource: string): Promise<CachedToken> {
  const url = new URL(`/${encodeURIComponent(credential.tenantId)}/oauth2/v2.0/token`, server.authorityHost);
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: credential.clientId,
    client_secret: credential.clientSecret,
    scope: scopeOf(resource),
  }).toString();
  const res = await send({ method: 'POST', url, body, secret: true, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const answer = res.json as { access_token?: string; expires_in?: number; token_type?: string; error?: string; error_description?: string } | undefined;
  if (res.status !== 200 || !answer?.access_token) {
    if (answer?.error) {
      // az shows MSAL's error: the AADSTS description of the authority.
      throw new ServiceError(answer.error, answer.error_description ?? answer.error, res.status);
    }
    throw new CliError(`The token authority at ${url.origin} answered HTTP ${res.status}.`);
  }
  return {
    accessToken: answer.access_token,
    expiresOn: Math.floor(Date.now() / 1000) + Number(answer.expires_in ?? 3599),
    tokenType: answer.token_type ?? 'Bearer',
  };
}

/** A token for `resource` from the cache, or a new one (then cached). */
export async function getToken(profile: Profile, resource = ARM_RESOURCE): Promise<CachedToken> {
  const key = `${profile.server.authorityHost}|${profile.credential.tenantId}|${profile.credential.clientId}|${scopeOf(resource)}`;
  const cache = await loadTokenCache();
  const hit = cache[key];
  if (hit && hit.expiresOn - REFRESH_MARGIN_S > Date.now() / 1000) return hit;
  const fresh = await requestToken(profile.server, profile.credential, resource);
  // Drop expired entries while writing.
  const now = Date.now() / 1000;
  for (const [k, v] of Object.entries(cache)) if (v.expiresOn < now) delete cache[k];
  cache[key] = fresh;
  await saveTokenCache(cache);
  return fresh;
}
