/**
 * The Microsoft.KeyVault provider: vaults (create/update/get/list/delete, synchronous as Azure
 * answers them), `vaults/accessPolicies/{add|replace|remove}`, `checkNameAvailability`, and
 * `vaultUri` naming the vault's host-style origin on Keyless (docs/adr/0011-data-planes.md).
 */
import { DomainError } from '../../core/errors.js';
import type { VaultAccessPolicy } from '../../core/dataplanes/directory.js';
import type { ResourceRecord } from '../../core/model.js';
import type { JsonObject } from '../../core/resources/tracked/json-paths.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { defineRoute } from '../../http/arm/route.js';
import { renderTrackedResource } from '../../http/arm/tracked-routes.js';
import type { ProviderDeclaration } from '../kit/declaration.js';
import { regional } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';
import { checkAccessPolicies, VAULT_SPEC, VAULT_TYPE, vaultNameProblem } from './vaults.js';

/** api-versions of vaults (specification/keyvault/resource-manager Microsoft.KeyVault): az 2.45 sends 2022-07-01, `@azure/arm-keyvault` 5.0 sends 2026-02-01. */
export const KEYVAULT_API_VERSIONS = [
  '2026-02-01',
  '2025-05-01',
  '2024-12-01-preview',
  '2024-11-01',
  '2024-04-01-preview',
  '2023-07-01',
  '2023-02-01',
  '2022-11-01',
  '2022-07-01',
  '2022-02-01-preview',
  '2021-10-01',
  '2021-06-01-preview',
  '2021-04-01-preview',
  '2019-09-01',
  '2018-02-14',
] as const;

const NS = 'Microsoft.KeyVault';
const VAULT = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${NS}/vaults/{vaultName}`;

const samePrincipal = (a: VaultAccessPolicy, b: VaultAccessPolicy) =>
  a.tenantId.toLowerCase() === b.tenantId.toLowerCase() &&
  a.objectId.toLowerCase() === b.objectId.toLowerCase() &&
  (a.applicationId ?? '').toLowerCase() === (b.applicationId ?? '').toLowerCase();

type Lists = VaultAccessPolicy['permissions'];
const KINDS = ['keys', 'secrets', 'certificates', 'storage'] as const;

/** Azure's `accessPolicies/{add|replace|remove}`: merge, set or subtract the permissions of each principal. */
export function applyAccessPolicyChange(current: VaultAccessPolicy[], change: VaultAccessPolicy[], kind: 'add' | 'replace' | 'remove'): VaultAccessPolicy[] {
  const out = current.map((p) => ({ ...p, permissions: { ...p.permissions } }));
  for (const entry of change) {
    const found = out.find((p) => samePrincipal(p, entry));
    if (kind === 'replace' || (kind === 'add' && !found)) {
      if (found) found.permissions = entry.permissions;
      else out.push(entry);
      continue;
    }
    if (!found) continue;
    for (const k of KINDS) {
      const have = new Set((found.permissions[k] ?? []).map((x) => x.toLowerCase()));
      for (const x of entry.permissions[k] ?? []) {
        if (kind === 'add') have.add(x.toLowerCase());
        else have.delete(x.toLowerCase());
      }
      (found.permissions as Lists)[k] = [...have];
    }
  }
  return out.filter((p) => KINDS.some((k) => (p.permissions[k] ?? []).length > 0) || kind !== 'remove');
}

export function keyVaultProvider(deps: ProviderDeps): ProviderDeclaration {
  const render = (resource: ResourceRecord, ctx: Parameters<typeof renderTrackedResource>[2]) => {
    const body = renderTrackedResource({ spec: VAULT_SPEC }, resource, ctx) as { properties: Record<string, unknown> };
    const a = deps.dataPlanes?.addressing;
    if (a) body.properties['vaultUri'] = a.vaultUri(resource.name);
    return body;
  };
  const declaration = trackedProvider(deps, {
    namespace: NS,
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [regional('vaults', KEYVAULT_API_VERSIONS)],
    tracked: [
      {
        spec: VAULT_SPEC,
        apiVersions: KEYVAULT_API_VERSIONS,
        params: { name: 'vaultName' },
        operationIds: {
          createOrUpdate: 'Vaults_CreateOrUpdate',
          update: 'Vaults_Update',
          get: 'Vaults_Get',
          delete: 'Vaults_Delete',
          list: 'Vaults_ListByResourceGroup',
          listBySubscription: 'Vaults_ListBySubscription',
        },
        write: 'sync',
        delete: 'sync',
        render,
      },
    ],
    openActions: [`${NS}/checkNameAvailability/read`],
    routes: [
      defineRoute<{ properties: { accessPolicies: unknown[] } }>({
        method: 'PUT',
        path: `${VAULT}/accessPolicies/{operationKind}`,
        operationId: 'Vaults_UpdateAccessPolicy',
        action: `${NS}/vaults/accessPolicies/write`,
        apiVersions: KEYVAULT_API_VERSIONS,
        body: bodySchema<{ properties: { accessPolicies: unknown[] } }>({ properties: { accessPolicies: 'array!' } }),
        handler: async (ctx) => {
          const kind = ctx.params['operationKind']!.toLowerCase();
          if (kind !== 'add' && kind !== 'replace' && kind !== 'remove')
            throw new DomainError('InvalidParameter', `The operation kind '${ctx.params['operationKind']}' is not valid: use add, replace or remove.`, {
              target: 'operationKind',
            });
          const service = declaration.services.get(VAULT_TYPE.toLowerCase())!;
          const target = {
            subscriptionId: ctx.subscription!.id,
            tenantId: ctx.subscription!.tenantId,
            resourceGroup: ctx.params['resourceGroupName']!,
            name: ctx.params['vaultName']!,
          };
          const vault = await service.get(target);
          const change = checkAccessPolicies(ctx.body.properties.accessPolicies, 'properties.accessPolicies');
          const next = applyAccessPolicyChange(checkAccessPolicies(vault.properties['accessPolicies']), change, kind);
          const written = await service.update(target, { properties: { accessPolicies: next as unknown as JsonObject[] } }, { caller: ctx.caller });
          return {
            status: 200,
            body: {
              id: `${written.resource.id}/accessPolicies/${kind}`,
              type: `${VAULT_TYPE}/accessPolicies`,
              name: kind,
              location: written.resource.location,
              properties: { accessPolicies: written.resource.properties['accessPolicies'] },
            },
          };
        },
      }),
      defineRoute<{ name: string; type?: string }>({
        method: 'POST',
        path: `/subscriptions/{subscriptionId}/providers/${NS}/checkNameAvailability`,
        operationId: 'Vaults_CheckNameAvailability',
        action: `${NS}/checkNameAvailability/read`,
        apiVersions: KEYVAULT_API_VERSIONS,
        body: bodySchema<{ name: string; type?: string }>({ name: 'string!' }),
        handler: async (ctx) => {
          const problem = vaultNameProblem(ctx.body.name);
          if (problem) return { status: 200, body: { nameAvailable: false, reason: 'AccountNameInvalid', message: problem } };
          const taken = await deps.store.resources.findByTypeAndName(VAULT_TYPE, ctx.body.name);
          if (taken.length > 0)
            return { status: 200, body: { nameAvailable: false, reason: 'AlreadyExists', message: `The vault name '${ctx.body.name}' is already in use.` } };
          return { status: 200, body: { nameAvailable: true } };
        },
      }),
    ],
  });
  return declaration;
}
