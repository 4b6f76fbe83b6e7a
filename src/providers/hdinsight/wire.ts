/**
 * HDInsight's wire shapes: the Cluster body as a GET returns it (hdinsight-wire §5: no secrets, the
 * service's state fields, `provisioningState` `InProgress` and `clusterState` `Accepted` in the first
 * answer to a create), and the location-level reads `az hdinsight create` makes (billingSpecs, whose
 * `filterMode: Default` entries give az its default VM sizes, and capabilities).
 */
import type { ResourceRecord } from '../../core/model.js';
import { withoutPaths } from '../../core/resources/tracked/json-paths.js';
import { renderIdentity } from '../../http/arm/identity-wire.js';
import type { RenderContext } from '../../http/arm/tracked-routes.js';
import { CLUSTER_IDENTITY_RULES, CLUSTER_WRITE_ONLY, coresOf, SERVICE_STATE } from './clusters.js';

export function renderCluster(resource: ResourceRecord, ctx: RenderContext): unknown {
  const inProgress = ctx.provisioningState !== undefined;
  const identity = renderIdentity(CLUSTER_IDENTITY_RULES, resource.identity);
  const properties = withoutPaths(resource.properties, [...CLUSTER_WRITE_ONLY, SERVICE_STATE]);
  return {
    id: resource.id,
    name: resource.name,
    type: resource.type,
    location: resource.location,
    etag: resource.etag,
    tags: resource.tags,
    ...(identity ? { identity } : {}),
    properties: {
      ...properties,
      provisioningState: inProgress ? 'InProgress' : resource.provisioningState,
      clusterState: inProgress ? 'Accepted' : 'Running',
    },
  };
}

/** VM sizes Keyless lists per node type (names as Azure spells them). */
const HEAD_SIZE = 'Standard_E8_V3';
const WORKER_SIZE = 'Standard_E8_V3';
const ZOOKEEPER_SIZE = 'Standard_A2_V2';
const SIZES = [
  'Standard_A2_V2',
  'Standard_A4_V2',
  'Standard_D4_V2',
  'Standard_D12_V2',
  'Standard_D13_V2',
  'Standard_E4_V3',
  'Standard_E8_V3',
  'Standard_E16_V3',
];

/** `Locations_ListBillingSpecs` (BillingResponseListResult). */
export function billingSpecs(location: string): unknown {
  const filter = (nodeTypes: string[], vmSizes: string[]) => ({
    filterMode: 'Default',
    regions: [location],
    clusterFlavors: ['*'],
    nodeTypes,
    clusterVersions: ['*'],
    osType: ['linux'],
    vmSizes,
  });
  return {
    vmSizes: SIZES,
    vmSizesWithEncryptionAtHost: SIZES,
    vmSizeFilters: [
      filter(['HeadNodeRole'], [HEAD_SIZE]),
      filter(['WorkerNodeRole'], [WORKER_SIZE]),
      filter(['ZookeeperRole'], [ZOOKEEPER_SIZE]),
      { filterMode: 'Include', regions: [location], clusterFlavors: ['*'], nodeTypes: ['*'], clusterVersions: ['*'], osType: ['linux'], vmSizes: SIZES },
    ],
    vmSizeProperties: SIZES.map((name) => ({
      name,
      cores: coresOf(name),
      dataDiskStorageTier: 'Standard',
      label: name,
      maxDataDiskCount: 8,
      memoryInMb: coresOf(name) * 8192,
      supportedByVirtualMachines: true,
      supportedByWebWorkerRoles: false,
      virtualMachineResourceDiskSizeInMb: 65536,
      webWorkerResourceDiskSizeInMb: 0,
    })),
    billingResources: [{ region: location, billingMeters: [], diskBillingMeters: [] }],
  };
}

/** `Locations_GetCapabilities` (CapabilitiesResult). */
export function capabilities(location: string): unknown {
  return {
    versions: {
      hadoop: { available: [{ friendlyName: '5.1', displayName: '5.1', isDefault: true }] },
      spark: { available: [{ friendlyName: '5.1', displayName: '5.1', isDefault: true }] },
      kafka: { available: [{ friendlyName: '5.1', displayName: '5.1', isDefault: true }] },
    },
    regions: { linux: { available: [location] } },
    features: ['EnableUserAssignedMsi', 'EnableDiskEncryption', 'EnableEsp', 'EnableAdlsGen2'],
    quota: { coresUsed: 0, maxCoresAllowed: 400, regionalQuotas: [{ regionName: location, coresUsed: 0, coresAvailable: 400 }] },
  };
}
