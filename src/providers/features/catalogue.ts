/**
 * What Keyless knows about resource providers and preview features. Namespaces Keyless serves are
 * built from the provider declarations (each lists its own resource types, api-versions and
 * features); other well-known namespaces are listed here, as data, so that `provider register` /
 * `feature register` steps of Azure walkthroughs (e.g. AKS's MSIPreview) run before their provider exists.
 */
import type { CatalogueResourceType, ProviderDeclaration } from '../kit/declaration.js';

/** Microsoft.Features api-versions (`features.json` stable 2015-12-01 and 2021-07-01; az sends 2021-07-01). */
export const FEATURES_API_VERSIONS = ['2021-07-01', '2015-12-01'] as const;

/**
 * Keyless accepts any region name; regional resource types list these so that clients which pick a
 * location from `provider show` find the usual ones (Azure's display names, as Provider lists them).
 */
export const LISTED_LOCATIONS = [
  'East US',
  'East US 2',
  'West US',
  'West US 2',
  'West US 3',
  'Central US',
  'North Europe',
  'West Europe',
  'UK South',
  'Southeast Asia',
  'East Asia',
  'Australia East',
  'Japan East',
] as const;

export interface CatalogueProvider {
  namespace: string;
  registrationPolicy: 'RegistrationFree' | 'RegistrationRequired';
  /** True when Keyless answers this namespace's routes; such a namespace starts out Registered. */
  served: boolean;
  resourceTypes: readonly CatalogueResourceType[];
  features: readonly string[];
}

/**
 * Well-known namespaces, with the preview features their walkthroughs register, listed whether or not
 * Keyless serves them yet (a served namespace's own declared features are added to these). Feature
 * names are Azure's (the AKS preview walkthrough registers `Microsoft.ContainerService/MSIPreview`).
 */
export const WELL_KNOWN_NAMESPACES: Readonly<Record<string, readonly string[]>> = {
  'Microsoft.Insights': [],
  'Microsoft.ContainerService': ['EnableOIDCIssuerPreview', 'EnableWorkloadIdentityPreview', 'MSIPreview', 'PodIdentityPreview', 'UserAssignedIdentityPreview'],
  'Microsoft.HDInsight': [],
  'Microsoft.KeyVault': [],
  'Microsoft.Kusto': [],
  'Microsoft.Storage': [],
  'Microsoft.Web': [],
};

export interface Catalogue {
  /** Every namespace `provider list` shows, ordered by namespace. */
  readonly providers: readonly CatalogueProvider[];
  findProvider(namespace: string): CatalogueProvider | undefined;
  /** `Namespace/Feature` in catalogue case, or undefined for a feature Keyless does not know. */
  findFeature(namespace: string, feature: string): { namespace: string; feature: string } | undefined;
  /** Every known feature as `[namespace, feature]`, ordered by namespace then feature. */
  allFeatures(): [string, string][];
}

/** The catalogue of the served providers (their declarations) and the well-known unserved ones. */
export function createCatalogue(
  declarations: readonly Pick<ProviderDeclaration, 'namespace' | 'registrationPolicy' | 'resourceTypes' | 'features'>[],
): Catalogue {
  const wellKnown = (namespace: string) => Object.entries(WELL_KNOWN_NAMESPACES).find(([ns]) => ns.toLowerCase() === namespace.toLowerCase())?.[1] ?? [];
  const served: CatalogueProvider[] = declarations.map((d) => ({
    namespace: d.namespace,
    registrationPolicy: d.registrationPolicy,
    served: true,
    resourceTypes: d.resourceTypes,
    features: [...new Set([...wellKnown(d.namespace), ...(d.features ?? [])])],
  }));
  const servedNames = new Set(served.map((p) => p.namespace.toLowerCase()));
  const unserved: CatalogueProvider[] = Object.entries(WELL_KNOWN_NAMESPACES)
    .filter(([ns]) => !servedNames.has(ns.toLowerCase()))
    .map(([namespace, features]) => ({ namespace, registrationPolicy: 'RegistrationRequired', served: false, resourceTypes: [], features }));
  const providers = [...served, ...unserved].sort((a, b) => a.namespace.localeCompare(b.namespace));
  const findProvider = (namespace: string) => providers.find((p) => p.namespace.toLowerCase() === namespace.toLowerCase());
  return {
    providers,
    findProvider,
    findFeature(namespace, feature) {
      const provider = findProvider(namespace);
      const name = provider?.features.find((f) => f.toLowerCase() === feature.toLowerCase());
      return provider && name ? { namespace: provider.namespace, feature: name } : undefined;
    },
    allFeatures: () => providers.flatMap((p) => [...p.features].sort().map((f): [string, string] => [p.namespace, f])),
  };
}
