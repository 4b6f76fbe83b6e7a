/**
 * End to end as a user runs it: `npx keyless serve`, `npx keyless agent --data-dir … --resource <vm>`,
 * then unmodified Azure SDK clients (@azure/identity ManagedIdentityCredential, DefaultAzureCredential,
 * @azure/msal-node ManagedIdentityApplication) in a child process with only the printed variables.
 * Every token is verified with jose against the JWKS named by the authority's discovery document.
 *
 * The VM and identities are written straight into the server's SQLite file (in the stored-identity
 * format of src/core/identities/stored-identity.ts), standing in for the Compute/ManagedIdentity ARM
 * providers; the server sees them through its store like any other write (no in-process notify),
 * which also proves the watch's polling baseline.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { StoredResourceIdentity } from '../../src/core/identities/stored-identity.js';
import type { ResourceRecord, ServicePrincipal } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { openStore } from '../../src/storage/store.js';
import type { ClientResult, ClientStep } from '../agent/clients/get-tokens.js';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { runAgentExpectingFailure, runSdkClients, startAgentProcess, type RunningAgent } from './agent-process.js';

for (const engine of ['sqlite', 'postgres'] as const)
  describe(`keyless agent with real SDK clients [${engine}]`, () => {
    let db: TestDatabase | undefined;
    let kl: RunningKeyless;
    let store: Store;
    let jwks: JSONWebKeySet;
    let issuer: string;
    let agent: RunningAgent | undefined;
    const principals: Record<string, ServicePrincipal> = {};
    const vms: Record<string, ResourceRecord> = {};

    const mirid = (id: string) => id.replace('/resourceGroups/', '/resourcegroups/');
    const resourceIdOf = (type: string, name: string) => `/subscriptions/${kl.bootstrap.subscriptionId}/resourceGroups/rg/providers/${type}/${name}`;
    function principal(resourceId: string, name: string): ServicePrincipal {
      return {
        objectId: randomUUID(),
        appId: randomUUID(),
        tenantId: kl.bootstrap.tenantId,
        displayName: name,
        kind: 'ManagedIdentity',
        resourceId,
        createdAt: new Date().toISOString(),
      };
    }
    function record(type: string, name: string, identity: StoredResourceIdentity | null): ResourceRecord {
      const at = new Date().toISOString();
      return {
        id: resourceIdOf(type, name),
        subscriptionId: kl.bootstrap.subscriptionId,
        resourceGroup: 'rg',
        type,
        name,
        location: 'westeurope',
        tags: {},
        kind: null,
        properties: {},
        identity: identity as unknown as Record<string, unknown>,
        sku: null,
        provisioningState: 'Succeeded',
        etag: randomUUID(),
        createdAt: at,
        updatedAt: at,
      };
    }
    async function createUami(name: string): Promise<ServicePrincipal> {
      const p = principal(resourceIdOf('Microsoft.ManagedIdentity/userAssignedIdentities', name), name);
      await store.transaction(async (tx) => {
        await tx.resources.insert(record('Microsoft.ManagedIdentity/userAssignedIdentities', name, null));
        await tx.principals.insert(p);
      });
      return p;
    }
    async function createVm(name: string, userAssigned: ServicePrincipal[]): Promise<void> {
      const system = principal(resourceIdOf('Microsoft.Compute/virtualMachines', name), name);
      const vm = record('Microsoft.Compute/virtualMachines', name, {
        systemAssigned: true,
        principalId: system.objectId,
        tenantId: system.tenantId,
        clientId: system.appId,
        userAssignedIdentities: Object.fromEntries(userAssigned.map((u) => [u.resourceId!, { principalId: u.objectId, clientId: u.appId }])),
      });
      await store.transaction(async (tx) => {
        await tx.resources.insert(vm);
        await tx.principals.insert(system);
      });
      vms[name] = vm;
      principals[`${name}-system`] = system;
    }
    const agentArgs = (vm: string) => [
      '--data-dir',
      kl.dataDir,
      '--resource',
      vms[vm]?.id ?? resourceIdOf('Microsoft.Compute/virtualMachines', vm),
      '--port',
      '0',
    ];

    before(async () => {
      db = engine === 'postgres' ? await createTestDatabase(process.env.KEYLESS_TEST_PG_URL) : undefined;
      kl = await startKeyless(db ? { databaseUrl: db.url } : {});
      store = await openStore({ databaseUrl: db?.url, sqliteFile: join(kl.dataDir, 'keyless.db') });
      const discovery = (await (await fetch(`${kl.bootstrap.authorityHost}/${kl.bootstrap.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as {
        jwks_uri: string;
      };
      jwks = (await (await fetch(discovery.jwks_uri)).json()) as JSONWebKeySet;
      issuer = `${kl.bootstrap.authorityHost}/${kl.bootstrap.tenantId}/`;
      principals['app'] = await createUami('app');
      principals['other'] = await createUami('other');
      await createVm('vm1', [principals['app']!]);
      await createVm('vm2', [principals['other']!]);
      agent = await startAgentProcess(agentArgs('vm1'));
    });
    after(async () => {
      await agent?.stop();
      await store?.close();
      await kl?.dispose();
      await db?.drop();
    });

    async function verify(result: ClientResult | undefined, step: ClientStep, identity: ServicePrincipal): Promise<void> {
      const label = `${step.client}/${step.kind} ${step.resource}`;
      assert.ok(result?.ok, `${label}: ${result?.error}`);
      const { payload } = await jwtVerify(result.token!, createLocalJWKSet(jwks), { issuer, audience: step.resource });
      assert.equal(payload.oid, identity.objectId, label);
      assert.equal(payload.sub, identity.objectId, label);
      assert.equal(payload.appid, identity.appId, label);
      assert.equal(payload.tid, kl.bootstrap.tenantId, label);
      assert.equal(payload.idtyp, 'app', label);
      assert.equal(payload.xms_mirid, mirid(identity.resourceId!), label);
      assert.ok(payload.exp! - Date.now() / 1000 > 23 * 3600, `${label}: lives about 24 h`);
    }

    function plan(prefix: string, rows: Array<[ClientStep['client'], ClientStep['kind']]>) {
      return rows.map(([client, kind]) => {
        const identity = kind === 'system' ? principals['vm1-system']! : principals['app']!;
        const value = kind === 'system' ? undefined : kind === 'clientId' ? identity.appId : kind === 'objectId' ? identity.objectId : identity.resourceId!;
        return { step: { client, kind, value, resource: `api://${prefix}-${client}-${kind.toLowerCase()}` } as ClientStep, identity };
      });
    }

    it('prints the variables, one per line, and keeps the host key in the data dir (0600)', async () => {
      assert.match(agent!.output(), /^export AZURE_POD_IDENTITY_AUTHORITY_HOST=http:\/\/127\.0\.0\.1:\d+$/m);
      assert.match(agent!.output(), /^export IDENTITY_ENDPOINT=http:\/\/127\.0\.0\.1:\d+\/\S+$/m);
      assert.match(agent!.output(), /^export IDENTITY_HEADER=\S{20,}$/m);
      const { readdir } = await import('node:fs/promises');
      const files = await readdir(join(kl.dataDir, 'agents'));
      assert.equal(files.length, 1);
      assert.equal((await stat(join(kl.dataDir, 'agents', files[0]!))).mode & 0o777, 0o600);
    });

    it('IMDS style: ManagedIdentityCredential, DefaultAzureCredential and msal-node, system- and user-assigned', async () => {
      const planned = plan('imds', [
        ['mic', 'system'],
        ['mic', 'clientId'],
        ['mic', 'objectId'],
        ['mic', 'resourceId'],
        ['dac', 'system'],
        ['dac', 'clientId'],
        ['msal', 'system'],
        ['msal', 'clientId'],
        ['msal', 'resourceId'],
      ]);
      const refused: ClientStep[] = [
        { client: 'mic', kind: 'clientId', value: principals['other']!.appId, resource: 'https://management.azure.com' },
        { client: 'mic', kind: 'objectId', value: principals['vm2-system']!.objectId, resource: 'https://management.azure.com' },
        { client: 'mic', kind: 'clientId', value: randomUUID(), resource: 'https://management.azure.com' },
      ];
      const results = await runSdkClients({ AZURE_POD_IDENTITY_AUTHORITY_HOST: agent!.env.AZURE_POD_IDENTITY_AUTHORITY_HOST }, [
        ...planned.map((p) => p.step),
        ...refused,
      ]);
      for (const [i, { step, identity }] of planned.entries()) await verify(results[i], step, identity);
      for (const result of results.slice(planned.length)) {
        assert.equal(result.ok, false);
        assert.match(result.error!, /Identity not found/);
      }
    });

    it('App Service style: IDENTITY_ENDPOINT + IDENTITY_HEADER', async () => {
      const planned = plan('appsvc', [
        ['mic', 'system'],
        ['mic', 'clientId'],
        ['msal', 'objectId'],
        ['msal', 'resourceId'],
      ]);
      const results = await runSdkClients(
        { IDENTITY_ENDPOINT: agent!.env.IDENTITY_ENDPOINT, IDENTITY_HEADER: agent!.env.IDENTITY_HEADER },
        planned.map((p) => p.step),
      );
      for (const [i, { step, identity }] of planned.entries()) await verify(results[i], step, identity);
    });

    it('a forged host key and a replayed join token are refused by the server', async () => {
      const forged = await fetch(`${kl.bootstrap.armEndpoint}/keyless/agent/v1/token`, {
        method: 'POST',
        headers: { authorization: `KeylessHost khk.${'A'.repeat(16)}.${'B'.repeat(43)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ identity: { kind: 'system' }, resource: 'api://x' }),
      });
      assert.equal(forged.status, 401);
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: kl.bootstrap.clientId,
        client_secret: kl.bootstrap.clientSecret,
        scope: 'https://management.azure.com/.default',
      });
      const { access_token } = (await (
        await fetch(`${kl.bootstrap.authorityHost}/${kl.bootstrap.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form })
      ).json()) as { access_token: string };
      const joined = await fetch(`${kl.bootstrap.armEndpoint}${vms['vm2']!.id}/keylessAgentJoin?api-version=2024-07-01`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}` },
      });
      assert.equal(joined.status, 200);
      const { joinToken } = (await joined.json()) as { joinToken: string };
      const exchange = () =>
        fetch(`${kl.bootstrap.armEndpoint}/keyless/agent/v1/join`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ joinToken }),
        });
      assert.equal((await exchange()).status, 200);
      const replay = await exchange();
      assert.equal(replay.status, 401);
      assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'JoinTokenRefused');
    });

    it('a detached identity is refused at the agent within 1 s, even with a cached token', async () => {
      const url = `${agent!.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api://detach&client_id=${principals['app']!.appId}`;
      const ask = () => fetch(url, { headers: { Metadata: 'true' } });
      assert.equal((await ask()).status, 200, 'token cached before the detach');
      const vm = (await store.resources.get(vms['vm1']!.id))!;
      const detached = { ...(vm.identity as unknown as StoredResourceIdentity), userAssignedIdentities: {} };
      const start = performance.now();
      await store.resources.update({ ...vm, identity: detached as unknown as Record<string, unknown>, etag: randomUUID() });
      let status = 200;
      while (status === 200 && performance.now() - start < 3000) status = (await ask()).status;
      const elapsed = performance.now() - start;
      assert.equal(status, 400);
      assert.ok(elapsed < 1000, `refused after ${elapsed.toFixed(0)} ms`);
    });

    it('a restarted agent reuses its host key; a deleted VM is refused and the agent cannot rejoin', async () => {
      const { readdir, readFile } = await import('node:fs/promises');
      const keyFile = join(kl.dataDir, 'agents', (await readdir(join(kl.dataDir, 'agents')))[0]!);
      const savedKey = await readFile(keyFile, 'utf8');
      await agent!.stop();
      agent = await startAgentProcess(agentArgs('vm1'));
      assert.equal(await readFile(keyFile, 'utf8'), savedKey, 'the saved host key is reused, not replaced');
      const url = `${agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=api://deleted`;
      assert.equal((await fetch(url, { headers: { Metadata: 'true' } })).status, 200);
      const start = performance.now();
      await store.transaction(async (tx) => {
        await tx.resources.delete(vms['vm1']!.id);
        await tx.principals.deleteByResourceScope(vms['vm1']!.id);
      });
      let response = await fetch(url, { headers: { Metadata: 'true' } });
      while (response.status === 200 && performance.now() - start < 3000) response = await fetch(url, { headers: { Metadata: 'true' } });
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: 'Identity not found' });
      await agent.stop();
      agent = undefined;
      const rejoin = await runAgentExpectingFailure(agentArgs('vm1'));
      assert.equal(rejoin.code, 1);
      assert.match(rejoin.output, /was not found/);
    });

    it('usage errors exit 2 with a clear message', async () => {
      const missing = await runAgentExpectingFailure(['--data-dir', kl.dataDir]);
      assert.equal(missing.code, 2);
      assert.match(missing.output, /--resource <id> is required/);
      const bad = await runAgentExpectingFailure(['--data-dir', kl.dataDir, '--resource', '/subscriptions/x/resourceGroups/rg']);
      assert.equal(bad.code, 2);
      assert.match(bad.output, /must be the ARM id of a virtual machine/);
    });
  });
