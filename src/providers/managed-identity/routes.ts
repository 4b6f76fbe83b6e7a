/**
 * Microsoft.ManagedIdentity's one hand-written route (ManagedIdentity.json 2024-11-30): the
 * system-assigned identity of any resource by scope. User-assigned identities' routes come from the kit.
 */
import { findSystemAssignedIdentity } from '../../core/identities/user-assigned-identities.js';
import type { Repositories } from '../../core/ports.js';
import { defineRoute, type ArmRoute } from '../../http/arm/route.js';
import { MSI_API_VERSIONS } from './api-versions.js';
import { toSystemAssignedIdentityWire } from './wire.js';

export function systemAssignedIdentityRoute(repos: Pick<Repositories, 'subscriptions' | 'resources' | 'principals'>): ArmRoute {
  return defineRoute({
    method: 'GET',
    path: '/{*scope}/providers/Microsoft.ManagedIdentity/identities/default',
    operationId: 'SystemAssignedIdentities_GetByScope',
    action: 'Microsoft.ManagedIdentity/identities/read',
    apiVersions: MSI_API_VERSIONS,
    handler: async (ctx) => {
      const scope = ctx.params['scope']!;
      return { status: 200, body: toSystemAssignedIdentityWire(await findSystemAssignedIdentity(repos, scope, ctx.caller.tenantId), scope) };
    },
  });
}
