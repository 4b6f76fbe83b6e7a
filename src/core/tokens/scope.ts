/**
 * What a client-credentials request asks for. The v2 endpoint takes `scope=<resource>/.default`
 * (exactly one resource: app-only tokens carry every permission the app holds on it); the v1
 * endpoint takes `resource=<resource>`. A resource is an application ID URI
 * (`https://management.azure.com/`, `api://…`) or an application (client) id GUID.
 */
import { isGuid } from '../ids.js';
import { oauthErrors } from './oauth-error.js';

/** Scopes MSAL may add to any request; Entra ignores them for app-only tokens. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const DEFAULT_SUFFIX = '/.default';

/**
 * The resource of a v2 `scope` parameter. `https://management.azure.com/.default` asks for
 * `https://management.azure.com` and `https://management.azure.com//.default` for
 * `https://management.azure.com/`: the resource is the scope without its `/.default` suffix.
 * @throws OAuthError AADSTS900144 (missing), AADSTS1002012 (no `/.default`), AADSTS70011 (several or malformed).
 */
export function parseScope(scope: string | undefined): string {
  if (scope === undefined || scope.trim() === '') throw oauthErrors.missingParameter('scope');
  const requested = scope
    .trim()
    .split(/\s+/)
    .filter((s) => !OIDC_SCOPES.has(s.toLowerCase()));
  if (requested.length === 0) throw oauthErrors.scopeWithoutDefault(scope.trim());
  if (requested.length > 1)
    throw oauthErrors.invalidScope(requested.join(' '), 'a client credentials request names exactly one resource, as <resource>/.default');
  const only = requested[0]!;
  if (!only.toLowerCase().endsWith(DEFAULT_SUFFIX)) throw oauthErrors.scopeWithoutDefault(only);
  const resource = only.slice(0, -DEFAULT_SUFFIX.length);
  if (!isResourceIdentifier(resource))
    throw oauthErrors.invalidScope(only, 'the part before /.default must be an application ID URI or an application (client) id');
  return resource;
}

/**
 * The resource of a v1 `resource` parameter, as given.
 * @throws OAuthError AADSTS900144 (missing), AADSTS500011 (not a URI or GUID).
 */
export function parseResource(resource: string | undefined, tenant: string): string {
  if (resource === undefined || resource.trim() === '') throw oauthErrors.missingParameter('resource');
  const value = resource.trim();
  if (!isResourceIdentifier(value)) throw oauthErrors.invalidResource(value, tenant);
  return value;
}

/** An application (client) id GUID, or an absolute URI without spaces (application ID URIs are URIs). */
export function isResourceIdentifier(value: string): boolean {
  if (value.length === 0 || value.length > 2048 || /\s/.test(value)) return false;
  if (isGuid(value)) return true;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
