/**
 * AKS through the official SDK, unmodified (`@azure/arm-containerservice` 25.x, its own api-version
 * and long-running polling), against `keyless serve` on both engines; then nodes: `npx keyless agent
 * --resource <agent pool id>` joins as a node of the pool, and unmodified workload code on the node
 * (`ManagedIdentityCredential({ clientId })`) gets the kubelet identity's tokens and never the
 * control-plane identity's; a kubelet-identity change reaches the node within a second.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { ContainerServiceClient, type ManagedCluster } from '@azure/arm-containerservice';
import { ManagedServiceIdentityClient, type Identity } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { armToken, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { runSdkClients, startAgentProcess, type RunningAgent } from './agent-process.js';

const RG = 'aks-rg';
const MIO = 'f1a07417-d97a-45cb-824c-7a7467783830';
const poll = { updateIntervalInMs: 20 };

for (const engine of ['sqlite', 'postgres'] as const)
  describe(`@azure/arm-containerservice and AKS nodes against \`keyless serve\` [${engine}]`, { timeout: 300_000 }, () => {
    let server: RunningKeyless;
    let database: TestDatabase | undefined;
    let aks: ContainerServiceClient;
    let msi: ManagedServiceIdentityClient;
    let cp: Identity;
    let kubelet: Identity;
    let kubelet2: Identity;
    let agent: RunningAgent | undefined;

    async function grant(principalId: string, role: string, scope: string): Promise<void> {
      const b = server.bootstrap;
      const res = await fetch(`${b.armEndpoint}${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${await armToken(b)}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          properties: {
            roleDefinitionId: `/subscriptions/${b.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
            principalId,
            principalType: 'ServicePrincipal',
          },
        }),
      });
      assert.equal(res.status, 201, await res.text());
    }

    before(async () => {
      database = engine === 'postgres' ? await createTestDatabase() : undefined;
      server = await startKeyless({ via: 'node', ...(database ? { databaseUrl: database.url } : {}) });
      const b = server.bootstrap;
      const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
      aks = new ContainerServiceClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
      msi = new ManagedServiceIdentityClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
      await new ResourceManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint }).resourceGroups.createOrUpdate(RG, { location: 'westus2' });
      cp = await msi.userAssignedIdentities.createOrUpdate(RG, 'cp-id', { location: 'westus2' });
      kubelet = await msi.userAssignedIdentities.createOrUpdate(RG, 'kubelet-id', { location: 'westus2' });
      kubelet2 = await msi.userAssignedIdentities.createOrUpdate(RG, 'kubelet-id2', { location: 'westus2' });
    });
    after(async () => {
      await agent?.stop();
      await server?.dispose();
      await database?.drop();
    });

    const clusterBody = (extra: Partial<ManagedCluster> = {}): ManagedCluster => ({
      location: 'westus2',
      dnsPrefix: 'aks1',
      agentPoolProfiles: [{ name: 'nodepool1', count: 2, vmSize: 'Standard_DS2_v2', mode: 'System', osType: 'Linux' }],
      ...extra,
    });

    it('a system-assigned cluster: create (LRO), get, lists, credentials, node image upgrade, delete (LRO)', async () => {
      const created = await aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'sys1', clusterBody({ identity: { type: 'SystemAssigned' } }), poll);
      assert.equal(created.provisioningState, 'Succeeded');
      assert.equal(created.identity?.type, 'SystemAssigned');
      assert.match(created.identity!.principalId!, /^[0-9a-f-]{36}$/);
      assert.equal(created.servicePrincipalProfile?.clientId, 'msi');
      assert.equal(created.nodeResourceGroup, 'MC_aks-rg_sys1_westus2');
      assert.match(
        created.identityProfile!['kubeletidentity']!.resourceId!,
        /\/resourcegroups\/MC_aks-rg_sys1_westus2\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/sys1-agentpool$/,
      );
      const names: string[] = [];
      for await (const c of aks.managedClusters.listByResourceGroup(RG)) names.push(c.name!);
      assert.deepEqual(names, ['sys1']);
      const pools: string[] = [];
      for await (const p of aks.agentPools.list(RG, 'sys1')) pools.push(p.name!);
      assert.deepEqual(pools, ['nodepool1']);
      const creds = await aks.managedClusters.listClusterUserCredentials(RG, 'sys1');
      assert.match(new TextDecoder().decode(creds.kubeconfigs![0]!.value!), /^apiVersion: v1\n/);
      const before = (await aks.agentPools.get(RG, 'sys1', 'nodepool1')).nodeImageVersion;
      await aks.agentPools.upgradeNodeImageVersion(RG, 'sys1', 'nodepool1', poll).pollUntilDone();
      assert.ok((await aks.agentPools.get(RG, 'sys1', 'nodepool1')).nodeImageVersion, before);
      await aks.managedClusters.delete(RG, 'sys1', poll).pollUntilDone();
      await assert.rejects(aks.managedClusters.get(RG, 'sys1'), (e: { statusCode?: number }) => e.statusCode === 404);
      await assert.rejects(
        new ResourceManagementClient(
          new ClientSecretCredential(server.bootstrap.tenantId, server.bootstrap.clientId, server.bootstrap.clientSecret, {
            authorityHost: server.bootstrap.authorityHost,
            disableInstanceDiscovery: true,
          }),
          server.bootstrap.subscriptionId,
          { endpoint: server.bootstrap.armEndpoint },
        ).resourceGroups.get('MC_aks-rg_sys1_westus2'),
        (e: { statusCode?: number }) => e.statusCode === 404,
        'the node resource group went with the cluster',
      );
    });

    it("a pre-created kubelet identity without Managed Identity Operator is AKS's 400, and nothing is created", async () => {
      await assert.rejects(
        aks.managedClusters.beginCreateOrUpdateAndWait(
          RG,
          'aks1',
          clusterBody({
            identity: { type: 'UserAssigned', userAssignedIdentities: { [cp.id!]: {} } },
            identityProfile: { kubeletidentity: { resourceId: kubelet.id! } },
          }),
          poll,
        ),
        (e: { statusCode?: number; code?: string; message?: string }) =>
          e.statusCode === 400 && e.code === 'CustomKubeletIdentityMissingPermissionError' && /Managed Identity Operator/.test(e.message ?? ''),
      );
      await assert.rejects(aks.managedClusters.get(RG, 'aks1'), (e: { statusCode?: number }) => e.statusCode === 404);
    });

    it("a user-assigned cluster with its kubelet identity; a node of its pool gets the kubelet token, never the control plane's", async () => {
      await grant(cp.principalId!, MIO, kubelet.id!);
      await grant(cp.principalId!, MIO, kubelet2.id!);
      const created = await aks.managedClusters.beginCreateOrUpdateAndWait(
        RG,
        'aks1',
        clusterBody({
          identity: { type: 'UserAssigned', userAssignedIdentities: { [cp.id!]: {} } },
          identityProfile: { kubeletidentity: { resourceId: kubelet.id! } },
        }),
        poll,
      );
      assert.equal(created.identity?.type, 'UserAssigned');
      assert.deepEqual(created.identity?.userAssignedIdentities?.[cp.id!], { principalId: cp.principalId, clientId: cp.clientId });
      assert.deepEqual(created.identityProfile!['kubeletidentity'], { resourceId: kubelet.id, clientId: kubelet.clientId, objectId: kubelet.principalId });

      const poolId = `${created.id}/agentPools/nodepool1`;
      agent = await startAgentProcess(['--data-dir', server.dataDir, '--resource', poolId, '--port', '0']);
      const results = await runSdkClients({ AZURE_POD_IDENTITY_AUTHORITY_HOST: agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST }, [
        { client: 'mic', kind: 'clientId', value: kubelet.clientId!, resource: 'https://management.azure.com' },
        { client: 'mic', kind: 'clientId', value: cp.clientId!, resource: 'https://management.azure.com' },
        { client: 'mic', kind: 'system', resource: 'https://management.azure.com' },
      ]);
      assert.ok(results[0]!.ok, results[0]!.error);
      const claims = JSON.parse(Buffer.from(results[0]!.token!.split('.')[1]!, 'base64url').toString());
      assert.equal(claims.oid, kubelet.principalId);
      assert.equal(claims.xms_mirid.toLowerCase(), kubelet.id!.toLowerCase());
      assert.equal(results[1]!.ok, false);
      assert.match(results[1]!.error!, /Identity not found/);
      assert.equal(results[2]!.ok, false, 'no system-assigned identity on a node');
    });

    it('a kubelet-identity change reaches the node within a second', async () => {
      const ask = (clientId: string) =>
        fetch(
          `${agent!.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com&client_id=${clientId}`,
          { headers: { Metadata: 'true' } },
        );
      assert.equal((await ask(kubelet.clientId!)).status, 200);
      assert.equal((await ask(kubelet2.clientId!)).status, 400);
      const current = await aks.managedClusters.get(RG, 'aks1');
      const start = performance.now();
      await aks.managedClusters.beginCreateOrUpdateAndWait(
        RG,
        'aks1',
        { ...current, identityProfile: { kubeletidentity: { resourceId: kubelet2.id! } } },
        poll,
      );
      const written = performance.now();
      let status = 0;
      while (performance.now() - written < 3000 && (status = (await ask(kubelet2.clientId!)).status) !== 200) {
        /* poll */
      }
      const elapsed = performance.now() - written;
      assert.equal(status, 200);
      assert.ok(elapsed < 1000, `the node served the new kubelet identity ${elapsed.toFixed(0)} ms after the write`);
      assert.equal((await ask(kubelet.clientId!)).status, 400, 'the old kubelet identity is refused');
      process.stdout.write(`# [${engine}] kubelet change → node token: write ${(written - start).toFixed(0)} ms, then ${elapsed.toFixed(0)} ms\n`);
    });

    it("an enabled add-on's identity is usable on the node; disabling the add-on stops it within a second", async () => {
      const ask = (clientId: string) =>
        fetch(
          `${agent!.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&client_id=${clientId}`,
          { headers: { Metadata: 'true' } },
        );
      const current = await aks.managedClusters.get(RG, 'aks1');
      const enabled = await aks.managedClusters.beginCreateOrUpdateAndWait(
        RG,
        'aks1',
        { ...current, addonProfiles: { azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: 'false' } } } },
        poll,
      );
      const addon = enabled.addonProfiles!['azureKeyvaultSecretsProvider']!.identity!;
      assert.match(
        addon.resourceId!,
        /\/resourcegroups\/MC_aks-rg_aks1_westus2\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/azurekeyvaultsecretsprovider-aks1$/,
      );
      let status = 0;
      const start = performance.now();
      while ((status = (await ask(addon.clientId!)).status) !== 200 && performance.now() - start < 3000) {
        /* poll */
      }
      assert.equal(status, 200);
      await aks.managedClusters.beginCreateOrUpdateAndWait(
        RG,
        'aks1',
        { ...enabled, addonProfiles: { azureKeyvaultSecretsProvider: { enabled: false } } },
        poll,
      );
      const off = performance.now();
      while ((status = (await ask(addon.clientId!)).status) === 200 && performance.now() - off < 3000) {
        /* poll */
      }
      assert.equal(status, 400);
      assert.ok(performance.now() - off < 1000, 'refused within a second');
    });

    it('deleting the cluster stops its nodes', async () => {
      const ask = () =>
        fetch(
          `${agent!.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com&client_id=${kubelet2.clientId}`,
          { headers: { Metadata: 'true' } },
        );
      assert.equal((await ask()).status, 200);
      await aks.managedClusters.delete(RG, 'aks1', poll).pollUntilDone();
      const start = performance.now();
      let status = 200;
      while (status === 200 && performance.now() - start < 3000) status = (await ask()).status;
      assert.equal(status, 400);
      assert.ok(performance.now() - start < 1000);
      assert.equal(
        (await msi.userAssignedIdentities.get(RG, 'kubelet-id2')).principalId,
        kubelet2.principalId,
        'a pre-created kubelet identity outlives the cluster',
      );
    });
  });
