/**
 * The whole Keyless server for the fuzz campaign, as `keyless serve` builds it (startServer over a
 * throwaway data dir and SQLite, or a PostgreSQL database), driven in-process through `app.inject`
 * (fast: no sockets, no TLS), with the bootstrap admin's tokens for ARM and Graph. It also listens
 * (TLS on 127.0.0.1:`port`) for callers that need a real socket (the host agent's upstream).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../src/core/ports.js';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/server/server.js';

export interface FuzzServer {
  app: FastifyInstance;
  store: Store;
  server: RunningServer;
  dataDir: string;
  /** The TLS port the server listens on (its CA is `${dataDir}/ca.pem`). */
  port: number;
  /** `SQLite …` or `PostgreSQL …`. */
  engine: string;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  /** `Bearer …` of the admin (Owner of the subscription) for ARM. */
  armAuth: string;
  /** `Bearer …` of the admin for Microsoft Graph. */
  graphAuth: string;
  close(): Promise<void>;
}

export interface FuzzServerOptions {
  /** A PostgreSQL database (test/support/postgres.ts createTestDatabase); default SQLite in the data dir. */
  databaseUrl?: string;
}

export async function startFuzzServer(options: FuzzServerOptions = {}): Promise<FuzzServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyless-fuzz-'));
  const config = loadConfig({ dataDir, host: '127.0.0.1', port: '0', logLevel: 'silent', databaseUrl: options.databaseUrl }, {});
  const server = await startServer(config);
  const { app, store, bootstrap } = server;
  const token = async (scope: string) => {
    const res = await app.inject({
      method: 'POST',
      url: `/${bootstrap.tenantId}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: bootstrap.clientId,
        client_secret: bootstrap.clientSecret,
        scope,
      }).toString(),
    });
    assert.equal(res.statusCode, 200, res.body);
    return `Bearer ${res.json().access_token}`;
  };
  return {
    app,
    store,
    server,
    dataDir,
    port: server.port,
    engine: server.storageDescription,
    tenantId: bootstrap.tenantId,
    subscriptionId: bootstrap.subscriptionId,
    clientId: bootstrap.clientId,
    clientSecret: bootstrap.clientSecret,
    armAuth: await token('https://management.azure.com/.default'),
    graphAuth: await token('https://graph.microsoft.com/.default'),
    async close() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Everything a refused request must leave alone: resources (with etags and principals), groups, role assignments and definitions, the subscription's registrations. */
export async function storeSnapshot(store: Store, subscriptionIds: readonly string[], tenantIds: readonly string[] = []): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  for (const sub of subscriptionIds) {
    let after: string | undefined;
    do {
      const page = await store.resources.listBySubscription(sub, { limit: 500, ...(after ? { after } : {}) });
      for (const r of page.items) {
        hash.update(`${r.id}|${r.etag}|${JSON.stringify(r.identity)}\n`);
        const p = await store.principals.getByResourceId(r.id);
        hash.update(`principal ${p?.objectId ?? '-'}\n`);
      }
      after = page.next;
    } while (after);
    const groups = await store.resourceGroups.list(sub, { limit: 1000 });
    for (const g of groups.items) hash.update(`rg ${g.name}|${g.etag}\n`);
  }
  const assignments = await store.roleAssignments.list({}, { limit: 1000 });
  for (const a of assignments.items) hash.update(`ra ${a.name}|${a.principalId}|${a.scope}\n`);
  for (const d of await store.roleDefinitions.list()) hash.update(`rd ${d.name}\n`);
  // The directory: app registrations with their secrets, and every service principal of the tenants.
  for (const tenant of tenantIds) {
    for (const app of await store.applications.list(tenant)) {
      hash.update(`app ${app.objectId}|${JSON.stringify(app)}\n`);
      for (const secret of await store.clientSecrets.listByApp(tenant, app.appId)) hash.update(`secret ${secret.id}\n`);
    }
    for (const p of await store.applications.listPrincipals(tenant)) hash.update(`sp ${p.objectId}|${p.appId}|${p.displayName}\n`);
  }
  return hash.digest('hex');
}
