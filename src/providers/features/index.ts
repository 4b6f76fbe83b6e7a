/**
 * Microsoft.Features (preview-feature registration) and resource provider registration
 * (`/subscriptions/{s}/providers[/{ns}]`, Microsoft.Resources' Providers_*), over one registration store.
 */
import type { ArmProvider } from '../../http/arm/route.js';
import type { RegistrationService } from './registration-service.js';
import { featureRoutes, providerRoutes } from './routes.js';

export { createRegistrationService, type RegistrationService } from './registration-service.js';
export { FEATURE_CATALOGUE, PROVIDERS } from './catalogue.js';

export interface FeaturesServices {
  registrations: RegistrationService;
}

export function featuresProvider(services: FeaturesServices): ArmProvider {
  return { namespace: 'Microsoft.Features', routes: [...featureRoutes(services.registrations), ...providerRoutes(services.registrations)] };
}
