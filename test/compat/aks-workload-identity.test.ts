/**
 * AKS workload identity end to end (issue 14 items 4 and 5), with unmodified SDKs against
 * `keyless serve` on both engines: a cluster with the OIDC issuer and workload identity
 * (@azure/arm-containerservice), its discovery document and JWKS served by Keyless, a user-assigned
 * identity trusting the cluster's issuer and a service account, `npx keyless agent --service-account
 * … --federated-token-file …` on a node writing the projected token and printing the webhook's
 * variables, `WorkloadIdentityCredential` getting the identity's token, signing-key rotation, another
 * cluster's token refused, a token path outside the agent's reach refused, and the credential's
 * deletion ending the exchanges.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContainerServiceClient, type ManagedCluster } from '@azure/arm-containerservice';
import { ManagedServiceIdentityClient, type Identity } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential, WorkloadIdentityCredential } from '@azure/identity';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { ENGINES } from '../support/stores.js';
import { runAgentExpectingFailure, startAgentProcess, type RunningAgent } from './agent-process.js';

const RG = 'wi-aks';
const SUBJECT = 'system:serviceaccount:default:workload';
const ARM = 'https://management.azure.com/.default';
const poll = { updateIntervalInMs: 20 };
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

for (const engine of ENGINES)
  describe(`AKS workload identity: OIDC issuer, node agent, WorkloadIdentityCredential [${engine}]`, { timeout: 300_000 }, () => {
    let server: RunningKeyless;
    let database: TestDatabase | undefined;
    let aks: ContainerServiceClient;
    let msi: ManagedServiceIdentityClient;
    let identity: Identity;
    let cluster: ManagedCluster;
    let issuerUrl: string;
    const agents: RunningAgent[] = [];
    const exportsOf = (agent: RunningAgent) => Object.fromEntries([...agent.output().matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

    const body = (extra: Partial<ManagedCluster> = {}): ManagedCluster => ({
      location: 'westus2',
      agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_DS2_v2', mode: 'System', osType: 'Linux' }],
      ...extra,
    });
    const poolId = (name: string) =>
      `/subscriptions/${server.bootstrap.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${name}/agentPools/nodepool1`;

    before(async () => {
      database = engine === 'postgres' ? await createTestDatabase() : undefined;
      server = await startKeyless({ via: 'node', ...(database ? { databaseUrl: database.url } : {}) });
      const b = server.bootstrap;
      const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
      aks = new ContainerServiceClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
      msi = new ManagedServiceIdentityClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
      await new ResourceManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint }).resourceGroups.createOrUpdate(RG, { location: 'westus2' });
      identity = await msi.userAssignedIdentities.createOrUpdate(RG, 'workload-id', { location: 'westus2' });
    });
    after(async () => {
      for (const agent of agents) await agent.stop();
      await server?.dispose();
      await database?.drop();
    });

    it('a cluster with the OIDC issuer and workload identity gets an issuer URL Keyless serves (discovery + JWKS)', async () => {
      cluster = await aks.managedClusters.beginCreateOrUpdateAndWait(
        RG,
        'wi1',
        body({
          oidcIssuerProfile: { enabled: true },
          securityProfile: { workloadIdentity: { enabled: true } },
        }),
        poll,
      );
      issuerUrl = cluster.oidcIssuerProfile!.issuerURL!;
      const b = server.bootstrap;
      assert.match(
        issuerUrl,
        new RegExp(`^${b.armEndpoint.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/oidc/${b.tenantId}/[0-9a-f-]{36}/$`),
        "AKS's shape, trailing slash included",
      );
      assert.equal(cluster.securityProfile?.workloadIdentity?.enabled, true);
      const discovery = (await (await fetch(`${issuerUrl}.well-known/openid-configuration`)).json()) as any;
      assert.deepEqual(discovery, {
        issuer: issuerUrl,
        jwks_uri: `${issuerUrl}openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
      const jwks = (await (await fetch(discovery.jwks_uri)).json()) as any;
      assert.equal(jwks.keys.length, 1);
      assert.deepEqual(Object.keys(jwks.keys[0]).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
      assert.match(jwks.keys[0].kid, /^[A-Za-z0-9_-]{43}$/, 'base64url SHA-256 of the public key');
      // The issuer URL stays the cluster's for ever (an update keeps it).
      const again = await aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'wi1', { ...body(), oidcIssuerProfile: { enabled: true } }, poll);
      assert.equal(again.oidcIssuerProfile?.issuerURL, issuerUrl);
      assert.equal((await fetch(`${b.armEndpoint}/oidc/${b.tenantId}/${randomGuid()}/openid/v1/jwks`)).status, 404);
    });

    it('workload identity without the OIDC issuer is refused, and nothing is created', async () => {
      await assert.rejects(
        aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'no-oidc', body({ securityProfile: { workloadIdentity: { enabled: true } } }), poll),
        (e: any) => e.statusCode === 400 && /requires the OIDC issuer/.test(e.message),
      );
      await assert.rejects(aks.managedClusters.get(RG, 'no-oidc'), (e: any) => e.statusCode === 404);
    });

    it("a node agent writes the service account's token and prints the webhook's variables; WorkloadIdentityCredential gets the identity's token", async () => {
      await msi.federatedIdentityCredentials.createOrUpdate(RG, 'workload-id', 'wi1-default', {
        issuer: issuerUrl,
        subject: SUBJECT,
        audiences: ['api://AzureADTokenExchange'],
      });
      const file = join(server.dataDir, 'wi', 'azure-identity-token');
      const agent = await startAgentProcess([
        '--data-dir',
        server.dataDir,
        '--resource',
        poolId('wi1'),
        '--port',
        '0',
        '--service-account',
        'default/workload',
        '--federated-token-file',
        file,
        '--workload-client-id',
        identity.clientId!,
      ]);
      agents.push(agent);
      const env = exportsOf(agent);
      const b = server.bootstrap;
      assert.deepEqual(
        { id: env.AZURE_CLIENT_ID, tenant: env.AZURE_TENANT_ID, file: env.AZURE_FEDERATED_TOKEN_FILE, host: env.AZURE_AUTHORITY_HOST },
        { id: identity.clientId, tenant: b.tenantId, file, host: b.armEndpoint },
      );
      const jwt = (await readFile(file, 'utf8')).trim();
      const claims = claimsOf(jwt);
      assert.equal(claims.iss, issuerUrl);
      assert.equal(claims.sub, SUBJECT);
      assert.deepEqual(claims.aud, ['api://AzureADTokenExchange']);
      assert.equal(claims.exp - claims.iat, 3600);
      assert.equal(claims['kubernetes.io'].namespace, 'default');
      assert.equal(claims['kubernetes.io'].serviceaccount.name, 'workload');
      assert.ok(claims['kubernetes.io'].node.name);

      const credential = new WorkloadIdentityCredential({
        tenantId: env.AZURE_TENANT_ID!,
        clientId: env.AZURE_CLIENT_ID!,
        tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE!,
        authorityHost: env.AZURE_AUTHORITY_HOST!,
        disableInstanceDiscovery: true,
      });
      const token = claimsOf((await credential.getToken(ARM)).token);
      assert.equal(token.appid, identity.clientId);
      assert.equal(token.xms_mirid.toLowerCase(), identity.id!.toLowerCase());
    });

    it('rotating the signing keys publishes old and new keys; tokens signed before still exchange', async () => {
      await aks.managedClusters.beginRotateServiceAccountSigningKeysAndWait(RG, 'wi1', poll);
      const jwks = (await (await fetch(`${issuerUrl}openid/v1/jwks`)).json()) as any;
      assert.equal(jwks.keys.length, 2);
      const file = join(server.dataDir, 'wi', 'azure-identity-token');
      const b = server.bootstrap;
      const credential = new WorkloadIdentityCredential({
        tenantId: b.tenantId,
        clientId: identity.clientId!,
        tokenFilePath: file,
        authorityHost: b.authorityHost,
        disableInstanceDiscovery: true,
      });
      assert.ok((await credential.getToken('https://vault.azure.net/.default')).token);
    });

    it("another cluster's service-account token for the same namespace and account is refused (AADSTS700211)", async () => {
      await aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'wi2', body({ oidcIssuerProfile: { enabled: true } }), poll);
      const file = join(server.dataDir, 'wi2', 'azure-identity-token');
      agents.push(
        await startAgentProcess([
          '--data-dir',
          server.dataDir,
          '--resource',
          poolId('wi2'),
          '--port',
          '0',
          '--service-account',
          'default/workload',
          '--federated-token-file',
          file,
        ]),
      );
      const b = server.bootstrap;
      const credential = new WorkloadIdentityCredential({
        tenantId: b.tenantId,
        clientId: identity.clientId!,
        tokenFilePath: file,
        authorityHost: b.authorityHost,
        disableInstanceDiscovery: true,
      });
      await assert.rejects(credential.getToken(ARM), /AADSTS700211/);
    });

    it('a token file outside what the agent may write is refused before anything is written', async () => {
      for (const path of ['/etc/keyless-test-token', join(server.dataDir, '..', 'escape-token')]) {
        const failed = await runAgentExpectingFailure([
          '--data-dir',
          server.dataDir,
          '--resource',
          poolId('wi1'),
          '--port',
          '0',
          '--service-account',
          'default/workload',
          '--federated-token-file',
          path,
        ]);
        assert.equal(failed.code, 2, failed.output);
        assert.match(failed.output, /--federated-token-file must be inside the agent's data dir/);
        assert.equal(existsSync(path), false);
      }
      const bad = await runAgentExpectingFailure([
        '--data-dir',
        server.dataDir,
        '--resource',
        poolId('wi1'),
        '--port',
        '0',
        '--service-account',
        'Default/Bad_Name',
        '--federated-token-file',
        join(server.dataDir, 'bad-token'),
      ]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.output, /Kubernetes names/);
      assert.equal(existsSync(join(server.dataDir, 'bad-token')), false);
    });

    it('deleting the federated credential ends the exchanges', async () => {
      await msi.federatedIdentityCredentials.delete(RG, 'workload-id', 'wi1-default');
      await new Promise((r) => setTimeout(r, 1100));
      const b = server.bootstrap;
      const credential = new WorkloadIdentityCredential({
        tenantId: b.tenantId,
        clientId: identity.clientId!,
        tokenFilePath: join(server.dataDir, 'wi', 'azure-identity-token'),
        authorityHost: b.authorityHost,
        disableInstanceDiscovery: true,
      });
      await assert.rejects(credential.getToken(ARM), /AADSTS70021/);
    });
  });

function randomGuid(): string {
  return '0a0b0c0d-0000-4000-8000-000000000000';
}
