/**
 * Every resource provider Keyless serves, built once from one set of dependencies, and what the rest
 * of the server reads from their declarations: routes for the ARM dispatcher, open actions for the
 * authorizer, host types for attestation and token issuing, identity rules for the generic resource
 * list, the catalogue for `provider show`. Used by the composition root and by the tests.
 * Adding a provider: its folder, and one line in `PROVIDER_FACTORIES` (docs/providers.md).
 */
import type { Clock } from '../core/clock.js';
import type { RegistrationRepository } from '../core/features/registrations.js';
import type { HostAttestation } from '../core/hosts/host-attestation.js';
import { createHostTypes, type HostTypes } from '../core/hosts/host-types.js';
import type { IdGenerator } from '../core/ids.js';
import type { IdentityRules } from '../core/identities/identity-plan.js';
import { createLinkedAuthorization } from '../core/identities/linked-authorization.js';
import { createResourceIdentities, type ResourceIdentities } from '../core/identities/resource-identities.js';
import type { Store } from '../core/ports.js';
import type { Rbac } from '../core/rbac/rbac.js';
import type { OperationService } from '../core/resources/operation-service.js';
import type { ResourceGroupService } from '../core/resources/resource-group-service.js';
import type { SubscriptionService } from '../core/resources/subscription-service.js';
import { resourceTypeOf, type TrackedTypeSpec } from '../core/resources/tracked/spec.js';
import type { TrackedResourceService } from '../core/resources/tracked/tracked-resource-service.js';
import type { ClusterIssuers } from '../core/workload-identity/cluster-issuers.js';
import { authorizationProvider } from './authorization/index.js';
import { computeProvider } from './compute/index.js';
import { containerRegistryProvider } from './container-registry/index.js';
import { containerServiceProvider } from './container-service/index.js';
import { featuresProvider } from './features/index.js';
import { domainServicesProvider } from './hdinsight/domain-services.js';
import { hdInsightProvider } from './hdinsight/index.js';
import type { ServiceCalls } from '../core/tokens/service-identity.js';
import type { ProviderDeclaration } from './kit/declaration.js';
import { hostJoinRoute } from './kit/host-join.js';
import type { ProviderDeps, TrackedProviderDeclaration } from './kit/tracked-provider.js';
import { managedIdentityProvider } from './managed-identity/index.js';
import { networkProvider } from './network/index.js';
import { resourcesProvider } from './resources/index.js';
import { resourceListRoute } from './resources/resource-list-route.js';
import { storageProvider } from './storage/index.js';
import { keyVaultProvider } from './keyvault/index.js';
import type { DataPlaneProviderDeps } from '../core/dataplanes/provider-deps.js';
import { kustoProvider } from './kusto/index.js';
import { insightsProvider } from './insights/index.js';

/** The resource providers built on the kit: one line each. */
const PROVIDER_FACTORIES: readonly ((deps: ProviderDeps) => ProviderDeclaration)[] = [
  managedIdentityProvider,
  computeProvider,
  storageProvider,
  keyVaultProvider,
  kustoProvider,
  containerServiceProvider,
  networkProvider,
  containerRegistryProvider,
  hdInsightProvider,
  domainServicesProvider,
  insightsProvider,
];

export interface ProvidersDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /** Microsoft.Resources' core services. */
  resources: { subscriptions: SubscriptionService; resourceGroups: ResourceGroupService; operations: Pick<OperationService, 'get'> };
  registrations: RegistrationRepository;
  /** RBAC: Microsoft.Authorization's routes and the linked-authorization rule. Absent (some tests): neither. */
  rbac?: Pick<Rbac, 'assignments' | 'definitions' | 'access'>;
  /** Issues join tokens for the host types' join actions. Absent: no join actions. */
  hosts?: Pick<HostAttestation, 'issueJoinToken'>;
  onIdentitiesChanged?: () => void;
  /** The data planes' addressing and sealing (Microsoft.Storage, Microsoft.KeyVault). */
  dataPlanes?: DataPlaneProviderDeps;
  /** Providers acting as a resource's managed identity on the data planes (HDInsight). */
  services?: ServiceCalls;
  /** Per-cluster OIDC issuers (AKS, issue 14). */
  oidcIssuers?: ClusterIssuers;
  /** The Activity Log Microsoft.Insights lists (absent: read from the store). */
  activityLog?: ProviderDeps['activityLog'];
}

export interface ProviderRegistry {
  providers: readonly ProviderDeclaration[];
  /** Actions any authenticated caller may perform. */
  openActions: readonly string[];
  hostTypes: HostTypes;
  trackedTypes: readonly TrackedTypeSpec[];
  identities: ResourceIdentities;
  /** A tracked type's identity rules, by `Namespace/type` (case-insensitive). */
  identityRulesOf(resourceType: string): IdentityRules | undefined;
  /** A tracked type's lifecycle service, by `Namespace/type` (case-insensitive). */
  service(resourceType: string): TrackedResourceService | undefined;
}

export function createProviders(deps: ProvidersDeps): ProviderRegistry {
  const identities = createResourceIdentities({
    ids: deps.ids,
    clock: deps.clock,
    ...(deps.rbac ? { authorizeLinks: createLinkedAuthorization(deps.rbac.access) } : {}),
  });
  const kitDeps: ProviderDeps = {
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    identities,
    ...(deps.onIdentitiesChanged ? { onIdentitiesChanged: deps.onIdentitiesChanged } : {}),
    ...(deps.rbac ? { rbac: deps.rbac } : {}),
    ...(deps.dataPlanes ? { dataPlanes: deps.dataPlanes } : {}),
    ...(deps.services ? { services: deps.services } : {}),
    ...(deps.oidcIssuers ? { oidcIssuers: deps.oidcIssuers } : {}),
    ...(deps.activityLog ? { activityLog: deps.activityLog } : {}),
  };
  const kitProviders = PROVIDER_FACTORIES.map((factory) => factory(kitDeps));
  const trackedTypes = kitProviders.flatMap((p) => p.trackedTypes ?? []);
  const rules = new Map(trackedTypes.filter((t) => t.identity).map((t) => [resourceTypeOf(t).toLowerCase(), t.identity!.rules]));
  const services = new Map(kitProviders.flatMap((p) => [...((p as Partial<TrackedProviderDeclaration>).services ?? new Map()).entries()]));
  const identityRulesOf = (type: string) => rules.get(type.toLowerCase());

  // The join action of each host type belongs to its provider.
  const hostEntries = kitProviders.flatMap((p) => p.hostTypes ?? []);
  const withJoin = kitProviders.map((p) =>
    deps.hosts && p.hostTypes?.length ? { ...p, routes: [...p.routes, ...p.hostTypes.map((h) => hostJoinRoute(h, deps.hosts!))] } : p,
  );

  const served: ProviderDeclaration[] = [
    withResourceList(resourcesProvider({ ...deps.resources, identityRulesOf }), deps.store, identityRulesOf),
    ...withJoin,
    ...(deps.rbac ? [authorizationProvider(deps.rbac)] : []),
  ];
  const providers = [...served, featuresProvider({ registrations: deps.registrations, clock: deps.clock, served })];
  return {
    providers,
    openActions: providers.flatMap((p) => p.openActions ?? []),
    hostTypes: createHostTypes(hostEntries),
    trackedTypes,
    identities,
    identityRulesOf,
    service: (type) => services.get(type.toLowerCase()),
  };
}

/** Microsoft.Resources' subscription-wide resource list needs the store (az resolves names through it). */
function withResourceList(provider: ProviderDeclaration, store: Store, identityRulesOf: (type: string) => IdentityRules | undefined): ProviderDeclaration {
  return { ...provider, routes: [...provider.routes, resourceListRoute({ store, identityRulesOf })] };
}
