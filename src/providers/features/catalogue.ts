/**
 * What Keyless knows about resource providers and preview features, as data. Namespaces Keyless serves
 * list the resource types and api-versions it answers; other well-known namespaces are listed so that
 * `provider register` / `feature register` steps of Azure walkthroughs (e.g. AKS's MSIPreview) run,
 * though Keyless serves none of their resource types.
 */
import { AUTHORIZATION_API_VERSIONS } from '../authorization/wire.js';
import { COMPUTE_API_VERSIONS } from '../compute/api-versions.js';
import { MSI_API_VERSIONS } from '../managed-identity/api-versions.js';
import { RESOURCES_API_VERSIONS, SUBSCRIPTIONS_API_VERSIONS } from '../resources/api-versions.js';

/** Microsoft.Features api-versions (`features.json` stable 2015-12-01 and 2021-07-01; az sends 2021-07-01). */
export const FEATURES_API_VERSIONS = ['2021-07-01', '2015-12-01'] as const;

/**
 * Keyless accepts any region name; regional resource types list these so that clients which pick a
 * location from `provider show` find the usual ones (Azure's display names, as Provider lists them).
 */
export const LISTED_LOCATIONS = [
  'East US', 'East US 2', 'West US', 'West US 2', 'West US 3', 'Central US', 'North Europe', 'West Europe',
  'UK South', 'Southeast Asia', 'East Asia', 'Australia East', 'Japan East',
] as const;

export interface CatalogueResourceType {
  resourceType: string;
  /** Global types (no location) list none, as in Azure. */
  regional: boolean;
  apiVersions: readonly string[];
}

export interface CatalogueProvider {
  namespace: string;
  /**
   * `RegistrationFree` namespaces (Microsoft.Resources, Authorization, Features) are always usable,
   * as in Azure; `RegistrationRequired` ones read as NotRegistered until registered.
   */
  registrationPolicy: 'RegistrationFree' | 'RegistrationRequired';
  /** True when Keyless answers this namespace's routes; such a namespace starts out Registered. */
  served: boolean;
  resourceTypes: readonly CatalogueResourceType[];
}

const global = (resourceType: string, apiVersions: readonly string[]): CatalogueResourceType => ({ resourceType, regional: false, apiVersions });
const regional = (resourceType: string, apiVersions: readonly string[]): CatalogueResourceType => ({ resourceType, regional: true, apiVersions });
const notServed = (namespace: string): CatalogueProvider => ({ namespace, registrationPolicy: 'RegistrationRequired', served: false, resourceTypes: [] });

/** Every namespace `provider list` shows, in order of namespace. */
export const PROVIDERS: readonly CatalogueProvider[] = [
  {
    namespace: 'Microsoft.Authorization', registrationPolicy: 'RegistrationFree', served: true,
    resourceTypes: [global('roleAssignments', AUTHORIZATION_API_VERSIONS), global('roleDefinitions', AUTHORIZATION_API_VERSIONS), global('permissions', AUTHORIZATION_API_VERSIONS)],
  },
  {
    namespace: 'Microsoft.Compute', registrationPolicy: 'RegistrationRequired', served: true,
    resourceTypes: [regional('virtualMachines', COMPUTE_API_VERSIONS)],
  },
  notServed('Microsoft.ContainerService'),
  {
    namespace: 'Microsoft.Features', registrationPolicy: 'RegistrationFree', served: true,
    resourceTypes: [global('features', FEATURES_API_VERSIONS), global('providers', FEATURES_API_VERSIONS)],
  },
  notServed('Microsoft.HDInsight'),
  notServed('Microsoft.KeyVault'),
  notServed('Microsoft.Kusto'),
  {
    namespace: 'Microsoft.ManagedIdentity', registrationPolicy: 'RegistrationRequired', served: true,
    resourceTypes: [regional('userAssignedIdentities', MSI_API_VERSIONS), global('Identities', MSI_API_VERSIONS), global('operations', MSI_API_VERSIONS)],
  },
  {
    namespace: 'Microsoft.Resources', registrationPolicy: 'RegistrationFree', served: true,
    resourceTypes: [
      global('tenants', SUBSCRIPTIONS_API_VERSIONS), global('subscriptions', SUBSCRIPTIONS_API_VERSIONS),
      global('resourceGroups', RESOURCES_API_VERSIONS), global('subscriptions/resourceGroups', RESOURCES_API_VERSIONS),
      global('operationStatuses', RESOURCES_API_VERSIONS),
    ],
  },
  notServed('Microsoft.Storage'),
  notServed('Microsoft.Web'),
];

/**
 * Preview features by namespace. Names are Azure's (e.g. the AKS preview walkthrough registers
 * `Microsoft.ContainerService/MSIPreview`). Every one is auto-approved: registering needs no review.
 */
export const FEATURE_CATALOGUE: Readonly<Record<string, readonly string[]>> = {
  'Microsoft.Compute': ['EncryptionAtHost', 'UseStandardSecurityType'],
  'Microsoft.ContainerService': [
    'EnableOIDCIssuerPreview', 'EnableWorkloadIdentityPreview', 'MSIPreview', 'PodIdentityPreview', 'UserAssignedIdentityPreview',
  ],
};

/** The catalogue entry for a namespace, compared case-insensitively. */
export function findProvider(namespace: string): CatalogueProvider | undefined {
  const lower = namespace.toLowerCase();
  return PROVIDERS.find((p) => p.namespace.toLowerCase() === lower);
}

/** `Namespace/Feature` in catalogue case, or undefined for a feature Keyless does not know. */
export function findFeature(namespace: string, feature: string): { namespace: string; feature: string } | undefined {
  const ns = Object.keys(FEATURE_CATALOGUE).find((n) => n.toLowerCase() === namespace.toLowerCase());
  const name = ns && FEATURE_CATALOGUE[ns]!.find((f) => f.toLowerCase() === feature.toLowerCase());
  return ns && name ? { namespace: ns, feature: name } : undefined;
}

/** Every known feature as `[namespace, feature]`, ordered by namespace then feature. */
export function allFeatures(): [string, string][] {
  return Object.keys(FEATURE_CATALOGUE).sort().flatMap((ns) => [...FEATURE_CATALOGUE[ns]!].sort().map((f): [string, string] => [ns, f]));
}
