/**
 * AKS's OIDC issuer and workload identity on a managed cluster (issue 14 item 4), added around the
 * cluster's properties writer and hooks without changing them: `oidcIssuerProfile.enabled` gives the
 * cluster an `issuerURL` served by Keyless (src/core/workload-identity/cluster-issuers.ts), kept for
 * the cluster's life; `securityProfile.workloadIdentity.enabled` needs the issuer; the issuer's
 * signing key is made in the cluster write's transaction and retired with the cluster.
 */
import { DomainError } from '../../core/errors.js';
import type { ResourceRecord } from '../../core/model.js';
import { isJsonObject, type JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { PropertiesDeclaration, TrackedHooks } from '../../core/resources/tracked/spec.js';
import type { ClusterIssuers } from '../../core/workload-identity/cluster-issuers.js';
import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Store } from '../../core/ports.js';
import { createOperationService } from '../../core/resources/operation-service.js';
import type { TrackedResourceService } from '../../core/resources/tracked/tracked-resource-service.js';
import { asyncOperationUrl, retryAfter } from '../../http/arm/long-running.js';
import { defineRoute, type ArmRoute } from '../../http/arm/route.js';

/** The issuer URL a stored cluster publishes, if any. */
export function clusterIssuerUrl(cluster: Pick<ResourceRecord, 'properties'> | undefined): string | undefined {
  const profile = cluster?.properties['oidcIssuerProfile'];
  return isJsonObject(profile) && profile['enabled'] === true && typeof profile['issuerURL'] === 'string' ? profile['issuerURL'] : undefined;
}

/** The writer, then: the issuer URL (new, or the cluster's own for ever), and workload identity ⇒ issuer. */
export function withOidcIssuer(
  write: NonNullable<PropertiesDeclaration['write']>,
  issuers: Pick<ClusterIssuers, 'newIssuerUrl'>,
): NonNullable<PropertiesDeclaration['write']> {
  return (properties, ctx) => {
    const p = write(properties, ctx);
    const oidc = isJsonObject(p['oidcIssuerProfile']) ? p['oidcIssuerProfile'] : {};
    if (oidc['enabled'] === true) {
      p['oidcIssuerProfile'] = { ...oidc, issuerURL: clusterIssuerUrl(ctx.existing) ?? issuers.newIssuerUrl(ctx.target.tenantId) };
    } else {
      p['oidcIssuerProfile'] = { enabled: false };
    }
    const security = isJsonObject(p['securityProfile']) ? p['securityProfile'] : {};
    const workload = security['workloadIdentity'];
    if (isJsonObject(workload) && workload['enabled'] === true && oidc['enabled'] !== true) {
      throw new DomainError(
        'BadRequest',
        'Enabling workload identity requires the OIDC issuer: set properties.oidcIssuerProfile.enabled to true (az aks create|update --enable-oidc-issuer).',
        { target: 'properties.securityProfile.workloadIdentity.enabled' },
      );
    }
    return p as JsonObject;
  };
}

/** The hooks, then: the issuer's key made on create/update, retired on delete. */
export function withOidcIssuerKeys(hooks: TrackedHooks, issuers: Pick<ClusterIssuers, 'ensure' | 'retire'>): TrackedHooks {
  return {
    async onCreate(ctx) {
      const result = await hooks.onCreate?.(ctx);
      const url = clusterIssuerUrl(result ?? ctx.resource);
      if (url) await issuers.ensure(ctx.tx.meta, url);
      return result;
    },
    async onUpdate(ctx) {
      const result = await hooks.onUpdate?.(ctx);
      const url = clusterIssuerUrl(result ?? ctx.resource);
      if (url) await issuers.ensure(ctx.tx.meta, url);
      return result;
    },
    async onDelete(ctx) {
      await hooks.onDelete?.(ctx);
      const url = clusterIssuerUrl(ctx.resource);
      if (url) await issuers.retire(ctx.tx.meta, url);
    },
  };
}

/**
 * `POST …/managedClusters/{name}/rotateServiceAccountSigningKeys` (ManagedClusters_RotateServiceAccountSigningKeys,
 * `az aks oidc-issuer rotate-signing-keys`): a new signing key; the previous one stays published for
 * the overlap, as AKS does. 202 with `Azure-AsyncOperation` and `Location` (already finished).
 */
export function rotateSigningKeysRoute(deps: {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  clusters: TrackedResourceService;
  issuers: Pick<ClusterIssuers, 'rotate'>;
  apiVersions: readonly string[];
}): ArmRoute {
  const NS = 'Microsoft.ContainerService';
  return defineRoute({
    method: 'POST',
    path: `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${NS}/managedClusters/{resourceName}/rotateServiceAccountSigningKeys`,
    operationId: 'ManagedClusters_RotateServiceAccountSigningKeys',
    action: `${NS}/managedClusters/rotateServiceAccountSigningKeys/action`,
    apiVersions: deps.apiVersions,
    handler: async (ctx) => {
      const cluster = await deps.clusters.get({
        subscriptionId: ctx.subscription!.id,
        tenantId: ctx.subscription!.tenantId,
        resourceGroup: ctx.params['resourceGroupName']!,
        name: ctx.params['resourceName']!,
      });
      const issuer = clusterIssuerUrl(cluster);
      if (!issuer) throw new DomainError('BadRequest', 'The OIDC issuer is not enabled on this cluster: enable it first (az aks update --enable-oidc-issuer).');
      await deps.issuers.rotate(issuer);
      const operations = createOperationService({ operations: deps.store.operations, clock: deps.clock, ids: deps.ids });
      const operation = await operations.complete(
        await operations.create({
          subscriptionId: ctx.subscription!.id,
          resourceId: cluster.id,
          action: `${NS}/managedClusters/rotateServiceAccountSigningKeys/action`,
        }),
      );
      return {
        status: 202,
        headers: {
          'azure-asyncoperation': asyncOperationUrl(ctx.baseUrl, operation, ctx.apiVersion),
          location: `${ctx.baseUrl}/subscriptions/${ctx.subscription!.id}/providers/${NS}/locations/${cluster.location}/operationresults/${operation.id}?api-version=${encodeURIComponent(ctx.apiVersion)}`,
          'retry-after': retryAfter(operation),
        },
      };
    },
  });
}
