/**
 * The Microsoft.ContainerRegistry provider, as far as AKS needs it: registries (`az acr create`, the
 * scope of `az aks update --attach-acr`'s AcrPull assignment for the kubelet identity) and the global
 * name check `az acr create` makes first. No registry data plane (image pulls): the AcrPull grant is
 * visible through RBAC (the access-check API), not through a pull.
 */
import { DomainError } from '../../core/errors.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { defineRoute } from '../../http/arm/route.js';
import type { TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import type { ResourceRecord } from '../../core/model.js';
import type { JsonObject } from '../../core/resources/tracked/json-paths.js';
import { regional, type ProviderDeclaration } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';

/** ContainerRegistry RP versions; az 2.45 sends 2022-02-01-preview (shared/reference/aks-wire.md §1.1). */
export const ACR_API_VERSIONS = ['2025-04-01', '2023-07-01', '2023-01-01-preview', '2022-12-01', '2022-02-01-preview', '2021-09-01', '2019-05-01'] as const;
export const REGISTRY_TYPE = 'Microsoft.ContainerRegistry/registries';

const NAME = /^[a-zA-Z0-9]{5,50}$/;
const SKUS = ['Basic', 'Standard', 'Premium', 'Classic'];

function assertRegistryName(name: string): void {
  if (!NAME.test(name)) {
    throw new DomainError('InvalidParameter', `The registry name '${name}' is invalid: it must be 5 to 50 alphanumeric characters.`, {
      target: 'registryName',
    });
  }
}

export const REGISTRY_SPEC: TrackedTypeSpec = {
  namespace: 'Microsoft.ContainerRegistry',
  type: 'registries',
  label: 'container registry',
  shape: 'tracked',
  assertName: assertRegistryName,
  sku: 'required',
  properties: {
    readOnly: ['provisioningState', 'loginServer', 'creationDate', 'status'],
    write: (properties, { existing, target, now }) => ({
      adminUserEnabled: false,
      publicNetworkAccess: 'Enabled',
      anonymousPullEnabled: false,
      ...properties,
      loginServer: `${target.name.toLowerCase()}.azurecr.io`,
      creationDate: existing?.properties['creationDate'] ?? now,
    }),
  },
  hooks: {
    async onCreate({ tx, resource }) {
      // Registry names are global (they are DNS names): one per name across subscriptions.
      const sku = (resource.sku ?? {}) as JsonObject;
      if (!SKUS.includes(String(sku['name'])))
        throw new DomainError('InvalidParameter', `The sku '${String(sku['name'])}' is not valid. Allowed values: ${SKUS.join(', ')}.`, { target: 'sku.name' });
      const others = (await tx.resources.findByTypeAndName(REGISTRY_TYPE, resource.name)).filter((r) => r.id.toLowerCase() !== resource.id.toLowerCase());
      if (others.length > 0) throw new DomainError('Conflict', `The registry ${resource.name} is already in use.`);
      return { ...resource, sku: { name: sku['name'], tier: sku['name'] } };
    },
  },
};

function toRegistryWire(resource: ResourceRecord, ctx: { provisioningState?: string }): JsonObject {
  return {
    id: resource.id,
    name: resource.name,
    type: REGISTRY_TYPE,
    location: resource.location,
    tags: resource.tags,
    sku: resource.sku,
    properties: { ...resource.properties, provisioningState: ctx.provisioningState ?? resource.provisioningState },
  };
}

export function containerRegistryProvider(deps: ProviderDeps): ProviderDeclaration {
  return trackedProvider(deps, {
    namespace: 'Microsoft.ContainerRegistry',
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [regional('registries', ACR_API_VERSIONS)],
    tracked: [
      {
        spec: REGISTRY_SPEC,
        apiVersions: ACR_API_VERSIONS,
        params: { name: 'registryName' },
        operationIds: {
          createOrUpdate: 'Registries_Create',
          update: 'Registries_Update',
          get: 'Registries_Get',
          delete: 'Registries_Delete',
          list: 'Registries_ListByResourceGroup',
          listBySubscription: 'Registries_List',
        },
        write: 'async-operation',
        delete: 'accepted',
        render: toRegistryWire,
      },
    ],
    routes: [
      defineRoute<{ name?: string; type?: string }>({
        method: 'POST',
        path: '/subscriptions/{subscriptionId}/providers/Microsoft.ContainerRegistry/checkNameAvailability',
        operationId: 'Registries_CheckNameAvailability',
        action: 'Microsoft.ContainerRegistry/checkNameAvailability/read',
        apiVersions: ACR_API_VERSIONS,
        body: bodySchema<{ name?: string; type?: string }>({ name: 'string?', type: 'string?' }),
        handler: async (ctx) => {
          const name = ctx.body?.name ?? '';
          if (!NAME.test(name))
            return { status: 200, body: { nameAvailable: false, reason: 'Invalid', message: 'The registry name must be 5 to 50 alphanumeric characters.' } };
          const taken = (await deps.store.resources.findByTypeAndName(REGISTRY_TYPE, name)).length > 0;
          return {
            status: 200,
            body: taken ? { nameAvailable: false, reason: 'AlreadyExists', message: `The registry ${name} is already in use.` } : { nameAvailable: true },
          };
        },
      }),
    ],
    operations: {
      provider: 'Microsoft Container Registry',
      display: {},
      extraActions: ['Microsoft.ContainerRegistry/registries/pull/read', 'Microsoft.ContainerRegistry/registries/push/write'],
    },
  });
}
