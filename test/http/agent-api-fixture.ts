/**
 * The agent API and the ARM join action in-process (no listen) over a real store of either engine,
 * with the real key ring, signer threads and token service, a tenant and subscription, and a VM
 * resource record with a system-assigned identity written through the store in the stored-identity
 * format (src/core/identities/stored-identity.ts), as the Compute provider writes it.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../src/core/clock.js';
import { createHostAttestation, type HostAttestation } from '../../src/core/hosts/host-attestation.js';
import { createIdentityChangeNotifier, createIdentityWatch, type IdentityChangeNotifier } from '../../src/core/hosts/identity-watch.js';
import type { StoredResourceIdentity } from '../../src/core/identities/stored-identity.js';
import { randomIds } from '../../src/core/ids.js';
import type { ResourceRecord, ServicePrincipal } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { createOperationService } from '../../src/core/resources/operation-service.js';
import { createResourceGroupService } from '../../src/core/resources/resource-group-service.js';
import { createSubscriptionService } from '../../src/core/resources/subscription-service.js';
import { createManagedIdentityTokens } from '../../src/core/tokens/managed-identity.js';
import { createTokenService } from '../../src/core/tokens/token-service.js';
import { createKeyRing, type KeyRing } from '../../src/crypto/key-ring.js';
import { clientSecretHasher } from '../../src/crypto/secrets.js';
import { createSignerPool } from '../../src/crypto/signer-pool.js';
import { agentApiPlugin } from '../../src/http/agent-api/index.js';
import { createProviders } from '../../src/providers/index.js';
import { armFrameworkErrors } from '../../src/http/arm/framework-errors.js';
import { armPlugin } from '../../src/http/arm/plugin.js';
import { createBaseFastify } from '../../src/http/base.js';
import { createTestTokens } from '../support/arm-tokens.js';
import { createHarness, type EngineName } from '../support/stores.js';

export const BASE_URL = 'https://keyless.test:8443';

export interface AgentApiFixture {
  app: FastifyInstance;
  store: Store;
  keys: KeyRing;
  notifier: IdentityChangeNotifier;
  tenantId: string;
  subscriptionId: string;
  /** `Bearer <ARM token>`. */
  auth: string;
  /** Creates a VM record (system-assigned identity on unless `system: false`). */
  createVm(name: string, options?: { system?: boolean; userAssigned?: ServicePrincipal[] }): Promise<{ vm: ResourceRecord; system?: ServicePrincipal }>;
  /** Creates a user-assigned identity record and its principal. */
  createUami(name: string): Promise<ServicePrincipal>;
  /** Replaces the VM's stored identity block (attach/detach). */
  setIdentity(vm: ResourceRecord, identity: StoredResourceIdentity): Promise<void>;
  /** Join action + exchange: a host key for the VM. */
  hostKeyFor(vm: ResourceRecord): Promise<string>;
  close(): Promise<void>;
}

export async function createAgentApiFixture(engine: EngineName, options: { issuerMode?: 'keyless' | 'azure'; pollMs?: number } = {}): Promise<AgentApiFixture> {
  const harness = createHarness(engine);
  const store = await harness.open();
  const tenantId = randomUUID();
  const subscriptionId = randomUUID();
  const now = new Date().toISOString();
  await store.tenants.insert({ id: tenantId, displayName: 'Keyless Directory', defaultDomain: 'keyless.local', createdAt: now });
  await store.subscriptions.insert({ id: subscriptionId, tenantId, displayName: 'Sub', state: 'Enabled', createdAt: now });
  await store.resourceGroups.insert({
    subscriptionId,
    name: 'rg',
    location: 'westeurope',
    managedBy: null,
    tags: {},
    provisioningState: 'Succeeded',
    etag: randomUUID(),
    createdAt: now,
    updatedAt: now,
  });

  const keys = createKeyRing({ store, clock: systemClock, policy: { periodSeconds: 86400, maxTokenLifetimeSeconds: 86400 }, onError: () => undefined });
  await keys.start();
  const signer = createSignerPool({ threads: 1, key: keys.current() });
  const tokens = createTokenService({
    repos: store,
    signer,
    clock: systemClock,
    baseUrl: () => BASE_URL,
    secrets: clientSecretHasher,
    config: { appTokenLifetimeSeconds: 3599, issuerMode: options.issuerMode ?? 'keyless' },
  });
  const notifier = createIdentityChangeNotifier();
  // The providers as the server builds them; the join action of each host type comes with its provider.
  const attestation: { current?: HostAttestation } = {};
  const subscriptions = createSubscriptionService(store);
  const registry = createProviders({
    store,
    clock: systemClock,
    ids: randomIds,
    registrations: store.registrations,
    resources: {
      subscriptions,
      resourceGroups: createResourceGroupService({ store, clock: systemClock, ids: randomIds }),
      operations: createOperationService({ operations: store.operations, clock: systemClock, ids: randomIds }),
    },
    hosts: { issueJoinToken: (id, tenant) => attestation.current!.issueJoinToken(id, tenant) },
    onIdentitiesChanged: () => notifier.notify(),
  });
  const hosts = (attestation.current = createHostAttestation({ repos: store, clock: systemClock, hasher: clientSecretHasher, hostTypes: registry.hostTypes }));
  const armTokens = await createTestTokens();
  const app = createBaseFastify({ frameworkErrors: armFrameworkErrors });
  await app.register(
    armPlugin({
      subscriptions,
      verifier: armTokens.verifier,
      clock: systemClock,
      baseUrl: () => BASE_URL,
      defaultTenantId: tenantId,
      providers: registry.providers,
    }),
  );
  await app.register(
    agentApiPlugin({
      hosts,
      tokens: createManagedIdentityTokens({
        tokens,
        principals: store.principals,
        resources: store.resources,
        hostTypes: registry.hostTypes,
        lifetimeSeconds: 86399,
      }),
      watch: createIdentityWatch({
        principals: store.principals,
        resources: store.resources,
        hostTypes: registry.hostTypes,
        notifier,
        ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      }),
    }),
  );
  await app.ready();
  const auth = `Bearer ${await armTokens.issue(tenantId)}`;

  const principal = (resourceId: string, name: string): ServicePrincipal => ({
    objectId: randomUUID(),
    appId: randomUUID(),
    tenantId,
    displayName: name,
    kind: 'ManagedIdentity',
    resourceId,
    createdAt: new Date().toISOString(),
  });
  const record = (type: string, name: string, identity: Record<string, unknown> | null): ResourceRecord => {
    const at = new Date().toISOString();
    return {
      id: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/${type}/${name}`,
      subscriptionId,
      resourceGroup: 'rg',
      type,
      name,
      location: 'westeurope',
      tags: {},
      kind: null,
      properties: {},
      identity,
      sku: null,
      provisioningState: 'Succeeded',
      etag: randomUUID(),
      createdAt: at,
      updatedAt: at,
    };
  };

  return {
    app,
    store,
    keys,
    notifier,
    tenantId,
    subscriptionId,
    auth,
    async createVm(name, opts = {}) {
      const vm = record('Microsoft.Compute/virtualMachines', name, null);
      const system = opts.system === false ? undefined : principal(vm.id, name);
      const stored: StoredResourceIdentity = {
        systemAssigned: system !== undefined,
        ...(system ? { principalId: system.objectId, tenantId, clientId: system.appId } : {}),
        userAssignedIdentities: Object.fromEntries((opts.userAssigned ?? []).map((p) => [p.resourceId!, { principalId: p.objectId, clientId: p.appId }])),
      };
      vm.identity = stored as unknown as Record<string, unknown>;
      await store.transaction(async (tx) => {
        await tx.resources.insert(vm);
        if (system) await tx.principals.insert(system);
      });
      return { vm, ...(system ? { system } : {}) };
    },
    async createUami(name) {
      const uami = record('Microsoft.ManagedIdentity/userAssignedIdentities', name, null);
      const p = principal(uami.id, name);
      uami.properties = { principalId: p.objectId, clientId: p.appId, tenantId };
      await store.transaction(async (tx) => {
        await tx.resources.insert(uami);
        await tx.principals.insert(p);
      });
      return p;
    },
    async setIdentity(vm, identity) {
      const current = (await store.resources.get(vm.id))!;
      await store.resources.update({
        ...current,
        identity: identity as unknown as Record<string, unknown>,
        etag: randomUUID(),
        updatedAt: new Date().toISOString(),
      });
    },
    async hostKeyFor(vm) {
      const joined = await app.inject({ method: 'POST', url: `${vm.id}/keylessAgentJoin?api-version=2024-07-01`, headers: { authorization: auth } });
      if (joined.statusCode !== 200) throw new Error(`join action: ${joined.statusCode} ${joined.body}`);
      const exchanged = await app.inject({ method: 'POST', url: '/keyless/agent/v1/join', payload: { joinToken: joined.json().joinToken } });
      if (exchanged.statusCode !== 200) throw new Error(`exchange: ${exchanged.statusCode} ${exchanged.body}`);
      return exchanged.json().hostKey as string;
    },
    async close() {
      await app.close();
      await signer.close();
      keys.stop();
      await harness.dispose();
    },
  };
}
