/**
 * End to end, as a user of Azure does it: the control plane with `@azure/arm-storage` and
 * `@azure/arm-keyvault` (storage account: 202 + polling, keys, name checks; vault: tenant checked,
 * `vaultUri` on Keyless), then code on a VM — through `keyless agent`, with `ManagedIdentityCredential`
 * and the official data-plane clients on host-style names — reads a blob, reads a secret and unwraps a
 * key once its identity holds the roles, and is refused before and within a second after removal.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { ComputeManagementClient, type VirtualMachine } from '@azure/arm-compute';
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { ResourceManagementClient } from '@azure/arm-resources';
import { StorageManagementClient } from '@azure/arm-storage';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { startAgentProcess, type RunningAgent } from '../compat/agent-process.js';
import { arm, assignRole, removeRole, ROLES } from './fixture.js';
import { startSdkRunner, type SdkRunner } from './host-style.js';

describe('a VM identity reads a blob, a secret and unwraps a key through the agent', () => {
  let kl: RunningKeyless;
  let admin: ClientSecretCredential;
  let adminArm: string;
  let port: string;
  let accountId: string;
  let vaultId: string;
  let vaultUri: string;
  let blobEndpoint: string;
  let vm: VirtualMachine;
  let agent: RunningAgent;
  let runner: SdkRunner;
  let keyId: string;
  let wrapped: string;
  const HOSTS = ['mie2edata.blob.keyless.localhost', 'mie2edata.dfs.keyless.localhost', 'mie2evault.vault.keyless.localhost'];

  before(async () => {
    kl = await startKeyless({ via: 'node' });
    const b = kl.bootstrap;
    port = new URL(b.armEndpoint).port;
    admin = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
    adminArm = (await admin.getToken('https://management.azure.com/.default'))!.token;
    await new ResourceManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint }).resourceGroups.createOrUpdate('mi-data', {
      location: 'westeurope',
    });
  });
  after(async () => {
    await runner?.close();
    await agent?.stop();
    await kl?.dispose();
  });

  it('creates a storage account (long-running) and a vault with the management SDKs', async () => {
    const b = kl.bootstrap;
    const storage = new StorageManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint });
    const available = await storage.storageAccounts.checkNameAvailability({ name: 'mie2edata', type: 'Microsoft.Storage/storageAccounts' });
    assert.equal(available.nameAvailable, true, JSON.stringify(available));
    // arm-storage 20.0 sends `properties` only when one of its (partly mis-capitalised) flattened names
    // is set — `minimumTlsVersion` is spelled right; without it `isHnsEnabled` would not be sent at all.
    const account = await storage.storageAccounts
      .create(
        'mi-data',
        'mie2edata',
        { location: 'westeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2', isHnsEnabled: true, minimumTlsVersion: 'TLS1_2' } as never,
        { updateIntervalInMs: 50 } as never,
      )
      .pollUntilDone();
    accountId = account.id!;
    blobEndpoint = account.primaryEndpoints!.blob!;
    assert.equal(blobEndpoint, `https://mie2edata.blob.keyless.localhost:${port}/`);
    assert.equal(account.primaryEndpoints!.dfs, `https://mie2edata.dfs.keyless.localhost:${port}/`);
    assert.equal(account.isHnsEnabled, true, JSON.stringify(account));
    const keys = await storage.storageAccounts.listKeys('mi-data', 'mie2edata');
    assert.deepEqual(
      keys.keys!.map((k) => k.keyName),
      ['key1', 'key2'],
    );
    assert.equal(Buffer.from(keys.keys![0]!.value!, 'base64').length, 64);
    const taken = await storage.storageAccounts.checkNameAvailability({ name: 'mie2edata', type: 'Microsoft.Storage/storageAccounts' });
    assert.equal(taken.reason, 'AlreadyExists');
    // Names are global: another group may not take it.
    const again = await arm(
      kl,
      adminArm,
      'PUT',
      `/subscriptions/${b.subscriptionId}/resourceGroups/mi-data2/providers/Microsoft.Storage/storageAccounts/mie2edata?api-version=2023-05-01`,
      { location: 'westeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2' },
    );
    assert.equal(again.status, 404, 'the group does not exist');
    const bad = await arm(
      kl,
      adminArm,
      'PUT',
      `/subscriptions/${b.subscriptionId}/resourceGroups/mi-data/providers/Microsoft.Storage/storageAccounts/Bad_Name?api-version=2023-05-01`,
      { location: 'westeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2' },
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'AccountNameInvalid');

    const vaults = new KeyVaultManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint });
    const foreign = await arm(
      kl,
      adminArm,
      'PUT',
      `/subscriptions/${b.subscriptionId}/resourceGroups/mi-data/providers/Microsoft.KeyVault/vaults/mie2eother?api-version=2023-07-01`,
      {
        location: 'westeurope',
        properties: { tenantId: randomUUID(), sku: { family: 'A', name: 'standard' }, accessPolicies: [] },
      },
    );
    assert.equal(foreign.status, 400, JSON.stringify(foreign.body));
    const vault = await vaults.vaults.beginCreateOrUpdateAndWait(
      'mi-data',
      'mie2evault',
      {
        location: 'westeurope',
        properties: { tenantId: b.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true, accessPolicies: [] },
      } as never,
      { updateIntervalInMs: 50 } as never,
    );
    vaultId = vault.id!;
    vaultUri = vault.properties!.vaultUri!;
    assert.equal(vaultUri, `https://mie2evault.vault.keyless.localhost:${port}/`);
    assert.equal(vault.properties!.enableSoftDelete, true);
  });

  it("the admin seeds a blob, a secret and a key once it grants itself data roles (Azure's grant rule)", async () => {
    const b = kl.bootstrap;
    await assignRole(kl, adminArm, accountId, ROLES.blobOwner, await principalOf(adminArm));
    await assignRole(kl, adminArm, vaultId, ROLES.kvAdministrator, await principalOf(adminArm));
    const seeder = await startSdkRunner(HOSTS, {
      RUNNER_CREDENTIAL: 'secret',
      RUNNER_TENANT: b.tenantId,
      RUNNER_CLIENT_ID: b.clientId,
      RUNNER_SECRET: b.clientSecret,
      RUNNER_AUTHORITY: b.authorityHost,
      RUNNER_VAULT_URL: vaultUri,
      RUNNER_BLOB_URL: blobEndpoint,
    });
    try {
      assert.ok((await seeder.call('container:config', 'create')).ok);
      const up = await seeder.call('container:config', 'uploadBlockBlob', 'app.json', '{"feature":true}', 16);
      assert.equal((await seeder.call('blobtext:config/app.json', 'read')).value, '{"feature":true}');
      assert.ok(up.ok, up.message);
      assert.ok((await seeder.call('secrets', 'setSecret', 'db-password', 'pa55-7Qz')).ok);
      const key = await seeder.call('keys', 'createRsaKey', 'dek-wrapper');
      assert.ok(key.ok, key.message);
      keyId = key.value.id;
      const w = await seeder.call(`crypto:${keyId}`, 'wrapKey', 'RSA-OAEP', { $bytes: Buffer.alloc(32, 9).toString('base64') });
      wrapped = Buffer.from(w.value.result, 'base64url').toString('base64');
    } finally {
      await seeder.close();
    }
  });

  it('is refused before the roles, allowed with them, refused again within a second of their removal', async () => {
    const b = kl.bootstrap;
    vm = await new ComputeManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint }).virtualMachines.beginCreateOrUpdateAndWait(
      'mi-data',
      'app-vm',
      { location: 'westeurope', identity: { type: 'SystemAssigned' } },
      { updateIntervalInMs: 50 },
    );
    agent = await startAgentProcess(['--data-dir', kl.dataDir, '--resource', vm.id!, '--port', '0']);
    runner = await startSdkRunner(HOSTS, {
      RUNNER_CREDENTIAL: 'managed',
      AZURE_POD_IDENTITY_AUTHORITY_HOST: agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST,
      RUNNER_VAULT_URL: vaultUri,
      RUNNER_BLOB_URL: blobEndpoint,
    });
    const blob = () => runner.call('blobtext:config/app.json', 'read');
    const secret = () => runner.call('secrets', 'getSecret', 'db-password');
    const unwrap = () => runner.call(`crypto:${keyId}`, 'unwrapKey', 'RSA-OAEP', { $bytes: wrapped });

    assert.equal((await blob()).status, 403);
    assert.equal((await secret()).status, 403);
    assert.equal((await unwrap()).status, 403);

    const principal = vm.identity!.principalId!;
    const grants = [
      await assignRole(kl, adminArm, accountId, ROLES.blobReader, principal),
      await assignRole(kl, adminArm, vaultId, ROLES.kvSecretsUser, principal),
      await assignRole(kl, adminArm, `${vaultId}/keys/dek-wrapper`, ROLES.kvCryptoServiceEncryptionUser, principal),
    ];
    const got = await blob();
    assert.equal(got.value, '{"feature":true}', got.message);
    assert.equal((await secret()).value.value, 'pa55-7Qz');
    const unwrapped = await unwrap();
    assert.ok(unwrapped.ok, unwrapped.message);
    assert.ok(Buffer.from(unwrapped.value.result, 'base64url').equals(Buffer.alloc(32, 9)));

    // checkAccess explains the data-action decision like any other.
    const check = await arm(
      kl,
      adminArm,
      'POST',
      `${accountId}/blobServices/default/containers/config/providers/Microsoft.Authorization/checkAccess?api-version=2022-04-01`,
      { principalId: principal, dataAction: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read' },
    );
    assert.equal(check.status, 200, JSON.stringify(check.body));
    assert.equal(check.body.allowed, true);
    assert.equal(check.body.matchedAssignments[0].roleName, 'Storage Blob Data Reader');

    for (const g of grants) await removeRole(kl, adminArm, g);
    const removedAt = Date.now();
    for (const probe of [blob, secret, unwrap]) {
      for (;;) {
        const r = await probe();
        if (r.status === 403) break;
        assert.ok(Date.now() - removedAt < 1000, `still allowed ${Date.now() - removedAt} ms after the removal`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.ok(Date.now() - removedAt < 1000);
  });

  async function principalOf(token: string): Promise<string> {
    return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).oid as string;
  }
});
