/**
 * The `{tenant}` segment of an authority URL: the tenant id, one of the tenant's domains, or a
 * multi-tenant alias (`common`, `organizations`, `consumers`) that Entra accepts for discovery but
 * not for app-only tokens.
 */
import { isGuid } from '../ids.js';
import type { Tenant } from '../model.js';
import type { TenantRepository } from '../ports.js';
import { oauthErrors } from './oauth-error.js';

export type MultiTenantAlias = 'common' | 'organizations' | 'consumers';

export type TenantResolution = { kind: 'tenant'; tenant: Tenant } | { kind: 'alias'; alias: MultiTenantAlias };

const ALIASES: readonly string[] = ['common', 'organizations', 'consumers'];
/** A DNS name: labels of letters, digits and hyphens, at least two of them. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Resolves a tenant segment.
 * @throws OAuthError AADSTS900023 (neither a GUID nor a domain), AADSTS90002 (no such tenant).
 */
export async function resolveTenant(tenants: Pick<TenantRepository, 'get' | 'list'>, segment: string): Promise<TenantResolution> {
  const lower = segment.toLowerCase();
  if (ALIASES.includes(lower)) return { kind: 'alias', alias: lower as MultiTenantAlias };
  let tenant: Tenant | undefined;
  if (isGuid(segment)) tenant = await tenants.get(segment);
  else if (DOMAIN.test(segment)) tenant = (await tenants.list()).find((t) => t.defaultDomain.toLowerCase() === lower);
  else throw oauthErrors.invalidTenantIdentifier(segment);
  if (!tenant) throw oauthErrors.tenantNotFound(segment);
  return { kind: 'tenant', tenant };
}

/** Like {@link resolveTenant}, for endpoints that need one tenant (the token endpoints). */
export async function resolveSingleTenant(tenants: Pick<TenantRepository, 'get' | 'list'>, segment: string): Promise<Tenant> {
  const resolved = await resolveTenant(tenants, segment);
  if (resolved.kind === 'alias') throw oauthErrors.tenantRequired(segment);
  return resolved.tenant;
}
