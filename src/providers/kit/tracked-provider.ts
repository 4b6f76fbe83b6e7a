/**
 * `trackedProvider(deps, input)`: a provider declaration from its tracked types and a few wire facts.
 * For each tracked type it builds the core lifecycle service and the six ARM routes; it adds the
 * namespace's operations list (generated from the routes) and declares `{namespace}/operations/read`
 * open. Hand-written routes (actions, proxy reads) are passed in `routes`.
 */
import type { ActivityLog } from '../../core/activity/activity-log.js';
import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { ResourceIdentities } from '../../core/identities/resource-identities.js';
import type { Store } from '../../core/ports.js';
import type { DataPlaneProviderDeps } from '../../core/dataplanes/provider-deps.js';
import type { Rbac } from '../../core/rbac/rbac.js';
import type { ServiceCalls } from '../../core/tokens/service-identity.js';
import type { TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import type { ClusterIssuers } from '../../core/workload-identity/cluster-issuers.js';
import { resourceTypeOf } from '../../core/resources/tracked/spec.js';
import { createTrackedResourceService, type TrackedResourceService } from '../../core/resources/tracked/tracked-resource-service.js';
import type { ArmRoute } from '../../http/arm/route.js';
import { trackedResourceRoutes, type TrackedRoutesOptions } from '../../http/arm/tracked-routes.js';
import type { ProviderDeclaration } from './declaration.js';
import { operationsReadAction, operationsRoute } from './operations.js';

/** What every provider factory receives (one object for all: see src/providers/index.ts). */
export interface ProviderDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /** The identity component (with the linked-authorization rule wired in). */
  identities: ResourceIdentities;
  /** Called after every committed write, so host agents re-read what they hold. */
  onIdentitiesChanged?: () => void;
  /** RBAC, for providers whose writes grant roles (AKS gives its control-plane identity Contributor on the node group). */
  rbac?: Pick<Rbac, 'assignments' | 'access'>;
  /** Per-cluster OIDC issuers Keyless hosts (AKS `oidcIssuerProfile`, issue 14); absent: clusters get no issuer URL. */
  oidcIssuers?: ClusterIssuers;
  /** The data planes' addressing and sealing, for Microsoft.Storage and Microsoft.KeyVault (absent: no endpoints, no account keys). */
  dataPlanes?: DataPlaneProviderDeps;
  /** A provider acting as a resource's managed identity on the data planes (HDInsight); absent: no such calls. */
  services?: ServiceCalls;
  /** The Activity Log (Microsoft.Insights reads it after this server's buffered events are written); absent: read from the store. */
  activityLog?: Pick<ActivityLog, 'listEvents'>;
}

/** One tracked type: its spec and the wire facts of its routes. */
export interface TrackedTypeEntry extends Omit<TrackedRoutesOptions, 'service'> {
  spec: TrackedTypeSpec;
}

export interface TrackedProviderInput extends Omit<ProviderDeclaration, 'routes' | 'trackedTypes'> {
  tracked: readonly TrackedTypeEntry[];
  /** Routes written by hand, besides the generated ones. */
  routes?: ArmRoute<any>[];
  /** api-versions of the operations list; default: those of the first tracked type. */
  operationsApiVersions?: readonly string[];
}

/** A declaration that also exposes its types' services (for hooks of other providers and for tests). */
export interface TrackedProviderDeclaration extends ProviderDeclaration {
  /** The lifecycle service of each tracked type, by `Namespace/type` (lower case). */
  services: ReadonlyMap<string, TrackedResourceService>;
}

export function trackedProvider(deps: ProviderDeps, input: TrackedProviderInput): TrackedProviderDeclaration {
  const { tracked, routes: handWritten = [], operationsApiVersions, ...declaration } = input;
  const services = new Map<string, TrackedResourceService>();
  const routes: ArmRoute<any>[] = [];
  for (const entry of tracked) {
    const service = createTrackedResourceService(entry.spec, deps);
    services.set(resourceTypeOf(entry.spec).toLowerCase(), service);
    routes.push(...trackedResourceRoutes({ ...entry, service }));
  }
  routes.push(...handWritten);
  const result: TrackedProviderDeclaration = {
    ...declaration,
    routes,
    trackedTypes: tracked.map((t) => t.spec),
    openActions: [...(declaration.openActions ?? []), operationsReadAction(declaration.namespace)],
    services,
  };
  routes.push(operationsRoute(result, operationsApiVersions ?? tracked[0]?.apiVersions ?? ['2015-01-01']));
  return result;
}
