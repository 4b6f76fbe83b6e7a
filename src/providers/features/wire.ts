/** Wire shapes: Microsoft.Features `FeatureResult` and Microsoft.Resources `Provider`. */
import { LISTED_LOCATIONS } from './catalogue.js';
import type { FeatureStatus, ProviderStatus } from './registration-service.js';

/** `FeatureResult` (features.json): `name` is `Namespace/Feature`. */
export function toFeatureWire(subscriptionId: string, f: FeatureStatus) {
  return {
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.Features/providers/${f.namespace}/features/${f.feature}`,
    name: `${f.namespace}/${f.feature}`,
    properties: { state: f.state },
    type: 'Microsoft.Features/providers/features',
  };
}

/** `Provider` (resources.json): one entry per resource type Keyless serves in the namespace. */
export function toProviderWire(subscriptionId: string, p: ProviderStatus) {
  return {
    id: `/subscriptions/${subscriptionId}/providers/${p.provider.namespace}`,
    namespace: p.provider.namespace,
    registrationPolicy: p.provider.registrationPolicy,
    registrationState: p.state,
    resourceTypes: p.provider.resourceTypes.map((t) => ({
      resourceType: t.resourceType,
      locations: t.regional ? [...LISTED_LOCATIONS] : [],
      apiVersions: [...t.apiVersions],
    })),
  };
}
