/**
 * The Microsoft.Storage provider: storage accounts (long-running create: 202 + `Location`, as
 * Azure answers it), `listKeys` / `regenerateKey`, `checkNameAvailability`, and `primaryEndpoints`
 * naming Keyless's own Blob and Data Lake data plane (docs/adr/0011-data-planes.md).
 */
import { DomainError } from '../../core/errors.js';
import { createStorageAccountKeys } from '../../core/dataplanes/storage-keys.js';
import type { ResourceRecord } from '../../core/model.js';
import { createOperationService } from '../../core/resources/operation-service.js';
import { defineRoute } from '../../http/arm/route.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { renderTrackedResource } from '../../http/arm/tracked-routes.js';
import type { ProviderDeclaration } from '../kit/declaration.js';
import { regional } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';
import { accountNameProblem, STORAGE_ACCOUNT_TYPE, storageAccountSpec } from './storage-accounts.js';

/**
 * api-versions of storage accounts (azure-rest-api-specs specification/storage/resource-manager
 * Microsoft.Storage stable): `@azure/arm-storage` 20.0 sends 2025-08-01, az 2.45 sends 2022-09-01.
 */
export const STORAGE_API_VERSIONS = [
  '2025-08-01',
  '2025-06-01',
  '2025-01-01',
  '2024-01-01',
  '2023-05-01',
  '2023-04-01',
  '2023-01-01',
  '2022-09-01',
  '2022-05-01',
  '2021-09-01',
  '2021-08-01',
  '2021-06-01',
  '2021-04-01',
  '2021-02-01',
  '2021-01-01',
  '2019-06-01',
] as const;

const NS = 'Microsoft.Storage';
const ACCOUNT = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${NS}/storageAccounts/{accountName}`;

export function storageProvider(deps: ProviderDeps): ProviderDeclaration {
  const spec = storageAccountSpec({ ...(deps.dataPlanes ? { dataPlanes: deps.dataPlanes } : {}), clock: deps.clock });
  const keysOf = () => {
    if (!deps.dataPlanes) throw new DomainError('InvalidParameter', 'Storage account keys are not available on this server (no data planes).');
    return createStorageAccountKeys({ keys: deps.store.storageAccountKeys, sealing: deps.dataPlanes.sealing, clock: deps.clock });
  };
  const render = (resource: ResourceRecord, ctx: Parameters<typeof renderTrackedResource>[2]) => {
    const body = renderTrackedResource({ spec }, resource, ctx) as { properties: Record<string, unknown> };
    const a = deps.dataPlanes?.addressing;
    if (a) body.properties['primaryEndpoints'] = { blob: a.storageEndpoint(resource.name, 'blob'), dfs: a.storageEndpoint(resource.name, 'dfs') };
    return body;
  };
  const declaration = trackedProvider(deps, {
    namespace: NS,
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [regional('storageAccounts', STORAGE_API_VERSIONS)],
    tracked: [
      {
        spec,
        apiVersions: STORAGE_API_VERSIONS,
        params: { name: 'accountName' },
        operationIds: {
          createOrUpdate: 'StorageAccounts_Create',
          update: 'StorageAccounts_Update',
          get: 'StorageAccounts_GetProperties',
          delete: 'StorageAccounts_Delete',
          list: 'StorageAccounts_ListByResourceGroup',
          listBySubscription: 'StorageAccounts_List',
        },
        // Azure answers a create with 202 and `Location`; a delete is synchronous (200, 204 when absent).
        write: 'accepted',
        delete: 'sync',
        render,
      },
    ],
    // The name check and the create's status URL (an unguessable id) are open to every caller, as in Azure.
    openActions: [`${NS}/checknameavailability/read`, `${NS}/locations/asyncoperations/read`],
    routes: [
      defineRoute({
        method: 'POST',
        path: `${ACCOUNT}/listKeys`,
        operationId: 'StorageAccounts_ListKeys',
        action: `${NS}/storageAccounts/listkeys/action`,
        apiVersions: STORAGE_API_VERSIONS,
        handler: async (ctx) => {
          const service = declaration.services.get(STORAGE_ACCOUNT_TYPE.toLowerCase())!;
          const account = await service.get({
            subscriptionId: ctx.subscription!.id,
            tenantId: ctx.subscription!.tenantId,
            resourceGroup: ctx.params['resourceGroupName']!,
            name: ctx.params['accountName']!,
          });
          return { status: 200, body: { keys: await keysOf().list(account.name) } };
        },
      }),
      defineRoute<{ keyName: string }>({
        method: 'POST',
        path: `${ACCOUNT}/regenerateKey`,
        operationId: 'StorageAccounts_RegenerateKey',
        action: `${NS}/storageAccounts/regeneratekey/action`,
        apiVersions: STORAGE_API_VERSIONS,
        body: bodySchema<{ keyName: string }>({ keyName: 'string!' }),
        handler: async (ctx) => {
          const service = declaration.services.get(STORAGE_ACCOUNT_TYPE.toLowerCase())!;
          const account = await service.get({
            subscriptionId: ctx.subscription!.id,
            tenantId: ctx.subscription!.tenantId,
            resourceGroup: ctx.params['resourceGroupName']!,
            name: ctx.params['accountName']!,
          });
          const keyName = ctx.body.keyName.toLowerCase();
          if (keyName !== 'key1' && keyName !== 'key2')
            throw new DomainError('InvalidParameter', `The key name '${ctx.body.keyName}' is not valid: use key1 or key2.`, { target: 'keyName' });
          return { status: 200, body: { keys: await keysOf().regenerate(account.name, keyName) } };
        },
      }),
      defineRoute<{ name: string; type?: string }>({
        method: 'POST',
        path: `/subscriptions/{subscriptionId}/providers/${NS}/checkNameAvailability`,
        operationId: 'StorageAccounts_CheckNameAvailability',
        action: `${NS}/checknameavailability/read`,
        apiVersions: STORAGE_API_VERSIONS,
        body: bodySchema<{ name: string; type?: string }>({ name: 'string!' }),
        handler: async (ctx) => {
          const problem = accountNameProblem(ctx.body.name);
          if (problem) return { status: 200, body: { nameAvailable: false, reason: 'AccountNameInvalid', message: problem } };
          const taken = await deps.store.resources.findByTypeAndName(STORAGE_ACCOUNT_TYPE, ctx.body.name);
          if (taken.length > 0)
            return {
              status: 200,
              body: { nameAvailable: false, reason: 'AlreadyExists', message: `The storage account named ${ctx.body.name} is already taken.` },
            };
          return { status: 200, body: { nameAvailable: true } };
        },
      }),
    ],
  });
  // Azure's storage create answers 202 with a `Location` of its own that, once done, returns the
  // account (the SDKs' `final-state-via: location`): point Location there instead of the generic
  // operation result, which has no body.
  const ASYNC = `/subscriptions/{subscriptionId}/providers/${NS}/locations/{location}/asyncoperations/{operationId}`;
  declaration.routes = declaration.routes.map((route) =>
    route.method === 'PUT' && route.operationId === 'StorageAccounts_Create'
      ? {
          ...route,
          handler: async (ctx: Parameters<typeof route.handler>[0]) => {
            const answer = await route.handler(ctx);
            const location = answer.headers?.['location'];
            const id = location && /\/operationresults\/([^/?]+)/.exec(location)?.[1];
            if (answer.status !== 202 || !id) return answer;
            const region = String((ctx.body as { location?: unknown } | undefined)?.location ?? 'global')
              .toLowerCase()
              .replace(/\s+/g, '');
            return {
              ...answer,
              headers: {
                ...answer.headers,
                location: `${ctx.baseUrl}/subscriptions/${ctx.subscription!.id}/providers/${NS}/locations/${region}/asyncoperations/${id}?monitor=true&api-version=${encodeURIComponent(ctx.apiVersion)}`,
              },
            };
          },
        }
      : route,
  );
  // An update is synchronous in Azure (StorageAccounts_Update: 200 with the account), unlike the create.
  declaration.routes = declaration.routes.map((route) =>
    route.method === 'PATCH' && route.operationId === 'StorageAccounts_Update'
      ? {
          ...route,
          handler: async (ctx: Parameters<typeof route.handler>[0]) => {
            const answer = await route.handler(ctx);
            if (answer.status !== 202) return answer;
            const account = await deps.store.resources.get(ctx.path);
            if (!account) throw new DomainError('ResourceNotFound', `The Resource '${ctx.path}' was not found.`);
            return { status: 200, body: render(account, { apiVersion: ctx.apiVersion, path: ctx.path }), headers: { etag: `"${account.etag}"` } };
          },
        }
      : route,
  );
  declaration.routes.push(
    defineRoute({
      method: 'GET',
      path: ASYNC,
      operationId: 'StorageAccounts_AsyncOperation',
      action: `${NS}/locations/asyncoperations/read`,
      apiVersions: 'any',
      handler: async (ctx) => {
        const operation = await createOperationService({ operations: deps.store.operations, clock: deps.clock, ids: deps.ids }).get(
          ctx.subscription!.id,
          ctx.params['operationId']!,
        );
        if (operation.status === 'InProgress')
          return {
            status: 202,
            headers: { location: `${ctx.baseUrl}${ctx.path}?monitor=true&api-version=${encodeURIComponent(ctx.apiVersion)}`, 'retry-after': '1' },
          };
        if (operation.status !== 'Succeeded')
          return { status: 409, body: { error: operation.error ?? { code: 'OperationFailed', message: 'The storage account operation failed.' } } };
        const account = await deps.store.resources.get(operation.resourceId);
        if (!account) throw new DomainError('ResourceNotFound', `The Resource '${operation.resourceId}' was not found.`);
        return { status: 200, body: render(account, { apiVersion: ctx.apiVersion }) };
      },
    }),
  );
  return declaration;
}
