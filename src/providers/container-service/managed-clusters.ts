/**
 * Managed clusters (Microsoft.ContainerService/managedClusters) as a tracked type of the provider kit:
 * the identity rules of AKS (`SystemAssigned` by default, or exactly one `UserAssigned`; never both),
 * the kubelet identity named inside `properties.identityProfile`, the properties writer
 * (cluster-properties/write-cluster-properties.ts) and the RP's side effects (cluster-hooks.ts).
 */
import type { IdentityRules } from '../../core/identities/identity-plan.js';
import { USER_ASSIGNED_IDENTITY_SPEC } from '../../core/identities/user-assigned-identities.js';
import type { TrackedInput, TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import { createTrackedResourceService } from '../../core/resources/tracked/tracked-resource-service.js';
import type { ProviderDeps } from '../kit/tracked-provider.js';
import { managedClusterHooks } from './cluster-hooks.js';
import { assertClusterName } from './cluster-properties/names.js';
import { writeClusterProperties } from './cluster-properties/write-cluster-properties.js';
import { withOidcIssuer, withOidcIssuerKeys } from './oidc-issuer.js';

/** AKS's `identity.type` enum is SystemAssigned | UserAssigned | None; one user-assigned identity at most. */
export const MANAGED_CLUSTER_IDENTITY_RULES: IdentityRules = {
  allowSystemAssigned: true,
  allowUserAssigned: true,
  maxUserAssigned: 1,
  exclusive: true,
  typeSpelling: 'compact',
};

/**
 * The body before the kit reads it. A new cluster without `identity` and without a service principal
 * gets a system-assigned identity (AKS's default); an existing cluster keeps its identity when a PUT
 * leaves `identity` out (as AKS does for absent sub-profiles).
 */
function prepareClusterInput(input: TrackedInput, { existing }: { existing: { identity: Record<string, unknown> | null } | undefined }): TrackedInput {
  if (input.identity !== undefined && input.identity !== null) return input;
  if (existing) {
    if (!existing.identity) return input;
    const held = existing.identity as { systemAssigned?: boolean; userAssignedIdentities?: Record<string, unknown> };
    const userAssigned = Object.keys(held.userAssignedIdentities ?? {});
    return {
      ...input,
      identity: held.systemAssigned
        ? { type: 'SystemAssigned' }
        : { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(userAssigned.map((id) => [id, {}])) },
    };
  }
  const sp = input.properties?.['servicePrincipalProfile'] as { clientId?: unknown } | undefined;
  const hasServicePrincipal = typeof sp?.clientId === 'string' && sp.clientId !== '' && sp.clientId !== 'msi';
  return hasServicePrincipal ? input : { ...input, identity: { type: 'SystemAssigned' } };
}

export function managedClusterSpec(deps: ProviderDeps): TrackedTypeSpec {
  const identities = createTrackedResourceService(USER_ASSIGNED_IDENTITY_SPEC, deps);
  return {
    namespace: 'Microsoft.ContainerService',
    type: 'managedClusters',
    label: 'managed cluster',
    shape: 'tracked',
    assertName: assertClusterName,
    sku: 'optional',
    kind: 'optional',
    identity: {
      rules: MANAGED_CLUSTER_IDENTITY_RULES,
      // A pre-created kubelet identity: it must exist in the tenant and the caller must hold assign/action on it.
      references: [{ path: 'identityProfile.kubeletidentity.resourceId' }],
    },
    prepare: prepareClusterInput,
    properties: {
      readOnly: [
        'provisioningState',
        'powerState',
        'maxAgentPools',
        'fqdn',
        'privateFQDN',
        'azurePortalFQDN',
        'currentKubernetesVersion',
        'resourceUID',
        'oidcIssuerProfile.issuerURL',
      ],
      writeOnly: ['servicePrincipalProfile.secret'],
      // Issue 14: the OIDC issuer (oidc-issuer.ts), when the server hosts issuers.
      write: deps.oidcIssuers ? withOidcIssuer(writeClusterProperties, deps.oidcIssuers) : writeClusterProperties,
    },
    hooks: deps.oidcIssuers
      ? withOidcIssuerKeys(managedClusterHooks({ identities, ...(deps.rbac ? { rbac: deps.rbac } : {}) }), deps.oidcIssuers)
      : managedClusterHooks({ identities, ...(deps.rbac ? { rbac: deps.rbac } : {}) }),
  };
}
