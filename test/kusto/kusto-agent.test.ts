/**
 * `azure-kusto-data` with `ManagedIdentityCredential` on a VM, through `keyless agent` (IMDS-style
 * endpoint): the client asks the agent for a token for the audience the cluster's metadata names; the
 * VM's identity then needs a Kusto role (a database principal assignment by object id), as in ADX.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { ComputeManagementClient } from '@azure/arm-compute';
import { KustoManagementClient } from '@azure/arm-kusto';
import { ResourceManagementClient } from '@azure/arm-resources';
import { Client as KustoClient, KustoConnectionStringBuilder } from 'azure-kusto-data';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { startAgentProcess, type RunningAgent } from '../compat/agent-process.js';

const FAST = { updateIntervalInMs: 20 };

describe('azure-kusto-data with ManagedIdentityCredential through keyless agent', () => {
  let server: RunningKeyless;
  let agent: RunningAgent;
  before(async () => {
    server = await startKeyless({ via: 'node' });
  });
  after(async () => {
    await agent?.stop();
    await server?.dispose();
  });

  it("a VM's identity queries once it holds a database role, and is refused before", async () => {
    const b = server.bootstrap;
    const admin = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
    await new ResourceManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint }).resourceGroups.createOrUpdate('adx-vm', {
      location: 'westeurope',
    });
    const vm = await new ComputeManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint }).virtualMachines.beginCreateOrUpdateAndWait(
      'adx-vm',
      'query-vm',
      { location: 'westeurope', identity: { type: 'SystemAssigned' } },
      FAST,
    );
    const arm = new KustoManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint });
    const cluster = await arm.clusters.beginCreateOrUpdateAndWait(
      'adx-vm',
      'adxvm',
      { location: 'westeurope', sku: { name: 'Dev(No SLA)_Standard_E2a_v4', tier: 'Basic' } },
      FAST,
    );
    await arm.databases.beginCreateOrUpdateAndWait('adx-vm', 'adxvm', 'db', { kind: 'ReadWrite', location: 'westeurope' } as never, FAST);
    await arm.clusterPrincipalAssignments.beginCreateOrUpdateAndWait(
      'adx-vm',
      'adxvm',
      'admin',
      { principalId: b.clientId, principalType: 'App', role: 'AllDatabasesAdmin' },
      FAST,
    );
    const asAdmin = new KustoClient(KustoConnectionStringBuilder.withTokenCredential(cluster.uri!, admin));
    await asAdmin.execute('db', '.create table T (a:string)');
    asAdmin.close();

    agent = await startAgentProcess(['--data-dir', server.dataDir, '--resource', vm.id!, '--port', '0']);
    process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = agent.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];
    const client = new KustoClient(KustoConnectionStringBuilder.withTokenCredential(cluster.uri!, new ManagedIdentityCredential()));
    try {
      const refused = await client.execute('db', 'T | count').then(
        () => undefined,
        (e: { response?: { status: number } }) => e.response?.status,
      );
      assert.equal(refused, 403, 'no Kusto role yet');
      await arm.databasePrincipalAssignments.beginCreateOrUpdateAndWait(
        'adx-vm',
        'adxvm',
        'db',
        'vm-viewer',
        { principalId: vm.identity!.principalId!, principalType: 'App', role: 'Viewer' },
        FAST,
      );
      const result = await client.execute('db', 'T | count');
      assert.equal(result.primaryResults[0]!.toJSON().data[0]!['Count'], 0);
      // A database Admin (not AllDatabasesAdmin) may change that database's managed_identity policy, not the cluster's.
      const policy = '```[]```';
      assert.equal(
        await client.execute('db', `.alter database db policy managed_identity ${policy}`).then(
          () => 200,
          (e: { response?: { status: number } }) => e.response?.status,
        ),
        403,
      );
      await arm.databasePrincipalAssignments.beginCreateOrUpdateAndWait(
        'adx-vm',
        'adxvm',
        'db',
        'vm-admin',
        { principalId: vm.identity!.principalId!, principalType: 'App', role: 'Admin' },
        FAST,
      );
      await client.execute('db', `.alter database db policy managed_identity ${policy}`);
      assert.equal(
        await client.execute('db', `.alter cluster policy managed_identity ${policy}`).then(
          () => 200,
          (e: { response?: { status: number } }) => e.response?.status,
        ),
        403,
      );
    } finally {
      client.close();
      delete process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];
    }
  });
});
