/**
 * Helpers for the RBAC compat tests. Keyless has no API yet for registering applications, so a test
 * adds an application service principal with a client secret straight into the server's database
 * (the SQLite file of its data dir, or the shared PostgreSQL database), as an operator's tool would;
 * the server reads principals and secrets from the database on every token request.
 */
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { systemClock } from '../../src/core/clock.js';
import { addClientSecret } from '../../src/core/directory/bootstrap.js';
import { randomIds } from '../../src/core/ids.js';
import { clientSecretHasher } from '../../src/crypto/secrets.js';
import { sqliteFile, type BootstrapFile } from '../../src/server/data-dir.js';
import { openStore } from '../../src/storage/store.js';

export interface TestApp {
  objectId: string;
  clientId: string;
  secret: string;
  credential: ClientSecretCredential;
}

/** Registers an application principal with a secret in the server's database. */
export async function addTestApp(server: { dataDir: string; bootstrap: BootstrapFile }, displayName: string, databaseUrl?: string): Promise<TestApp> {
  const store = await openStore({ databaseUrl, sqliteFile: sqliteFile(server.dataDir) });
  try {
    const objectId = randomUUID();
    const clientId = randomUUID();
    await store.principals.insert({
      objectId,
      appId: clientId,
      tenantId: server.bootstrap.tenantId,
      displayName,
      kind: 'Application',
      resourceId: null,
      createdAt: new Date().toISOString(),
    });
    const { secret } = await addClientSecret(
      { store, ids: randomIds, clock: systemClock, secrets: clientSecretHasher },
      { tenantId: server.bootstrap.tenantId, appId: clientId },
      'test',
    );
    const credential = new ClientSecretCredential(server.bootstrap.tenantId, clientId, secret, {
      authorityHost: server.bootstrap.authorityHost,
      disableInstanceDiscovery: true,
    });
    return { objectId, clientId, secret, credential };
  } finally {
    await store.close();
  }
}

/** A bearer token for ARM from a credential. */
export async function armToken(credential: ClientSecretCredential): Promise<string> {
  return (await credential.getToken('https://management.azure.com/.default'))!.token;
}
