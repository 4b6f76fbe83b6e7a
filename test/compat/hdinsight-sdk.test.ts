/**
 * HDInsight clusters with user-assigned identities through `@azure/arm-hdinsight` 1.2.1 (api 2021-06-01),
 * against `keyless serve`, on both engines: a Data Lake Gen2 account, a Key Vault key and an AAD DS
 * resource made through ARM and the data planes; roles assigned; Spark and Kafka clusters created;
 * the file system created and the key wrapped AS the identity (the data planes decide by RBAC: taking
 * the identity's vault role away makes rotation fail with Key Vault's error); every refusal leaves
 * nothing behind; secrets never come back from a GET nor sit in the database in clear; the cluster
 * cannot be joined by `keyless agent`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { HDInsightManagementClient, type ClusterCreateParametersExtended } from '@azure/arm-hdinsight';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { addTestApp } from './rbac-fixture.js';
import { arm, assignRole, removeRole, ROLES } from '../dataplanes/fixture.js';
import { runAgentExpectingFailure, startAgentProcess } from './agent-process.js';

const RG = 'hdi-rg';
const GATEWAY_PW = 'Gateway-Passw0rd!7x';
const SSH_PW = 'Ssh-Passw0rd!7x9';
const DOMAIN_PW = 'Domain-Passw0rd!7x';
const MI_OPERATOR = 'f1a07417-d97a-45cb-824c-7a7467783830';
const HDI_DOMAIN_CONTRIBUTOR = '8d8d5a11-05d3-4bda-a417-a08778121c7c';

/** The RestError's status, code and message (core-client reads HDInsight's flat body as well as ARM's envelope). */
async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { statusCode?: number; code?: string; message: string };
    return { status: err.statusCode ?? 0, code: String(err.code), message: err.message };
  }
  assert.fail('expected a refusal');
}

for (const engine of ['sqlite', 'postgres'] as const)
  describe(`HDInsight clusters with @azure/arm-hdinsight [${engine}]`, () => {
    let server: RunningKeyless;
    let database: TestDatabase | undefined;
    let hdi: HDInsightManagementClient;
    let admin: string;
    let adminVault: string;
    let sub: string;
    let port: string;
    let uami: { id: string; principalId: string };
    let other: { id: string; principalId: string };
    let shared: { id: string; principalId: string };
    let noUnwrap: { id: string; principalId: string };
    let policyKey: string;
    let accountId: string;
    let flatAccountId: string;
    let vaultId: string;
    let keyV1: string;
    let keyV2: string;
    let aaddsId: string;
    const group = () => `/subscriptions/${sub}/resourceGroups/${RG}`;
    const vaultUri = () => `https://hdikv1.vault.keyless.localhost:${port}`;

    const createKey = async (name: string) => {
      const r = await fetch(`https://127.0.0.1:${port}/.keyless-dataplane/vault/hdikv1/keys/${name}/create?api-version=7.4`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminVault}`, 'content-type': 'application/json', host: `hdikv1.vault.keyless.localhost:${port}` },
        body: JSON.stringify({ kty: 'RSA', key_size: 2048 }),
      });
      const body = (await r.json()) as { key: { kid: string } };
      assert.equal(r.status, 200, JSON.stringify(body));
      return body.key.kid.split('/').at(-1)!;
    };
    const dfs = (method: string, path: string) =>
      fetch(`https://127.0.0.1:${port}/hdiadls1/${path}`, { method, headers: { authorization: `Bearer ${adminStorage}`, 'x-ms-version': '2023-11-03' } });
    let adminStorage: string;

    const body = (
      kind: 'spark' | 'kafka',
      options: { fileSystem: string; identity?: string; cmk?: { keyName: string; keyVersion: string }; account?: string },
    ): ClusterCreateParametersExtended => {
      const msi = options.identity ?? uami.id;
      const account = options.account ?? accountId;
      const accountName = account.split('/').at(-1)!;
      const role = (name: string, count: number) => ({
        name,
        targetInstanceCount: count,
        hardwareProfile: { vmSize: 'Standard_E8_V3' },
        osProfile: { linuxOperatingSystemProfile: { username: 'sshuser', password: SSH_PW } },
        ...(kind === 'kafka' && name === 'workernode' ? { dataDisksGroups: [{ disksPerNode: 2 }] } : {}),
      });
      return {
        location: 'westus2',
        identity: { type: 'UserAssigned', userAssignedIdentities: { [msi]: {} } },
        properties: {
          clusterVersion: '5.1',
          osType: 'Linux',
          tier: 'Standard',
          clusterDefinition: {
            kind,
            configurations: {
              gateway: { 'restAuthCredential.isEnabled': true, 'restAuthCredential.username': 'admin', 'restAuthCredential.password': GATEWAY_PW },
            },
          },
          computeProfile: { roles: [role('headnode', 2), role('workernode', 3)] },
          storageProfile: {
            storageaccounts: [
              {
                name: `${accountName}.dfs.keyless.localhost:${port}`,
                isDefault: true,
                fileSystem: options.fileSystem,
                resourceId: account,
                msiResourceId: msi,
              },
            ],
          },
          ...(options.cmk
            ? {
                diskEncryptionProperties: {
                  vaultUri: vaultUri(),
                  keyName: options.cmk.keyName,
                  keyVersion: options.cmk.keyVersion,
                  encryptionAlgorithm: 'RSA-OAEP',
                  msiResourceId: msi,
                },
              }
            : {}),
        },
      };
    };
    const absent = async (name: string) =>
      assert.equal(
        (await arm(server, admin, 'GET', `${group()}/providers/Microsoft.HDInsight/clusters/${name}?api-version=2021-06-01`)).status,
        404,
        `${name} must not exist`,
      );

    before(async () => {
      database = engine === 'postgres' ? await createTestDatabase() : undefined;
      server = await startKeyless({ via: 'node', ...(database ? { databaseUrl: database.url } : {}) });
      const b = server.bootstrap;
      sub = b.subscriptionId;
      port = new URL(b.armEndpoint).port;
      const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
      admin = (await credential.getToken('https://management.azure.com/.default'))!.token;
      adminVault = (await credential.getToken('https://vault.azure.net/.default'))!.token;
      adminStorage = (await credential.getToken('https://storage.azure.com/.default'))!.token;
      hdi = new HDInsightManagementClient(credential, sub, { endpoint: b.armEndpoint });
      const ok = async (method: string, path: string, payload?: unknown, expect: number[] = [200, 201, 202]) => {
        const r = await arm(server, admin, method, path, payload);
        assert.ok(expect.includes(r.status), `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
        return r.body;
      };
      await ok('PUT', `${group()}?api-version=2021-04-01`, { location: 'westus2' });
      const identity = async (name: string, inGroup = group()) => {
        const r = await ok('PUT', `${inGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}?api-version=2023-01-31`, {
          location: 'westus2',
        });
        return { id: r.id as string, principalId: r.properties.principalId as string };
      };
      uami = await identity('hdi-msi');
      other = await identity('hdi-other');
      // An identity in a group of its own: a Contributor on the cluster's group cannot assign it.
      await ok('PUT', `/subscriptions/${sub}/resourceGroups/hdi-ids?api-version=2021-04-01`, { location: 'westus2' });
      shared = await identity('hdi-shared', `/subscriptions/${sub}/resourceGroups/hdi-ids`);
      noUnwrap = await identity('hdi-nounwrap');
      accountId = `${group()}/providers/Microsoft.Storage/storageAccounts/hdiadls1`;
      flatAccountId = `${group()}/providers/Microsoft.Storage/storageAccounts/hdiflat1`;
      await ok('PUT', `${accountId}?api-version=2022-09-01`, {
        location: 'westus2',
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
        properties: { isHnsEnabled: true },
      });
      await ok('PUT', `${flatAccountId}?api-version=2022-09-01`, { location: 'westus2', kind: 'StorageV2', sku: { name: 'Standard_LRS' }, properties: {} });
      vaultId = `${group()}/providers/Microsoft.KeyVault/vaults/hdikv1`;
      await ok('PUT', `${vaultId}?api-version=2022-07-01`, {
        location: 'westus2',
        properties: { tenantId: b.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true, softDeleteRetentionInDays: 7 },
      });
      aaddsId = `${group()}/providers/Microsoft.AAD/domainServices/contoso.onmicrosoft.com`;
      await ok('PUT', `${aaddsId}?api-version=2022-12-01`, { location: 'westus2', properties: { domainName: 'contoso.onmicrosoft.com' } });
      // The admin manages keys and reads the lake; the identity gets what HDInsight's docs prescribe.
      const adminOid = (JSON.parse(Buffer.from(admin.split('.')[1]!, 'base64url').toString()) as { oid: string }).oid;
      await assignRole(server, admin, vaultId, ROLES.kvCryptoOfficer, adminOid);
      await assignRole(server, admin, accountId, ROLES.blobReader, adminOid);
      keyV1 = await createKey('cluster-key');
      keyV2 = await createKey('cluster-key-2');
      await assignRole(server, admin, accountId, ROLES.blobOwner, uami.principalId);
      await assignRole(server, admin, flatAccountId, ROLES.blobOwner, uami.principalId);
      await assignRole(server, admin, aaddsId, HDI_DOMAIN_CONTRIBUTOR, uami.principalId);
      await assignRole(server, admin, accountId, ROLES.blobOwner, shared.principalId);
      await assignRole(server, admin, accountId, ROLES.blobOwner, noUnwrap.principalId);
      // A vault in the access-policy model: the identity gets keys get/wrapKey/unwrapKey, as HDInsight's CMK docs prescribe.
      const policy = (objectId: string, keys: string[]) => ({ tenantId: b.tenantId, objectId, permissions: { keys } });
      await ok('PUT', `${group()}/providers/Microsoft.KeyVault/vaults/hdikvpol?api-version=2022-07-01`, {
        location: 'westus2',
        properties: {
          tenantId: b.tenantId,
          sku: { family: 'A', name: 'standard' },
          enableRbacAuthorization: false,
          softDeleteRetentionInDays: 7,
          accessPolicies: [
            policy(adminOid, ['create', 'get']),
            policy(uami.principalId, ['get', 'wrapKey', 'unwrapKey']),
            policy(noUnwrap.principalId, ['get', 'wrapKey']),
          ],
        },
      });
      const made = await fetch(`https://127.0.0.1:${port}/.keyless-dataplane/vault/hdikvpol/keys/pol-key/create?api-version=7.4`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminVault}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kty: 'RSA', key_size: 2048 }),
      });
      assert.equal(made.status, 200);
      policyKey = ((await made.json()) as { key: { kid: string } }).key.kid.split('/').at(-1)!;
    });
    after(async () => {
      await server?.dispose();
      await database?.drop();
    });

    let kvAssignment: string;

    it('creates a Spark cluster on Data Lake Gen2: 200 + Azure-AsyncOperation, file system and directories created by the identity, no secret returned', async () => {
      const started = Date.now();
      const poller = await hdi.clusters.beginCreate(RG, 'spark1', body('spark', { fileSystem: 'spark1fs' }));
      const cluster = await poller.pollUntilDone();
      const elapsed = Date.now() - started;
      assert.equal(cluster.properties?.provisioningState, 'Succeeded');
      assert.equal(cluster.properties?.clusterState, 'Running');
      assert.equal(cluster.properties?.clusterDefinition.kind, 'spark');
      assert.match(cluster.properties!.clusterId!, /^[0-9a-f]{32}$/);
      assert.equal(cluster.properties?.storageProfile?.storageaccounts?.[0]?.msiResourceId, uami.id);
      assert.equal(cluster.identity?.type, 'UserAssigned');
      assert.equal(cluster.identity?.userAssignedIdentities?.[uami.id]?.principalId, uami.principalId);
      assert.ok(elapsed < 10_000, `create → Running took ${elapsed} ms`);
      // The wire: 200 on create (as Azure), Azure-AsyncOperation, no Location.
      const raw = await fetch(`${server.bootstrap.armEndpoint}${group()}/providers/Microsoft.HDInsight/clusters/spark1?api-version=2021-06-01`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      const text = await raw.text();
      for (const secret of [GATEWAY_PW, SSH_PW]) assert.ok(!text.includes(secret), 'GET never returns a secret');
      assert.ok(!text.includes('keylessService'));
      // The identity created the file system and HDInsight's default directories.
      assert.equal((await dfs('HEAD', 'spark1fs?resource=filesystem')).status, 200);
      const listed = (await (await dfs('GET', 'spark1fs?resource=filesystem&recursive=false')).json()) as { paths: { name: string }[] };
      assert.deepEqual(listed.paths.map((p) => p.name).sort(), ['hdp', 'tmp', 'user']);
      // The gateway password comes back only from getGatewaySettings, and sits sealed in the database.
      const gateway = await hdi.clusters.getGatewaySettings(RG, 'spark1');
      assert.deepEqual([gateway.userName, gateway.password], ['admin', GATEWAY_PW]);
      if (engine === 'sqlite') {
        const db = await readFile(join(server.dataDir, 'keyless.db'));
        const wal = await readFile(join(server.dataDir, 'keyless.db-wal')).catch(() => Buffer.alloc(0));
        for (const secret of [GATEWAY_PW, SSH_PW]) assert.ok(!db.includes(secret) && !wal.includes(secret), 'no secret in clear in the database');
      }
    });

    it('answers the create PUT with 200, Azure-AsyncOperation and no Location', async () => {
      const raw = await fetch(`${server.bootstrap.armEndpoint}${group()}/providers/Microsoft.HDInsight/clusters/raw1?api-version=2021-06-01`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body('spark', { fileSystem: 'raw1' })),
      });
      const answer = (await raw.json()) as { properties: { provisioningState: string; clusterState: string } };
      assert.equal(raw.status, 200, JSON.stringify(answer));
      assert.ok(raw.headers.get('azure-asyncoperation'));
      assert.equal(raw.headers.get('location'), null);
      assert.deepEqual([answer.properties.provisioningState, answer.properties.clusterState], ['InProgress', 'Accepted']);
      await hdi.clusters.beginDeleteAndWait(RG, 'raw1');
      await absent('raw1');
    });

    it('creates a Kafka cluster with a customer-managed key: the identity wraps a data key; rotation re-wraps it; without the vault role rotation fails', async () => {
      // Without a vault role the identity cannot read or wrap: Key Vault's refusal, nothing created (not even the file system).
      const noRole = await refusal(
        hdi.clusters.beginCreateAndWait(RG, 'kafkanokv', body('kafka', { fileSystem: 'kafkanokv', cmk: { keyName: 'cluster-key', keyVersion: keyV1 } })),
      );
      assert.equal(noRole.status, 400);
      assert.match(noRole.message, /Error accessing key vault[\s\S]*403 Forbidden/);
      await absent('kafkanokv');
      assert.equal((await dfs('HEAD', 'kafkanokv?resource=filesystem')).status, 404);
      kvAssignment = await assignRole(server, admin, vaultId, ROLES.kvCryptoServiceEncryptionUser, uami.principalId);
      const cluster = await hdi.clusters.beginCreateAndWait(
        RG,
        'kafka1',
        body('kafka', { fileSystem: 'kafka1fs', cmk: { keyName: 'cluster-key', keyVersion: keyV1 } }),
      );
      assert.equal(cluster.properties?.clusterDefinition.kind, 'kafka');
      assert.equal(cluster.properties?.diskEncryptionProperties?.keyName, 'cluster-key');
      await hdi.clusters.beginRotateDiskEncryptionKeyAndWait(RG, 'kafka1', { vaultUri: vaultUri(), keyName: 'cluster-key-2', keyVersion: keyV2 });
      const rotated = await hdi.clusters.get(RG, 'kafka1');
      assert.deepEqual(
        [rotated.properties?.diskEncryptionProperties?.keyName, rotated.properties?.diskEncryptionProperties?.keyVersion],
        ['cluster-key-2', keyV2],
      );
      // One node per role instance (2 head, 3 worker, 3 zookeeper nodes the RP adds), each with the key in use.
      const hosts = await hdi.virtualMachines.listHosts(RG, 'kafka1');
      assert.deepEqual(hosts.map((h) => h.name).sort(), [
        'hn0-kafka1',
        'hn1-kafka1',
        'wn0-kafka1',
        'wn1-kafka1',
        'wn2-kafka1',
        'zk0-kafka1',
        'zk1-kafka1',
        'zk2-kafka1',
      ]);
      assert.ok(
        hosts.every((h) => h.effectiveDiskEncryptionKeyUrl?.endsWith(`/keys/cluster-key-2/${keyV2}`)),
        JSON.stringify(hosts[0]),
      );
      // Key Vault decides, as the identity: without its role, unwrapping with the current key is refused.
      await removeRole(server, admin, kvAssignment);
      const refused = await refusal(
        hdi.clusters.beginRotateDiskEncryptionKeyAndWait(RG, 'kafka1', { vaultUri: vaultUri(), keyName: 'cluster-key', keyVersion: keyV1 }),
      );
      assert.equal(refused.status, 400);
      assert.match(refused.message, /Error accessing key vault[\s\S]*403 Forbidden/);
      assert.equal((await hdi.clusters.get(RG, 'kafka1')).properties?.diskEncryptionProperties?.keyName, 'cluster-key-2', 'nothing changed');
      kvAssignment = await assignRole(server, admin, vaultId, ROLES.kvCryptoServiceEncryptionUser, uami.principalId);
    });

    it('customer-managed key in an access-policy vault: get/wrapKey/unwrapKey suffice; without unwrapKey the create fails with ForbiddenByPolicy', async () => {
      const withPolicy = (name: string, identity: string) => {
        const b = body('kafka', { fileSystem: name, identity, cmk: { keyName: 'pol-key', keyVersion: policyKey } });
        b.properties!.diskEncryptionProperties!.vaultUri = `https://hdikvpol.vault.keyless.localhost:${port}`;
        return b;
      };
      const created = await hdi.clusters.beginCreateAndWait(RG, 'kafkapol', withPolicy('kafkapol', uami.id));
      assert.equal(created.properties?.diskEncryptionProperties?.keyName, 'pol-key');
      const refused = await refusal(hdi.clusters.beginCreateAndWait(RG, 'kafkapol2', withPolicy('kafkapol2', noUnwrap.id)));
      assert.equal(refused.status, 400);
      assert.match(refused.message, /403 Forbidden[\s\S]*unwrapKey permission/);
      await absent('kafkapol2');
      assert.equal((await dfs('HEAD', 'kafkapol2?resource=filesystem')).status, 404);
    });

    it("refuses a system-assigned identity and an msiResourceId not attached, in HDInsight's flat shape; nothing created", async () => {
      const system = { ...body('spark', { fileSystem: 'sys1' }), identity: { type: 'SystemAssigned' as const } };
      const a = await refusal(hdi.clusters.beginCreateAndWait(RG, 'sys1', system));
      assert.deepEqual([a.status, a.code], [400, 'BadRequest']);
      assert.match(a.message, /supports only user-assigned managed identities/);
      await absent('sys1');
      const detached = { ...body('spark', { fileSystem: 'det1' }), identity: { type: 'UserAssigned' as const, userAssignedIdentities: { [other.id]: {} } } };
      const b = await refusal(hdi.clusters.beginCreateAndWait(RG, 'det1', detached));
      assert.deepEqual([b.status, b.code], [400, 'BadRequest']);
      assert.match(b.message, /is not one of the cluster's identities/);
      await absent('det1');
      assert.equal((await dfs('HEAD', 'det1?resource=filesystem')).status, 404);
    });

    it('refuses an identity without Storage Blob Data Owner with StoragePermissionsBlockedForMsi (file system not created)', async () => {
      await assignRole(server, admin, accountId, ROLES.blobContributor, other.principalId);
      const r = await refusal(hdi.clusters.beginCreateAndWait(RG, 'noowner1', body('spark', { fileSystem: 'noowner1', identity: other.id })));
      assert.deepEqual([r.status, r.code], [400, 'StoragePermissionsBlockedForMsi']);
      assert.ok(r.message.includes(`Storage: ${accountId}, Managed Identity: ${other.id}`), r.message);
      assert.match(r.message, /'Storage Blob Data Owner' role/);
      await absent('noowner1');
      assert.equal((await dfs('HEAD', 'noowner1?resource=filesystem')).status, 404);
    });

    it('refuses a storage account without hierarchical namespace, a key that does not exist, bad names and missing gateway credentials', async () => {
      const flat = await refusal(hdi.clusters.beginCreateAndWait(RG, 'flat1', body('spark', { fileSystem: 'flat1', account: flatAccountId })));
      assert.equal(flat.status, 400);
      assert.match(flat.message, /hierarchical namespace/);
      await absent('flat1');
      const nokey = await refusal(
        hdi.clusters.beginCreateAndWait(RG, 'nokey1', body('kafka', { fileSystem: 'nokey1', cmk: { keyName: 'no-such-key', keyVersion: keyV1 } })),
      );
      assert.equal(nokey.status, 400);
      assert.match(nokey.message, /key name:no-such-key[\s\S]*404 KeyNotFound/);
      await absent('nokey1');
      assert.equal((await dfs('HEAD', 'nokey1?resource=filesystem')).status, 404, 'the file system made before the key check was rolled back');
      const badName = await refusal(hdi.clusters.beginCreateAndWait(RG, 'x', body('spark', { fileSystem: 'x1' })));
      assert.deepEqual([badName.status, badName.code], [400, 'BadRequest']);
      const noGateway = body('spark', { fileSystem: 'nogw1' });
      noGateway.properties!.clusterDefinition!.configurations = {};
      const gw = await refusal(hdi.clusters.beginCreateAndWait(RG, 'nogw1', noGateway));
      assert.equal(gw.status, 400);
      assert.match(gw.message, /gateway credentials are missing/);
      await absent('nogw1');
    });

    it('refuses a caller without Managed Identity Operator on the identity with LinkedAuthorizationFailed', async () => {
      const contributor = await addTestApp(server, 'hdi-contributor', database?.url);
      await assignRole(server, admin, group(), ROLES.contributor, contributor.objectId);
      const client = new HDInsightManagementClient(contributor.credential, sub, { endpoint: server.bootstrap.armEndpoint });
      const r = await refusal(client.clusters.beginCreateAndWait(RG, 'linked1', body('spark', { fileSystem: 'linked1', identity: shared.id })));
      assert.deepEqual([r.status, r.code], [403, 'LinkedAuthorizationFailed']);
      await absent('linked1');
      assert.ok(r.message.includes(shared.id), r.message);
      assert.equal((await dfs('HEAD', 'linked1?resource=filesystem')).status, 404);
      await assignRole(server, admin, shared.id, MI_OPERATOR, contributor.objectId);
      const created = await client.clusters.beginCreateAndWait(RG, 'linked1', body('spark', { fileSystem: 'linked1', identity: shared.id }));
      assert.equal(created.properties?.provisioningState, 'Succeeded');
    });

    it('ESP: needs the AAD DS resource and HDInsight Domain Services Contributor for the identity', async () => {
      const esp = (identity: string) => {
        const b = body('spark', { fileSystem: 'esp1', identity });
        b.identity = { type: 'UserAssigned', userAssignedIdentities: { [identity]: {} } };
        b.properties!.tier = 'Premium';
        b.properties!.securityProfile = {
          directoryType: 'ActiveDirectory',
          domain: 'contoso.onmicrosoft.com',
          aaddsResourceId: aaddsId,
          msiResourceId: identity,
          domainUsername: 'hdiadmin@contoso.onmicrosoft.com',
          domainUserPassword: DOMAIN_PW,
          clusterUsersGroupDNs: ['hdiusers'],
          ldapsUrls: ['ldaps://contoso.onmicrosoft.com:636'],
        };
        return b;
      };
      await assignRole(server, admin, accountId, ROLES.blobOwner, other.principalId);
      const refused = await refusal(hdi.clusters.beginCreateAndWait(RG, 'esp1', esp(other.id)));
      assert.equal(refused.status, 400);
      assert.match(refused.message, /HDInsight Domain Services Contributor/);
      await absent('esp1');
      const created = await hdi.clusters.beginCreateAndWait(RG, 'esp1', esp(uami.id));
      assert.equal(created.properties?.securityProfile?.domain, 'contoso.onmicrosoft.com');
      assert.equal(created.properties?.securityProfile?.domainUserPassword, undefined);
    });

    it('lists, patches tags, refuses script actions and the agent join, deletes', async () => {
      const names: string[] = [];
      for await (const c of hdi.clusters.listByResourceGroup(RG)) names.push(c.name!);
      assert.ok(names.includes('spark1') && names.includes('kafka1'));
      const patched = await hdi.clusters.update(RG, 'spark1', { tags: { team: 'data' } });
      assert.deepEqual(patched.tags, { team: 'data' });
      const script = await refusal(
        hdi.clusters.beginExecuteScriptActionsAndWait(RG, 'spark1', {
          persistOnSuccess: false,
          scriptActions: [{ name: 's', uri: 'https://example.com/s.sh', parameters: '', roles: ['headnode'] }],
        }),
      );
      assert.deepEqual([script.status, script.code], [400, 'BadRequest']);
      assert.match(script.message, /Script actions are not supported/);
      const clusterId = `${group()}/providers/Microsoft.HDInsight/clusters/spark1`;
      const join = await runAgentExpectingFailure(['--data-dir', server.dataDir, '--resource', clusterId, '--port', '0']);
      assert.notEqual(join.code, 0);
      assert.match(join.output, /usable only by the HDInsight service/);
      if (engine === 'sqlite') {
        // The same identity attached to a VM works there, as in Azure: its agent hands out a token that the lake accepts.
        const vm = await arm(server, admin, 'PUT', `${group()}/providers/Microsoft.Compute/virtualMachines/hdi-vm?api-version=2024-07-01`, {
          location: 'westus2',
          identity: { type: 'UserAssigned', userAssignedIdentities: { [uami.id]: {} } },
          properties: { hardwareProfile: { vmSize: 'Standard_B1s' } },
        });
        assert.ok(vm.status < 300, JSON.stringify(vm.body));
        const agent = await startAgentProcess(['--data-dir', server.dataDir, '--resource', vm.body.id, '--port', '0']);
        try {
          const url = `${agent.env.IDENTITY_ENDPOINT}?resource=${encodeURIComponent('https://storage.azure.com/')}&api-version=2019-08-01&mi_res_id=${encodeURIComponent(uami.id)}`;
          const issued = (await (await fetch(url, { headers: { 'x-identity-header': agent.env.IDENTITY_HEADER } })).json()) as { access_token: string };
          const listed = await fetch(`https://127.0.0.1:${port}/hdiadls1/spark1fs?resource=filesystem&recursive=false`, {
            headers: { authorization: `Bearer ${issued.access_token}`, 'x-ms-version': '2023-11-03' },
          });
          assert.equal(listed.status, 200);
        } finally {
          await agent.stop();
        }
      }
      await hdi.clusters.beginDeleteAndWait(RG, 'spark1');
      await absent('spark1');
      assert.equal((await dfs('HEAD', 'spark1fs?resource=filesystem')).status, 200, 'deleting the cluster keeps its storage, as in Azure');
    });
  });
