/**
 * Read access to a tenant's directory, as Microsoft Graph serves it to clients such as az: look up
 * service principals by object id (`directoryObjects/getByIds`), by application id
 * (`servicePrincipals?$filter=appId eq '…'`) or by service principal name
 * (`servicePrincipals?$filter=servicePrincipalNames/any(c:c eq '…')`). Every lookup is confined to
 * one tenant: a principal of another tenant is simply not found, as in Entra.
 */
import { isGuid } from '../ids.js';
import type { ServicePrincipal } from '../model.js';
import type { PrincipalRepository } from '../ports.js';

/** Graph's limit on `getByIds`: at most 1000 ids per call. */
export const MAX_IDS_PER_CALL = 1000;

export interface DirectoryReader {
  /** The principals of `tenantId` among `ids` (unknown or malformed ids are skipped), in the order asked, without repeats. */
  getByIds(tenantId: string, ids: readonly string[]): Promise<ServicePrincipal[]>;
  getByObjectId(tenantId: string, objectId: string): Promise<ServicePrincipal | undefined>;
  getByAppId(tenantId: string, appId: string): Promise<ServicePrincipal | undefined>;
  /**
   * The principal one of whose service principal names is `name`: its application id, or for a
   * managed identity the ARM id of the resource behind it (see {@link servicePrincipalNames}).
   */
  getByServicePrincipalName(tenantId: string, name: string): Promise<ServicePrincipal | undefined>;
}

/**
 * The names Keyless gives a principal in Graph's `servicePrincipalNames`: the application id first
 * (az prints `servicePrincipalNames[0]` as a service principal's `principalName`), then, for a
 * managed identity, the ARM id of its resource.
 */
export function servicePrincipalNames(principal: ServicePrincipal): string[] {
  return principal.resourceId ? [principal.appId, principal.resourceId] : [principal.appId];
}

export function createDirectoryReader(principals: Pick<PrincipalRepository, 'getByObjectId' | 'getByAppId' | 'getByResourceId'>): DirectoryReader {
  const getByObjectId = (tenantId: string, objectId: string) => (isGuid(objectId) ? principals.getByObjectId(tenantId, objectId) : Promise.resolve(undefined));
  const getByAppId = (tenantId: string, appId: string) => (isGuid(appId) ? principals.getByAppId(tenantId, appId) : Promise.resolve(undefined));
  return {
    getByObjectId,
    getByAppId,
    async getByIds(tenantId, ids) {
      const unique = [...new Map(ids.map((id) => [id.toLowerCase(), id])).values()];
      const found = await Promise.all(unique.map((id) => getByObjectId(tenantId, id)));
      return found.filter((p): p is ServicePrincipal => p !== undefined);
    },
    async getByServicePrincipalName(tenantId, name) {
      if (isGuid(name)) return getByAppId(tenantId, name);
      if (!name.startsWith('/')) return undefined;
      const principal = await principals.getByResourceId(name);
      return principal?.tenantId.toLowerCase() === tenantId.toLowerCase() ? principal : undefined;
    },
  };
}
