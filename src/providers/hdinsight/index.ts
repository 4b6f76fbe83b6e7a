/**
 * The Microsoft.HDInsight provider: clusters whose user-assigned identities only the service uses
 * (seed 000; docs/adr/0014-hdinsight.md). Create is a PUT answered 200 with `Azure-AsyncOperation`
 * and no `Location`, delete is 202 with polling headers (hdinsight-wire §3, recorded from Azure);
 * HDInsight's own refusals are its flat `{code,message}` body (errors.ts). Not a host type: no agent
 * joins a cluster (routes.ts).
 */
import type { ResourceRecord } from '../../core/model.js';
import type { TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import type { ArmRoute } from '../../http/arm/route.js';
import type { ProviderDeclaration } from '../kit/declaration.js';
import { regional } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';
import { CLUSTER_SPEC, CLUSTER_TYPE, precheckClusterBody } from './clusters.js';
import { withHdInsightErrors } from './errors.js';
import { createClusterHooks } from './hooks.js';
import { clusterRoutes } from './routes.js';
import { renderCluster } from './wire.js';

/**
 * 2021-06-01 is what `@azure/arm-hdinsight` 1.2.1 and az 2.45 send (hdinsight-wire §1); newer az
 * builds send the previews, accepted with the same behaviour.
 */
export const HDINSIGHT_API_VERSIONS = [
  '2021-06-01',
  '2023-04-15-preview',
  '2023-08-15-preview',
  '2024-08-01-preview',
  '2025-01-15-preview',
  '2018-06-01-preview',
] as const;

export function hdInsightProvider(deps: ProviderDeps): ProviderDeclaration {
  const spec: TrackedTypeSpec = {
    ...CLUSTER_SPEC,
    hooks: createClusterHooks({
      ...(deps.rbac ? { access: deps.rbac.access } : {}),
      ...(deps.services ? { services: deps.services } : {}),
      ...(deps.services ? { sealing: deps.services.sealing } : {}),
    }),
  };
  const declaration = trackedProvider(deps, {
    namespace: 'Microsoft.HDInsight',
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [
      regional('clusters', HDINSIGHT_API_VERSIONS),
      regional('locations/billingSpecs', HDINSIGHT_API_VERSIONS),
      regional('locations/capabilities', HDINSIGHT_API_VERSIONS),
    ],
    tracked: [
      {
        spec,
        apiVersions: HDINSIGHT_API_VERSIONS,
        params: { name: 'clusterName' },
        operationIds: {
          createOrUpdate: 'Clusters_Create',
          update: 'Clusters_Update',
          get: 'Clusters_Get',
          delete: 'Clusters_Delete',
          list: 'Clusters_ListByResourceGroup',
          listBySubscription: 'Clusters_List',
        },
        // Live Azure: PUT → 200 (even on create) + Azure-AsyncOperation, no Location; DELETE → 202.
        write: 'async-operation',
        createdStatus: 200,
        delete: 'accepted',
        render: (resource: ResourceRecord, ctx) => renderCluster(resource, ctx),
      },
    ],
  });
  const service = declaration.services.get(CLUSTER_TYPE.toLowerCase())!;
  declaration.routes.push(
    ...clusterRoutes({
      service,
      store: deps.store,
      clock: deps.clock,
      ids: deps.ids,
      apiVersions: HDINSIGHT_API_VERSIONS,
      ...(deps.services ? { sealing: deps.services.sealing, services: deps.services } : {}),
    }),
  );
  // HDInsight's own refusals in its flat shape; its body checks before the kit's generic identity handling.
  const routes = declaration.routes as ArmRoute<any>[];
  for (const [i, route] of routes.entries()) {
    const checked: ArmRoute<any> =
      route.operationId === 'Clusters_Create'
        ? {
            ...route,
            handler: async (ctx) => {
              precheckClusterBody(ctx.body);
              const answer = await route.handler(ctx);
              // The operation is already finished when Keyless answers: tell pollers to look now (azure-core
              // otherwise waits its default 30 s before the first poll).
              return answer.headers?.['azure-asyncoperation'] ? { ...answer, headers: { ...answer.headers, 'retry-after': '0' } } : answer;
            },
          }
        : route;
    routes[i] = withHdInsightErrors(checked);
  }
  return declaration;
}
