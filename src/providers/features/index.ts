/**
 * Microsoft.Features (preview-feature registration) and resource provider registration
 * (`/subscriptions/{s}/providers[/{ns}]`, Microsoft.Resources' Providers_*), over one registration store.
 * The catalogue is built from the other providers' declarations (src/providers/index.ts).
 */
import type { Clock } from '../../core/clock.js';
import type { RegistrationRepository } from '../../core/features/registrations.js';
import { global, type ProviderDeclaration } from '../kit/declaration.js';
import { createCatalogue, FEATURES_API_VERSIONS } from './catalogue.js';
import { createRegistrationService } from './registration-service.js';
import { featureRoutes, providerRoutes } from './routes.js';

export { createRegistrationService, type RegistrationService } from './registration-service.js';

export interface FeaturesDeps {
  registrations: RegistrationRepository;
  clock: Clock;
  /** The declarations of every other provider Keyless serves. */
  served: readonly ProviderDeclaration[];
}

export function featuresProvider(deps: FeaturesDeps): ProviderDeclaration {
  const self = {
    namespace: 'Microsoft.Features',
    registrationPolicy: 'RegistrationFree' as const,
    resourceTypes: [global('features', FEATURES_API_VERSIONS), global('providers', FEATURES_API_VERSIONS)],
  };
  const registrations = createRegistrationService({ registrations: deps.registrations, clock: deps.clock, catalogue: createCatalogue([...deps.served, self]) });
  return { ...self, routes: [...featureRoutes(registrations), ...providerRoutes(registrations)] };
}
