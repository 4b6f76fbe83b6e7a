/**
 * Microsoft.Features (`features.json`, Features_*) and resource provider registration
 * (`resources.json`, Providers_*). Provider routes take the namespace as a path parameter, so they sit
 * beside the namespace-literal routes of other providers: `/subscriptions/{s}/providers/{ns}` has
 * fewer segments than any resource collection, and `register` / `unregister` are literals.
 */
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { RESOURCES_API_VERSIONS } from '../resources/api-versions.js';
import { FEATURES_API_VERSIONS } from './catalogue.js';
import type { RegistrationService } from './registration-service.js';
import { toFeatureWire, toProviderWire } from './wire.js';

const FEATURES = '/subscriptions/{subscriptionId}/providers/Microsoft.Features';
const FEATURE = `${FEATURES}/providers/{resourceProviderNamespace}/features/{featureName}`;
const PROVIDER = '/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}';

const sub = (ctx: ArmContext<unknown>) => ctx.subscription!.id;
const ns = (ctx: ArmContext<unknown>) => ctx.params['resourceProviderNamespace']!;
const feature = (ctx: ArmContext<unknown>) => ctx.params['featureName']!;

export function featureRoutes(service: RegistrationService): ArmRoute<any>[] {
  const one = (register: boolean) => async (ctx: ArmContext<unknown>) => ({
    status: 200,
    body: toFeatureWire(sub(ctx), await service.setFeature(sub(ctx), ns(ctx), feature(ctx), register)),
  });
  return [
    defineRoute({
      method: 'GET',
      path: `${FEATURES}/features`,
      operationId: 'Features_ListAll',
      action: 'Microsoft.Features/features/read',
      apiVersions: FEATURES_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: { value: (await service.listFeatures(sub(ctx))).map((f) => toFeatureWire(sub(ctx), f)) } }),
    }),
    defineRoute({
      method: 'GET',
      path: `${FEATURES}/providers/{resourceProviderNamespace}/features`,
      operationId: 'Features_List',
      action: 'Microsoft.Features/providers/features/read',
      apiVersions: FEATURES_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: { value: (await service.listFeatures(sub(ctx), ns(ctx))).map((f) => toFeatureWire(sub(ctx), f)) } }),
    }),
    defineRoute({
      method: 'GET',
      path: FEATURE,
      operationId: 'Features_Get',
      action: 'Microsoft.Features/providers/features/read',
      apiVersions: FEATURES_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: toFeatureWire(sub(ctx), await service.getFeature(sub(ctx), ns(ctx), feature(ctx))) }),
    }),
    defineRoute({
      method: 'POST',
      path: `${FEATURE}/register`,
      operationId: 'Features_Register',
      action: 'Microsoft.Features/providers/features/register/action',
      apiVersions: FEATURES_API_VERSIONS,
      handler: one(true),
    }),
    defineRoute({
      method: 'POST',
      path: `${FEATURE}/unregister`,
      operationId: 'Features_Unregister',
      action: 'Microsoft.Features/providers/features/unregister/action',
      apiVersions: FEATURES_API_VERSIONS,
      handler: one(false),
    }),
  ];
}

export function providerRoutes(service: RegistrationService): ArmRoute<any>[] {
  const one = (register: boolean) => async (ctx: ArmContext<unknown>) => ({
    status: 200,
    body: toProviderWire(sub(ctx), await service.setProvider(sub(ctx), ns(ctx), register)),
  });
  return [
    defineRoute({
      method: 'GET',
      path: '/subscriptions/{subscriptionId}/providers',
      operationId: 'Providers_List',
      action: 'Microsoft.Resources/subscriptions/providers/read',
      apiVersions: RESOURCES_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: { value: (await service.listProviders(sub(ctx))).map((p) => toProviderWire(sub(ctx), p)) } }),
    }),
    defineRoute({
      method: 'GET',
      path: PROVIDER,
      operationId: 'Providers_Get',
      action: 'Microsoft.Resources/subscriptions/providers/read',
      apiVersions: RESOURCES_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: toProviderWire(sub(ctx), await service.getProvider(sub(ctx), ns(ctx))) }),
    }),
    // Azure checks the namespace's own action, e.g. `Microsoft.ContainerService/register/action`.
    defineRoute({
      method: 'POST',
      path: `${PROVIDER}/register`,
      operationId: 'Providers_Register',
      action: '{resourceProviderNamespace}/register/action',
      actionFor: (params) => `${params['resourceProviderNamespace']}/register/action`,
      apiVersions: RESOURCES_API_VERSIONS,
      handler: one(true),
    }),
    defineRoute({
      method: 'POST',
      path: `${PROVIDER}/unregister`,
      operationId: 'Providers_Unregister',
      action: '{resourceProviderNamespace}/unregister/action',
      actionFor: (params) => `${params['resourceProviderNamespace']}/unregister/action`,
      apiVersions: RESOURCES_API_VERSIONS,
      handler: one(false),
    }),
  ];
}
