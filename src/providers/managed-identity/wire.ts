/**
 * Microsoft.ManagedIdentity wire shapes, field for field as ManagedIdentity.json (2024-11-30) and its
 * examples write them: `Identity` (a TrackedResource with read-only `properties`) and
 * `SystemAssignedIdentity` (a ProxyResource named `default` with location and tags).
 */
import { USER_ASSIGNED_IDENTITY_TYPE } from '../../core/identities/identity-names.js';
import { userAssignedIdentityProperties, type SystemAssignedIdentityView } from '../../core/identities/user-assigned-identities.js';
import type { ResourceRecord } from '../../core/model.js';
import type { RenderContext } from '../../http/arm/tracked-routes.js';
import { supportsIsolationScope } from './api-versions.js';

export interface UserAssignedIdentityWire {
  id: string;
  name: string;
  type: typeof USER_ASSIGNED_IDENTITY_TYPE;
  location: string;
  tags: Record<string, string>;
  properties: { tenantId: string; principalId: string; clientId: string; clientSecretUrl?: string; isolationScope?: string };
}

export interface SystemAssignedIdentityWire {
  id: string;
  name: 'default';
  type: 'Microsoft.ManagedIdentity/identities';
  location: string;
  tags: Record<string, string>;
  properties: { tenantId: string; principalId: string; clientId: string };
}

/**
 * `clientSecretUrl`: in Azure, the MSI data-plane URL (`https://control-{region}.identity.azure.net/{id}/credentials?tid=…&oid=…&aid=…`)
 * that Azure's own hosts use to fetch the identity's credentials; `az identity create` prints it (seed
 * 003). Keyless hosts get tokens through the agent instead, so the URL names the identity on Keyless's
 * origin in the same shape and serves nothing there (a GET answers ARM's 404).
 */
function clientSecretUrl(baseUrl: string, resource: ResourceRecord, identity: { tenantId: string; principalId: string; clientId: string }): string {
  const query = new URLSearchParams({ tid: identity.tenantId, oid: identity.principalId, aid: identity.clientId });
  return `${baseUrl}${resource.id}/credentials?${query.toString()}`;
}

/**
 * An identity as the RP answers it. `id` is the request path for single-resource answers (Azure
 * echoes the path's case, e.g. `resourcegroups`), the stored id in lists.
 */
export function toUserAssignedIdentityWire(resource: ResourceRecord, ctx: RenderContext): UserAssignedIdentityWire {
  const identity = userAssignedIdentityProperties(resource);
  return {
    id: ctx.path ?? resource.id,
    name: resource.name,
    type: USER_ASSIGNED_IDENTITY_TYPE,
    location: resource.location,
    tags: resource.tags,
    properties: {
      tenantId: identity.tenantId,
      principalId: identity.principalId,
      clientId: identity.clientId,
      ...(ctx.baseUrl ? { clientSecretUrl: clientSecretUrl(ctx.baseUrl, resource, identity) } : {}),
      ...(supportsIsolationScope(ctx.apiVersion) ? { isolationScope: identity.isolationScope } : {}),
    },
  };
}

/**
 * `{scope}/providers/Microsoft.ManagedIdentity/identities/default`. Azure adds `clientSecretUrl`, the
 * MSI data-plane URL its own hosts use to fetch credentials; Keyless hosts get tokens through the
 * agent instead, so the (optional, read-only) field is left out.
 */
export function toSystemAssignedIdentityWire(view: SystemAssignedIdentityView, scope: string): SystemAssignedIdentityWire {
  return {
    id: `${scope}/providers/Microsoft.ManagedIdentity/identities/default`,
    name: 'default',
    type: 'Microsoft.ManagedIdentity/identities',
    location: view.resource.location,
    tags: view.resource.tags,
    properties: { tenantId: view.principal.tenantId, principalId: view.principal.objectId, clientId: view.principal.appId },
  };
}
