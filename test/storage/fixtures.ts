/** Records for storage tests: valid shapes with unique ids, overridable field by field. */
import { randomUUID } from 'node:crypto';
import type {
  ClientSecretRecord,
  OperationRecord,
  ResourceGroup,
  ResourceRecord,
  ServicePrincipal,
  SigningKeyRecord,
  Subscription,
  Tenant,
} from '../../src/core/model.js';

export const T0 = '2024-05-01T10:00:00.000Z';

export function tenant(overrides: Partial<Tenant> = {}): Tenant {
  return { id: randomUUID(), displayName: 'Contoso', defaultDomain: 'contoso.keyless.local', createdAt: T0, ...overrides };
}

export function subscription(tenantId: string, overrides: Partial<Subscription> = {}): Subscription {
  return { id: randomUUID(), tenantId, displayName: 'Pay-As-You-Go', state: 'Enabled', createdAt: T0, ...overrides };
}

export function principal(tenantId: string, overrides: Partial<ServicePrincipal> = {}): ServicePrincipal {
  return {
    objectId: randomUUID(),
    appId: randomUUID(),
    tenantId,
    displayName: 'app',
    kind: 'Application',
    resourceId: null,
    createdAt: T0,
    ...overrides,
  };
}

export function clientSecret(tenantId: string, appId: string, overrides: Partial<ClientSecretRecord> = {}): ClientSecretRecord {
  return {
    id: randomUUID(),
    tenantId,
    appId,
    hash: 'scrypt$c2FsdA$ZGlnZXN0',
    hint: 'abc',
    displayName: 'ci',
    createdAt: T0,
    expiresAt: null,
    ...overrides,
  };
}

export function group(subscriptionId: string, name: string, overrides: Partial<ResourceGroup> = {}): ResourceGroup {
  return {
    subscriptionId,
    name,
    location: 'westeurope',
    managedBy: null,
    tags: {},
    provisioningState: 'Succeeded',
    etag: randomUUID(),
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export const IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';

/** A user-assigned identity `name` in group `rg`. */
export function resource(subscriptionId: string, rg: string, name: string, overrides: Partial<ResourceRecord> = {}): ResourceRecord {
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/${IDENTITY_TYPE}/${name}`,
    subscriptionId,
    resourceGroup: rg,
    type: IDENTITY_TYPE,
    name,
    location: 'westeurope',
    tags: {},
    kind: null,
    properties: { tenantId: randomUUID(), principalId: randomUUID(), clientId: randomUUID() },
    identity: null,
    sku: null,
    provisioningState: 'Succeeded',
    etag: randomUUID(),
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function signingKey(overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid: randomUUID().replace(/-/g, ''),
    privateKeyPem: '-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n',
    certificateDer: 'MIIB',
    createdAt: T0,
    activatesAt: T0,
    expiresAt: '2024-06-01T10:00:00.000Z',
    ...overrides,
  };
}

export function operation(subscriptionId: string, overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    id: randomUUID(),
    subscriptionId,
    resourceId: `/subscriptions/${subscriptionId}/resourceGroups/rg`,
    action: 'Microsoft.Resources/subscriptions/resourceGroups/delete',
    status: 'InProgress',
    startTime: T0,
    endTime: null,
    error: null,
    ...overrides,
  };
}

/** Runs `work` and returns the DomainError code it threw (fails when it did not throw). */
export async function errorCodeOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    return (error as { code?: string }).code ?? `non-domain error: ${String(error)}`;
  }
  throw new Error('expected the call to throw');
}
