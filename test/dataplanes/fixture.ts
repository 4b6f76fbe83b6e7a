/**
 * Helpers for the data-plane tests: a storage account or vault record put straight into a running
 * server's database (what the Microsoft.Storage / Microsoft.KeyVault providers store), role
 * assignments through ARM, and tokens for the data planes' audiences.
 */
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { systemClock } from '../../src/core/clock.js';
import { createStorageAccountKeys } from '../../src/core/dataplanes/storage-keys.js';
import type { ResourceRecord } from '../../src/core/model.js';
import { createKeySealing, loadKeyEncryptionKey } from '../../src/crypto/key-sealing.js';
import { sqliteFile, type BootstrapFile } from '../../src/server/data-dir.js';
import { openStore } from '../../src/storage/store.js';

export const ROLES = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  uaa: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  rbacAdmin: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  blobReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  blobContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  blobOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  kvAdministrator: '00482a5a-887f-4fb3-b363-3b7fe8e74483',
  kvSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  kvSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  kvCryptoOfficer: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603',
  kvCryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424',
  kvCryptoServiceEncryptionUser: 'e147488a-f6f5-4113-8e2d-b22465e65bf6',
};

interface Server {
  dataDir: string;
  bootstrap: BootstrapFile;
}

/** Puts a resource record into the server's database, as a provider would (tests before the providers exist). */
export async function putResource(
  server: Server,
  input: { group: string; type: string; name: string; properties: Record<string, unknown>; location?: string },
  databaseUrl?: string,
): Promise<ResourceRecord> {
  const store = await openStore({ databaseUrl, sqliteFile: sqliteFile(server.dataDir) });
  try {
    const sub = server.bootstrap.subscriptionId;
    const now = new Date().toISOString();
    const record: ResourceRecord = {
      id: `/subscriptions/${sub}/resourceGroups/${input.group}/providers/${input.type}/${input.name}`,
      subscriptionId: sub,
      resourceGroup: input.group,
      type: input.type,
      name: input.name,
      location: input.location ?? 'westeurope',
      tags: {},
      kind: null,
      properties: input.properties,
      identity: null,
      sku: null,
      provisioningState: 'Succeeded',
      etag: randomUUID(),
      createdAt: now,
      updatedAt: now,
    };
    await store.resources.insert(record);
    return record;
  } finally {
    await store.close();
  }
}

/** A storage account record with its keys (sealed with the server's key encryption key). */
export async function putStorageAccount(
  server: Server,
  group: string,
  name: string,
  properties: Record<string, unknown> = {},
  databaseUrl?: string,
): Promise<{ id: string; keys: string[] }> {
  const record = await putResource(server, { group, type: 'Microsoft.Storage/storageAccounts', name, properties }, databaseUrl);
  const store = await openStore({ databaseUrl, sqliteFile: sqliteFile(server.dataDir) });
  try {
    const sealing = createKeySealing(await loadKeyEncryptionKey(server.dataDir, undefined));
    const keys = createStorageAccountKeys({ keys: store.storageAccountKeys, sealing, clock: systemClock });
    await keys.ensure(name);
    return { id: record.id, keys: (await keys.list(name)).map((k) => k.value) };
  } finally {
    await store.close();
  }
}

/** ARM REST as a given token. */
export async function arm(server: Server, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.bootstrap.armEndpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Assigns a role through ARM; returns the assignment's id. */
export async function assignRole(server: Server, token: string, scope: string, role: string, principalId: string): Promise<string> {
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`;
  const r = await arm(server, token, 'PUT', `${id}?api-version=2022-04-01`, {
    properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId, principalType: 'ServicePrincipal' },
  });
  if (r.status !== 201) throw new Error(`role assignment failed: ${r.status} ${JSON.stringify(r.body)}`);
  return id;
}

export async function removeRole(server: Server, token: string, assignmentId: string): Promise<void> {
  const r = await arm(server, token, 'DELETE', `${assignmentId}?api-version=2022-04-01`);
  if (r.status !== 200) throw new Error(`role removal failed: ${r.status}`);
}

export async function tokenFor(credential: TokenCredential, scope: string): Promise<string> {
  return (await credential.getToken(scope))!.token;
}
