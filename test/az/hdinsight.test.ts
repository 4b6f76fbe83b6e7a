/**
 * `az hdinsight` (Debian's azure-cli 2.45, api-version 2021-06-01) against `keyless serve`: a Spark
 * cluster on Data Lake Gen2 with `--storage-account <name> --storage-account-managed-identity <id>`
 * (az resolves the account by name, reads its dfs endpoint, asks billingSpecs for default VM sizes),
 * a Kafka cluster with a customer-managed key (`--encryption-* --assign-identity`), the refusal when
 * the identity lacks Storage Blob Data Owner, show / list / rotate-disk-encryption-key / delete.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { ClientSecretCredential } from '@azure/identity';
import { arm, assignRole, ROLES } from '../dataplanes/fixture.js';
import { azSession, azUnavailable, ok, type AzSession } from './helpers.js';

const skip = azUnavailable();
const PW = 'Http-Passw0rd!42x';

describe('az hdinsight against keyless serve', { skip, timeout: 300_000 }, () => {
  let server: RunningKeyless;
  let admin: AzSession;
  let port: string;
  let identityId: string;
  let principalId: string;
  let keyVersion: string;
  let keyVersion2: string;
  let vaultId: string;
  let accountId: string;
  let adminArm: string;

  before(async () => {
    server = await startKeyless({ via: 'node' });
    port = new URL(server.bootstrap.armEndpoint).port;
    admin = await azSession(server);
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/keyless.js'), 'az-setup', '--data-dir', server.dataDir]);
    ok(await admin.sh(stdout), 'az-setup lines');
    // Set-up through ARM and the data planes directly (each az call costs seconds); the cluster commands are az's.
    const b = server.bootstrap;
    const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
    adminArm = (await credential.getToken('https://management.azure.com/.default'))!.token;
    const vaultToken = (await credential.getToken('https://vault.azure.net/.default'))!.token;
    const oid = (JSON.parse(Buffer.from(adminArm.split('.')[1]!, 'base64url').toString()) as { oid: string }).oid;
    const group = `/subscriptions/${b.subscriptionId}/resourceGroups/hdi`;
    const put = async (path: string, body: unknown) => {
      const r = await arm(server, adminArm, 'PUT', path, body);
      assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    await put(`${group}?api-version=2021-04-01`, { location: 'westus2' });
    const identity = await put(`${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/hdi-msi?api-version=2023-01-31`, { location: 'westus2' });
    identityId = identity.id;
    principalId = identity.properties.principalId;
    accountId = `${group}/providers/Microsoft.Storage/storageAccounts/hdiazlake`;
    await put(`${accountId}?api-version=2022-09-01`, {
      location: 'westus2',
      kind: 'StorageV2',
      sku: { name: 'Standard_LRS' },
      properties: { isHnsEnabled: true },
    });
    vaultId = `${group}/providers/Microsoft.KeyVault/vaults/hdiazkv`;
    await put(`${vaultId}?api-version=2022-07-01`, {
      location: 'westus2',
      properties: { tenantId: b.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true },
    });
    await assignRole(server, adminArm, vaultId, ROLES.kvCryptoOfficer, oid);
    const createKey = async (name: string) => {
      const r = await fetch(`https://127.0.0.1:${port}/.keyless-dataplane/vault/hdiazkv/keys/${name}/create?api-version=7.4`, {
        method: 'POST',
        headers: { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json', host: `hdiazkv.vault.keyless.localhost:${port}` },
        body: JSON.stringify({ kty: 'RSA', key_size: 2048 }),
      });
      assert.equal(r.status, 200);
      return ((await r.json()) as { key: { kid: string } }).key.kid.split('/').at(-1)!;
    };
    keyVersion = await createKey('kafka-key');
    keyVersion2 = await createKey('kafka-key-2');
    await assignRole(server, adminArm, vaultId, ROLES.kvCryptoServiceEncryptionUser, principalId);
  });
  after(async () => {
    await server?.dispose();
  });

  it('refuses the create while the identity lacks Storage Blob Data Owner (StoragePermissionsBlockedForMsi), then creates the Spark cluster', async () => {
    const create = [
      'hdinsight',
      'create',
      '-n',
      'sparkaz',
      '-g',
      'hdi',
      '-t',
      'spark',
      '-p',
      PW,
      '--ssh-password',
      PW,
      '--storage-account',
      'hdiazlake',
      '--storage-account-managed-identity',
      identityId,
      '--storage-filesystem',
      'sparkfs',
      '-o',
      'json',
    ];
    const refused = await admin.az(create);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /StoragePermissionsBlockedForMsi|Storage Blob Data Owner/);
    assert.equal((await admin.az(['hdinsight', 'show', '-n', 'sparkaz', '-g', 'hdi'])).code, 3, 'nothing was created');
    await assignRole(server, adminArm, accountId, ROLES.blobOwner, principalId);
    const cluster = ok(await admin.az(create), 'hdinsight create').json;
    assert.equal(cluster.properties.provisioningState, 'Succeeded');
    assert.equal(cluster.properties.clusterState, 'Running');
    assert.equal(cluster.properties.storageProfile.storageaccounts[0].name, `hdiazlake.dfs.keyless.localhost:${port}`);
    assert.equal(cluster.properties.storageProfile.storageaccounts[0].fileSystem, 'sparkfs');
    // az took the default sizes from billingSpecs.
    assert.equal(cluster.properties.computeProfile.roles.find((r: { name: string }) => r.name === 'headnode').hardwareProfile.vmSize, 'standard_e8_v3');
    assert.ok(!JSON.stringify(cluster).includes(PW), 'no secret comes back');
  });

  it('creates a Kafka cluster with a customer-managed key, shows, lists, rotates the key and deletes', async () => {
    const kafka = ok(
      await admin.az([
        'hdinsight',
        'create',
        '-n',
        'kafkaaz',
        '-g',
        'hdi',
        '-t',
        'kafka',
        '-p',
        PW,
        '--ssh-password',
        PW,
        '--storage-account',
        'hdiazlake',
        '--storage-account-managed-identity',
        identityId,
        '--storage-filesystem',
        'kafkafs',
        '--workernode-data-disks-per-node',
        '2',
        '--assign-identity',
        identityId,
        '--encryption-vault-uri',
        `https://hdiazkv.vault.keyless.localhost:${port}`,
        '--encryption-key-name',
        'kafka-key',
        '--encryption-key-version',
        keyVersion,
        '-o',
        'json',
      ]),
      'kafka create',
    ).json;
    assert.equal(kafka.properties.diskEncryptionProperties.keyName, 'kafka-key');
    assert.equal(kafka.properties.diskEncryptionProperties.msiResourceId, identityId);
    const shown = ok(await admin.az(['hdinsight', 'show', '-n', 'kafkaaz', '-g', 'hdi', '-o', 'json']), 'show').json;
    assert.equal(shown.properties.clusterDefinition.kind, 'kafka');
    const names = ok(await admin.az(['hdinsight', 'list', '-g', 'hdi', '--query', '[].name', '-o', 'json']), 'list').json;
    assert.deepEqual(names.sort(), ['kafkaaz', 'sparkaz']);
    ok(
      await admin.az([
        'hdinsight',
        'rotate-disk-encryption-key',
        '-n',
        'kafkaaz',
        '-g',
        'hdi',
        '--encryption-vault-uri',
        `https://hdiazkv.vault.keyless.localhost:${port}`,
        '--encryption-key-name',
        'kafka-key-2',
        '--encryption-key-version',
        keyVersion2,
      ]),
      'rotate',
    );
    const rotated = ok(
      await admin.az(['hdinsight', 'show', '-n', 'kafkaaz', '-g', 'hdi', '--query', 'properties.diskEncryptionProperties.keyName', '-o', 'tsv']),
      'show',
    ).stdout.trim();
    assert.equal(rotated, 'kafka-key-2');
    ok(await admin.az(['hdinsight', 'delete', '-n', 'kafkaaz', '-g', 'hdi', '--yes']), 'delete');
    assert.equal((await admin.az(['hdinsight', 'show', '-n', 'kafkaaz', '-g', 'hdi'])).code, 3);
  });
});
