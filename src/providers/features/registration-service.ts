/**
 * Feature and provider registration per subscription. Keyless has no approval workflow, so a
 * registration takes effect at once: `register` answers `Registered`, `unregister` `Unregistered`
 * (Azure passes through `Registering` / `Unregistering` for up to several minutes first).
 * Registration is recorded and reported; Keyless does not refuse requests to unregistered namespaces.
 */
import type { Clock } from '../../core/clock.js';
import type { FeatureState, ProviderState, RegistrationRepository } from '../../core/features/registrations.js';
import { ArmError } from '../../http/arm/arm-error.js';
import type { Catalogue, CatalogueProvider } from './catalogue.js';

/** A feature's state in one subscription. */
export interface FeatureStatus {
  namespace: string;
  feature: string;
  state: FeatureState;
}

/** A provider's state in one subscription. */
export interface ProviderStatus {
  provider: CatalogueProvider;
  state: ProviderState;
}

export interface RegistrationService {
  getFeature(subscriptionId: string, namespace: string, feature: string): Promise<FeatureStatus>;
  /** Every known feature, or those of one namespace (none for a namespace without features). */
  listFeatures(subscriptionId: string, namespace?: string): Promise<FeatureStatus[]>;
  setFeature(subscriptionId: string, namespace: string, feature: string, register: boolean): Promise<FeatureStatus>;
  getProvider(subscriptionId: string, namespace: string): Promise<ProviderStatus>;
  listProviders(subscriptionId: string): Promise<ProviderStatus[]>;
  setProvider(subscriptionId: string, namespace: string, register: boolean): Promise<ProviderStatus>;
}

export interface RegistrationServiceDeps {
  registrations: RegistrationRepository;
  clock: Clock;
  catalogue: Catalogue;
}

function knownFeature(catalogue: Catalogue, namespace: string, feature: string) {
  const found = catalogue.findFeature(namespace, feature);
  // Azure answers an unknown feature name with 404 FeatureNotFound.
  if (!found) throw new ArmError(404, 'FeatureNotFound', `The feature '${feature}' could not be found.`);
  return found;
}

function knownProvider(catalogue: Catalogue, namespace: string): CatalogueProvider {
  const found = catalogue.findProvider(namespace);
  // Azure answers an unknown namespace with 404 InvalidResourceNamespace.
  if (!found) throw new ArmError(404, 'InvalidResourceNamespace', `The resource namespace '${namespace}' is invalid.`);
  return found;
}

/** Served namespaces start Registered; registration-free ones stay Registered whatever is stored. */
function providerState(provider: CatalogueProvider, stored: string | undefined): ProviderState {
  if (provider.registrationPolicy === 'RegistrationFree') return 'Registered';
  return (stored as ProviderState | undefined) ?? (provider.served ? 'Registered' : 'NotRegistered');
}

export function createRegistrationService({ registrations, clock, catalogue }: RegistrationServiceDeps): RegistrationService {
  const featureKey = (ns: string, f: string) => `${ns}/${f}`;
  return {
    async getFeature(subscriptionId, namespace, feature) {
      const f = knownFeature(catalogue, namespace, feature);
      const stored = await registrations.get(subscriptionId, 'feature', featureKey(f.namespace, f.feature));
      return { ...f, state: (stored?.state as FeatureState | undefined) ?? 'NotRegistered' };
    },
    async listFeatures(subscriptionId, namespace) {
      const stored = new Map((await registrations.list(subscriptionId, 'feature')).map((r) => [r.name.toLowerCase(), r.state as FeatureState]));
      return catalogue
        .allFeatures()
        .filter(([ns]) => namespace === undefined || ns.toLowerCase() === namespace.toLowerCase())
        .map(([ns, feature]) => ({ namespace: ns, feature, state: stored.get(featureKey(ns, feature).toLowerCase()) ?? 'NotRegistered' }));
    },
    async setFeature(subscriptionId, namespace, feature, register) {
      const f = knownFeature(catalogue, namespace, feature);
      const state: FeatureState = register ? 'Registered' : 'Unregistered';
      await registrations.put({
        subscriptionId,
        kind: 'feature',
        name: featureKey(f.namespace, f.feature),
        state,
        updatedAt: new Date(clock.now()).toISOString(),
      });
      return { ...f, state };
    },
    async getProvider(subscriptionId, namespace) {
      const provider = knownProvider(catalogue, namespace);
      const stored = await registrations.get(subscriptionId, 'provider', provider.namespace);
      return { provider, state: providerState(provider, stored?.state) };
    },
    async listProviders(subscriptionId) {
      const stored = new Map((await registrations.list(subscriptionId, 'provider')).map((r) => [r.name.toLowerCase(), r.state]));
      return catalogue.providers.map((provider) => ({ provider, state: providerState(provider, stored.get(provider.namespace.toLowerCase())) }));
    },
    async setProvider(subscriptionId, namespace, register) {
      const provider = knownProvider(catalogue, namespace);
      const state: ProviderState = register ? 'Registered' : 'Unregistered';
      await registrations.put({ subscriptionId, kind: 'provider', name: provider.namespace, state, updatedAt: new Date(clock.now()).toISOString() });
      return { provider, state: providerState(provider, state) };
    },
  };
}
