/**
 * `@azure/arm-kusto` 8.x, unmodified, against `keyless serve`: clusters with system- and
 * user-assigned identities (spaced type echoed, unspaced accepted, removal by null / None, the
 * system principal deleted with the cluster), defaults, `uri`/`dataIngestionUri`, start/stop,
 * `checkNameAvailability`, databases and principal assignments, and bad input refused with nothing written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { KustoManagementClient, type Cluster, type ReadWriteDatabase } from '@azure/arm-kusto';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { openStore } from '../../src/storage/store.js';
import { sqliteFile } from '../../src/server/data-dir.js';

const RG = 'adx-rg';
const FAST = { updateIntervalInMs: 20 };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function refusal(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { statusCode?: number; code?: string; message: string };
  }
  assert.fail('expected a refusal');
}

describe('Microsoft.Kusto through @azure/arm-kusto', () => {
  let server: RunningKeyless;
  let kusto: KustoManagementClient;
  let msi: ManagedServiceIdentityClient;
  let uaiA: { id: string; principalId: string; clientId: string };
  let uaiB: { id: string; principalId: string; clientId: string };

  before(async () => {
    server = await startKeyless({ via: 'node' });
    const b = server.bootstrap;
    const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
    kusto = new KustoManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
    msi = new ManagedServiceIdentityClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
    await new ResourceManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint }).resourceGroups.createOrUpdate(RG, { location: 'westeurope' });
    const a = await msi.userAssignedIdentities.createOrUpdate(RG, 'adx-a', { location: 'westeurope' });
    const c = await msi.userAssignedIdentities.createOrUpdate(RG, 'adx-b', { location: 'westeurope' });
    uaiA = { id: a.id!, principalId: a.principalId!, clientId: a.clientId! };
    uaiB = { id: c.id!, principalId: c.principalId!, clientId: c.clientId! };
  });
  after(async () => {
    await server?.dispose();
  });

  it('creates a cluster with both kinds of identity, echoes the spaced type, fills defaults and names the data plane', async () => {
    const cluster: Cluster = await kusto.clusters.beginCreateOrUpdateAndWait(
      RG,
      'adxmain',
      {
        location: 'West Europe',
        sku: { name: 'Standard_E2ads_v5', tier: 'Standard', capacity: 2 },
        identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [uaiA.id]: {}, [uaiB.id]: {} } },
      },
      FAST,
    );
    assert.equal(cluster.identity!.type, 'SystemAssigned, UserAssigned');
    assert.match(cluster.identity!.principalId!, GUID);
    assert.equal(cluster.identity!.tenantId, server.bootstrap.tenantId);
    const uais = cluster.identity!.userAssignedIdentities!;
    assert.equal(uais[uaiA.id]!.principalId, uaiA.principalId);
    assert.equal(uais[uaiB.id]!.clientId, uaiB.clientId);
    assert.equal(cluster.location, 'westeurope');
    assert.equal(cluster.provisioningState, 'Succeeded');
    assert.equal(cluster.state, 'Running');
    assert.equal(cluster.engineType, 'V3');
    assert.equal(cluster.enableAutoStop, true);
    assert.equal(cluster.publicNetworkAccess, 'Enabled');
    assert.equal(cluster.uri, `${server.bootstrap.armEndpoint}/kusto/adxmain`);
    assert.equal(cluster.dataIngestionUri, `${server.bootstrap.armEndpoint}/kusto/ingest-adxmain`);
    assert.deepEqual(cluster.sku, { name: 'Standard_E2ads_v5', tier: 'Standard', capacity: 2 });
  });

  it('accepts the unspaced type, detaches one identity with null, removes all with None; the system principal goes', async () => {
    const created = await kusto.clusters.beginCreateOrUpdateAndWait(
      RG,
      'adxidents',
      {
        location: 'westeurope',
        sku: { name: 'Dev(No SLA)_Standard_E2a_v4', tier: 'Basic' },
        identity: { type: 'SystemAssigned,UserAssigned' as never, userAssignedIdentities: { [uaiA.id]: {}, [uaiB.id]: {} } },
      },
      FAST,
    );
    assert.equal(created.identity!.type, 'SystemAssigned, UserAssigned');
    const systemPrincipal = created.identity!.principalId!;
    const patched = await kusto.clusters.beginUpdateAndWait(
      RG,
      'adxidents',
      { identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [uaiB.id]: null as never } } },
      FAST,
    );
    assert.deepEqual(Object.keys(patched.identity!.userAssignedIdentities!), [uaiA.id]);
    assert.equal(patched.identity!.principalId, systemPrincipal, 'the system identity is kept');
    const none = await kusto.clusters.beginUpdateAndWait(RG, 'adxidents', { identity: { type: 'None' } }, FAST);
    assert.equal(none.identity?.type ?? 'None', 'None');
    const store = await openStore({ sqliteFile: sqliteFile(server.dataDir) });
    try {
      assert.equal(await store.principals.getByObjectId(server.bootstrap.tenantId, systemPrincipal), undefined, 'the system-assigned principal was deleted');
    } finally {
      await store.close();
    }
  });

  it('lists by group and subscription, stops and starts, checks names', async () => {
    const inGroup: string[] = [];
    for await (const c of kusto.clusters.listByResourceGroup(RG)) inGroup.push(c.name!);
    assert.deepEqual(inGroup.sort(), ['adxidents', 'adxmain']);
    const inSub: string[] = [];
    for await (const c of kusto.clusters.list()) inSub.push(c.name!);
    assert.ok(inSub.includes('adxmain'));
    await kusto.clusters.beginStopAndWait(RG, 'adxidents', FAST);
    assert.equal((await kusto.clusters.get(RG, 'adxidents')).state, 'Stopped');
    // A stopped cluster's data plane answers Kusto's ClusterSuspendedException.
    const b = server.bootstrap;
    const kustoToken = (await new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, {
      authorityHost: b.authorityHost,
      disableInstanceDiscovery: true,
    }).getToken('https://kusto.keyless.localhost/.default'))!.token;
    const stopped = await fetch(`${(await kusto.clusters.get(RG, 'adxidents')).uri}/v1/rest/mgmt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kustoToken}`, 'content-type': 'application/json' },
      body: '{"csl": ".show tables"}',
    });
    assert.equal(stopped.status, 412);
    assert.equal(((await stopped.json()) as { error: { '@type': string } }).error['@type'], 'Kusto.Data.Exceptions.ClusterSuspendedException');
    // A stopped cluster stays stopped across an update.
    await kusto.clusters.beginUpdateAndWait(RG, 'adxidents', { tags: { t: '1' } }, FAST);
    assert.equal((await kusto.clusters.get(RG, 'adxidents')).state, 'Stopped');
    await kusto.clusters.beginStartAndWait(RG, 'adxidents', FAST);
    assert.equal((await kusto.clusters.get(RG, 'adxidents')).state, 'Running');
    const taken = await kusto.clusters.checkNameAvailability('westeurope', { name: 'adxmain', type: 'Microsoft.Kusto/clusters' });
    assert.deepEqual([taken.nameAvailable, taken.reason], [false, 'AlreadyExists']);
    const invalid = await kusto.clusters.checkNameAvailability('westeurope', { name: 'Bad-Name', type: 'Microsoft.Kusto/clusters' });
    assert.deepEqual([invalid.nameAvailable, invalid.reason], [false, 'Invalid']);
    assert.equal((await kusto.clusters.checkNameAvailability('westeurope', { name: 'freshname1', type: 'Microsoft.Kusto/clusters' })).nameAvailable, true);
  });

  it('creates ReadWrite databases and principal assignments of both levels', async () => {
    const db = (await kusto.databases.beginCreateOrUpdateAndWait(
      RG,
      'adxmain',
      'sales',
      { kind: 'ReadWrite', location: 'westeurope', softDeletePeriod: 'P365D', hotCachePeriod: 'P31D' } as ReadWriteDatabase,
      FAST,
    )) as ReadWriteDatabase;
    assert.equal(db.name, 'adxmain/sales');
    assert.equal(db.kind, 'ReadWrite');
    assert.equal(db.softDeletePeriod, 'P365D');
    assert.equal(db.hotCachePeriod, 'P31D');
    assert.equal(db.location, 'westeurope');
    const names: string[] = [];
    for await (const d of kusto.databases.listByCluster(RG, 'adxmain')) names.push(d.name!);
    assert.deepEqual(names, ['adxmain/sales']);
    assert.equal(
      (await kusto.databases.checkNameAvailability(RG, 'adxmain', { name: 'sales', type: 'Microsoft.Kusto/clusters/databases' })).nameAvailable,
      false,
    );

    const pa = await kusto.clusterPrincipalAssignments.beginCreateOrUpdateAndWait(
      RG,
      'adxmain',
      'admins',
      {
        principalId: server.bootstrap.clientId,
        principalType: 'App',
        role: 'AllDatabasesAdmin',
        tenantId: server.bootstrap.tenantId,
      },
      FAST,
    );
    assert.equal(pa.name, 'adxmain/admins');
    assert.equal(pa.role, 'AllDatabasesAdmin');
    assert.match(pa.aadObjectId!, GUID);
    const dbPa = await kusto.databasePrincipalAssignments.beginCreateOrUpdateAndWait(
      RG,
      'adxmain',
      'sales',
      'viewer-a',
      {
        principalId: uaiA.clientId,
        principalType: 'App',
        role: 'Viewer',
      },
      FAST,
    );
    assert.equal(dbPa.name, 'adxmain/sales/viewer-a');
    assert.equal(dbPa.aadObjectId, uaiA.principalId, 'a managed identity resolves by its client id to its object id');
    const pas: string[] = [];
    for await (const p of kusto.databasePrincipalAssignments.list(RG, 'adxmain', 'sales')) pas.push(p.name!);
    assert.deepEqual(pas, ['adxmain/sales/viewer-a']);
  });

  it('refuses bad input with ARM errors and writes nothing', async () => {
    const badType = await refusal(
      kusto.clusters.beginCreateOrUpdateAndWait(
        RG,
        'adxbad',
        { location: 'westeurope', sku: { name: 'Standard_E2ads_v5', tier: 'Standard' }, identity: { type: 'Everything' as never } },
        FAST,
      ),
    );
    assert.equal(badType.statusCode, 400);
    assert.match(badType.message, /identity\.type/);
    const noSku = await refusal(kusto.clusters.beginCreateOrUpdateAndWait(RG, 'adxbad', { location: 'westeurope' } as never, FAST));
    assert.equal(noSku.statusCode, 400);
    const badName = await refusal(
      kusto.clusters.beginCreateOrUpdateAndWait(RG, 'Bad_Name', { location: 'westeurope', sku: { name: 'Standard_E2ads_v5', tier: 'Standard' } }, FAST),
    );
    assert.equal(badName.statusCode, 400);
    const badTier = await refusal(
      kusto.clusters.beginCreateOrUpdateAndWait(RG, 'adxbad', { location: 'westeurope', sku: { name: 'Standard_E2ads_v5', tier: 'Gold' as never } }, FAST),
    );
    assert.equal(badTier.statusCode, 400);
    assert.equal((await refusal(kusto.clusters.get(RG, 'adxbad'))).statusCode, 404, 'nothing was written');
    const badRole = await refusal(
      kusto.clusterPrincipalAssignments.beginCreateOrUpdateAndWait(
        RG,
        'adxmain',
        'badrole',
        { principalId: server.bootstrap.clientId, principalType: 'App', role: 'Owner' as never },
        FAST,
      ),
    );
    assert.equal(badRole.statusCode, 400);
    const unknownApp = await refusal(
      kusto.clusterPrincipalAssignments.beginCreateOrUpdateAndWait(
        RG,
        'adxmain',
        'ghost',
        { principalId: '00000000-0000-0000-0000-000000000001', principalType: 'App', role: 'AllDatabasesViewer' },
        FAST,
      ),
    );
    assert.equal(unknownApp.statusCode, 400);
    assert.match(unknownApp.message, /AAD principal/);
    // The SDK validates durations itself: send this one raw.
    const b = server.bootstrap;
    const token = (await new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, {
      authorityHost: b.authorityHost,
      disableInstanceDiscovery: true,
    }).getToken('https://management.azure.com/.default'))!.token;
    const dbUrl = `${b.armEndpoint}/subscriptions/${b.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Kusto/clusters/adxmain/databases/baddb?api-version=2023-08-15`;
    const badPeriod = await fetch(dbUrl, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'ReadWrite', location: 'westeurope', properties: { softDeletePeriod: 'one year' } }),
    });
    assert.equal(badPeriod.status, 400);
    assert.match(((await badPeriod.json()) as { error: { message: string } }).error.message, /ISO-8601 duration/);
    assert.equal((await fetch(dbUrl, { headers: { authorization: `Bearer ${token}` } })).status, 404, 'nothing was written');
    const taken = await refusal(
      kusto.clusters.beginCreateOrUpdateAndWait(
        'other-rg-missing',
        'adxmain',
        { location: 'westeurope', sku: { name: 'Standard_E2ads_v5', tier: 'Standard' } },
        FAST,
      ),
    );
    assert.equal(taken.statusCode, 404, 'missing group');
  });

  it('deletes a cluster with its databases, assignments and system identity', async () => {
    const before = await kusto.clusters.get(RG, 'adxmain');
    await kusto.clusters.beginDeleteAndWait(RG, 'adxmain', FAST);
    assert.equal((await refusal(kusto.clusters.get(RG, 'adxmain'))).statusCode, 404);
    assert.equal((await refusal(kusto.databases.get(RG, 'adxmain', 'sales'))).statusCode, 404);
    const store = await openStore({ sqliteFile: sqliteFile(server.dataDir) });
    try {
      assert.equal(await store.principals.getByObjectId(server.bootstrap.tenantId, before.identity!.principalId!), undefined);
      assert.ok(await store.principals.getByObjectId(server.bootstrap.tenantId, uaiA.principalId), 'user-assigned identities stay');
    } finally {
      await store.close();
    }
  });
});
