/**
 * Builds the ARM surface in-process (no listen) over a real SQLite store, with a seeded tenant and
 * subscription, a second tenant with its own subscription, and bearer tokens for both.
 */
import { systemClock } from '../../src/core/clock.js';
import { randomIds } from '../../src/core/ids.js';
import type { Store } from '../../src/core/ports.js';
import { createOperationService } from '../../src/core/resources/operation-service.js';
import { createResourceGroupService } from '../../src/core/resources/resource-group-service.js';
import { createSubscriptionService } from '../../src/core/resources/subscription-service.js';
import { createBaseFastify } from '../../src/http/base.js';
import { armPlugin } from '../../src/http/arm/plugin.js';
import { armFrameworkErrors } from '../../src/http/arm/framework-errors.js';
import type { FastifyInstance } from 'fastify';
import { createProviders, type ProviderRegistry, type ProvidersDeps } from '../../src/providers/index.js';
import { createHarness } from './stores.js';
import { createTestTokens, type TestTokens } from './arm-tokens.js';

export const BASE_URL = 'https://keyless.test:8443';

export interface ArmTestApp {
  app: FastifyInstance;
  store: Store;
  tokens: TestTokens;
  tenantId: string;
  subscriptionId: string;
  otherTenantId: string;
  otherSubscriptionId: string;
  /** `Bearer <token>` for the main tenant. */
  auth: string;
  /** The providers mounted (as the server builds them, over the test app's store). */
  registry: ProviderRegistry;
  close(): Promise<void>;
}

/** What the providers get besides the test app's store (RBAC and join tokens: absent unless given). */
export interface ArmTestAppOptions {
  onIdentitiesChanged?: () => void;
  rbac?(store: Store): ProvidersDeps['rbac'];
  hosts?(store: Store, registry: () => ProviderRegistry): ProvidersDeps['hosts'];
}

export async function createArmTestApp(engine: 'sqlite' | 'postgres' = 'sqlite', options: ArmTestAppOptions = {}): Promise<ArmTestApp> {
  const harness = createHarness(engine);
  const store = await harness.open();
  const tenantId = randomIds.newGuid();
  const otherTenantId = randomIds.newGuid();
  const subscriptionId = randomIds.newGuid();
  const otherSubscriptionId = randomIds.newGuid();
  const now = new Date().toISOString();
  await store.tenants.insert({ id: tenantId, displayName: 'Keyless Directory', defaultDomain: 'keyless.local', createdAt: now });
  await store.tenants.insert({ id: otherTenantId, displayName: 'Other Directory', defaultDomain: 'other.local', createdAt: now });
  await store.subscriptions.insert({ id: subscriptionId, tenantId, displayName: 'Keyless Subscription', state: 'Enabled', createdAt: now });
  await store.subscriptions.insert({ id: otherSubscriptionId, tenantId: otherTenantId, displayName: 'Other', state: 'Enabled', createdAt: now });
  const tokens = await createTestTokens();
  const deps = { store, clock: systemClock, ids: randomIds };
  const app = createBaseFastify({ frameworkErrors: armFrameworkErrors });
  const subscriptions = createSubscriptionService(store);
  const built: { current?: ProviderRegistry } = {};
  const registry = createProviders({
    ...deps,
    registrations: store.registrations,
    resources: {
      subscriptions,
      resourceGroups: createResourceGroupService(deps),
      operations: createOperationService({ operations: store.operations, clock: systemClock, ids: randomIds }),
    },
    ...(options.rbac ? { rbac: options.rbac(store) } : {}),
    ...(options.hosts ? { hosts: options.hosts(store, () => built.current!) } : {}),
    ...(options.onIdentitiesChanged ? { onIdentitiesChanged: options.onIdentitiesChanged } : {}),
  });
  built.current = registry;
  await app.register(
    armPlugin({
      subscriptions,
      verifier: tokens.verifier,
      clock: systemClock,
      baseUrl: () => BASE_URL,
      defaultTenantId: tenantId,
      providers: registry.providers,
    }),
  );
  await app.ready();
  return {
    app,
    store,
    tokens,
    registry,
    tenantId,
    subscriptionId,
    otherTenantId,
    otherSubscriptionId,
    auth: `Bearer ${await tokens.issue(tenantId)}`,
    async close() {
      await app.close();
      await harness.dispose();
    },
  };
}
