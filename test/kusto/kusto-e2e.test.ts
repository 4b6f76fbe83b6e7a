/**
 * Issue 12's "done when", on both storage engines, with unmodified clients over real HTTPS:
 * `@azure/arm-kusto` creates a cluster with system- and user-assigned identities; `azure-kusto-data`
 * (withTokenCredential) creates tables, sets the managed_identity policy, ingests a CSV blob from
 * Keyless's Blob data plane as the cluster's identity (RBAC decides: Download_Forbidden until the
 * identity holds Storage Blob Data Reader), queries it, reads an external table as a user-assigned
 * identity, exports and continuously exports as an identity, and sees the exact refusal for a
 * disallowed flow; plus Kusto roles, audiences and bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { KustoManagementClient } from '@azure/arm-kusto';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { BlobServiceClient } from '@azure/storage-blob';
import { Client as KustoClient, KustoConnectionStringBuilder } from 'azure-kusto-data';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { addTestApp, armToken, type TestApp } from '../compat/rbac-fixture.js';
import { assignRole, putResource, removeRole, ROLES } from '../dataplanes/fixture.js';

const RG = 'adx-e2e';
const FAST = { updateIntervalInMs: 20 };
const DISABLED = 'Authentication with a Managed Identity is disabled for this flow';

/** The Kusto error a client call ends in: azure-kusto-data throws AxiosError with the body in `response.data`. */
async function kustoError(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const r = (e as { response?: { status: number; data: { error: { code: string; '@message': string } } } }).response;
    if (r) return { status: r.status, code: r.data.error.code, message: r.data.error['@message'] };
    throw e;
  }
  assert.fail('expected a Kusto error');
}

const rowsOf = (result: Awaited<ReturnType<KustoClient['execute']>>) => [...result.primaryResults[0]!.rows()].map((r) => r.toJSON() as Record<string, unknown>);

for (const engine of ['sqlite', 'postgres'] as const)
  describe(`Kusto clusters with managed identities, end to end [${engine}]`, () => {
    let server: RunningKeyless;
    let database: TestDatabase | undefined;
    let admin: ClientSecretCredential;
    let adminArm: string;
    let arm: KustoManagementClient;
    let kusto: KustoClient;
    let clusterUri: string;
    let systemPrincipal: string;
    let uai: { id: string; principalId: string };
    let accountId: string;
    let blobUrl: string;
    let viewer: TestApp;
    const CSV = 'Name,Amount,City\nalice,10,Paris\nbob,20,Lyon\ncarol,35,Paris\n"dave, jr",5,Nice\n';

    before(async () => {
      database = engine === 'postgres' ? await createTestDatabase() : undefined;
      server = await startKeyless({ via: 'node', ...(database ? { databaseUrl: database.url } : {}) });
      const b = server.bootstrap;
      admin = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
      adminArm = await armToken(admin);
      await new ResourceManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint }).resourceGroups.createOrUpdate(RG, { location: 'westeurope' });
      const identity = await new ManagedServiceIdentityClient(admin, b.subscriptionId, { endpoint: b.armEndpoint }).userAssignedIdentities.createOrUpdate(
        RG,
        'adx-reader',
        { location: 'westeurope' },
      );
      uai = { id: identity.id!, principalId: identity.principalId! };

      // A storage account with a CSV blob, written by the admin (Storage Blob Data Contributor).
      accountId = (
        await putResource(
          server,
          { group: RG, type: 'Microsoft.Storage/storageAccounts', name: `adxdata${engine === 'sqlite' ? 's' : 'p'}`, properties: {} },
          database?.url,
        )
      ).id;
      const account = accountId.split('/').pop()!;
      blobUrl = `${b.armEndpoint}/${account}`;
      await assignRole(server, adminArm, accountId, ROLES.blobContributor, await adminObjectId());
      const blobs = new BlobServiceClient(blobUrl, admin);
      await blobs.getContainerClient('input').create();
      await blobs.getContainerClient('input').getBlockBlobClient('sales.csv').upload(CSV, Buffer.byteLength(CSV));
      await blobs.getContainerClient('lake').create();
      await blobs.getContainerClient('lake').getBlockBlobClient('part1.csv').upload('x1,1\nx2,2\n', 10);
      await blobs.getContainerClient('lake').getBlockBlobClient('sub/part2.csv').upload('x3,3\n', 5);
      await blobs.getContainerClient('exports').create();

      arm = new KustoManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint });
      const cluster = await arm.clusters.beginCreateOrUpdateAndWait(
        RG,
        `adxe2e${engine === 'sqlite' ? 's' : 'p'}`,
        {
          location: 'westeurope',
          sku: { name: 'Dev(No SLA)_Standard_E2a_v4', tier: 'Basic', capacity: 1 },
          identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [uai.id]: {} } },
        },
        FAST,
      );
      clusterUri = cluster.uri!;
      systemPrincipal = cluster.identity!.principalId!;
      await arm.databases.beginCreateOrUpdateAndWait(RG, cluster.name!, 'sales', { kind: 'ReadWrite', location: 'westeurope' } as never, FAST);
      await arm.clusterPrincipalAssignments.beginCreateOrUpdateAndWait(
        RG,
        cluster.name!,
        'admin',
        { principalId: b.clientId, principalType: 'App', role: 'AllDatabasesAdmin' },
        FAST,
      );
      viewer = await addTestApp(server, 'adx-viewer', database?.url);
      await arm.databasePrincipalAssignments.beginCreateOrUpdateAndWait(
        RG,
        cluster.name!,
        'sales',
        'viewer',
        { principalId: viewer.clientId, principalType: 'App', role: 'Viewer' },
        FAST,
      );
      kusto = new KustoClient(KustoConnectionStringBuilder.withTokenCredential(clusterUri, admin));
    });
    after(async () => {
      kusto?.close();
      await server?.dispose();
      await database?.drop();
    });

    async function adminObjectId(): Promise<string> {
      const token = await armToken(admin);
      return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { oid: string }).oid;
    }

    it('serves the cloud metadata the client needs, and management commands with Kusto roles', async () => {
      const meta = (await (await fetch(`${new URL(clusterUri).origin}/v1/rest/auth/metadata`)).json()) as { AzureAD: Record<string, unknown> };
      assert.equal(meta.AzureAD['KustoServiceResourceId'], 'https://kusto.keyless.localhost');
      assert.equal(meta.AzureAD['LoginEndpoint'], server.bootstrap.authorityHost);
      await kusto.execute('sales', '.create table Sales (Name:string, Amount:long, City:string)');
      const tables = rowsOf(await kusto.execute('sales', '.show tables'));
      assert.deepEqual(
        tables.map((t) => t['TableName']),
        ['Sales'],
      );
      const schema = rowsOf(await kusto.execute('sales', '.show table Sales schema as json'))[0]!;
      assert.deepEqual(
        JSON.parse(String(schema['Schema'])).OrderedColumns.map((c: { Name: string; CslType: string }) => `${c.Name}:${c.CslType}`),
        ['Name:string', 'Amount:long', 'City:string'],
      );
    });

    it('refuses an identity the policy does not allow, then storage refuses it until RBAC grants it, then ingests as the identity', async () => {
      const ingest = `.ingest into table Sales (h'${blobUrl}/input/sales.csv;managed_identity=system') with (format='csv', ignoreFirstRecord=true)`;
      const noPolicy = await kustoError(kusto.execute('sales', ingest));
      assert.deepEqual([noPolicy.status, noPolicy.message], [400, DISABLED]);
      const policy = rowsOf(
        await kusto.execute('sales', `.alter cluster policy managed_identity \`\`\`[{"ObjectId": "system", "AllowedUsages": "NativeIngestion"}]\`\`\``),
      )[0]!;
      const shown = JSON.parse(String(policy['Policies']));
      assert.equal(shown[0].ObjectId, systemPrincipal);
      assert.equal(shown[0].IsSystem, true);
      assert.equal(shown[0].TenantId, server.bootstrap.tenantId);
      assert.equal(shown[0].AllowedUsages, 'NativeIngestion');
      // The identity is allowed by the policy, but holds no data role on the account: storage says no.
      const noRole = await kustoError(kusto.execute('sales', ingest));
      assert.equal(noRole.status, 400);
      assert.match(noRole.message, /^Download_Forbidden: .*\/input\/sales\.csv'/);
      assert.equal(rowsOf(await kusto.execute('sales', 'Sales | count'))[0]!['Count'], 0, 'nothing was ingested');
      const grant = await assignRole(server, adminArm, accountId, ROLES.blobReader, systemPrincipal);
      const loaded = rowsOf(await kusto.execute('sales', ingest))[0]!;
      assert.equal(loaded['HasErrors'], false);
      assert.equal(rowsOf(await kusto.execute('sales', 'Sales | count'))[0]!['Count'], 4);
      const paris = rowsOf(await kusto.execute('sales', "Sales | where City == 'Paris' and Amount > 10 | project Name, Amount"));
      assert.deepEqual(paris, [{ Name: 'carol', Amount: 35 }]);
      const byCity = rowsOf(await kusto.execute('sales', 'Sales | summarize count() by City'))
        .map((r) => `${r['City']}=${r['count_']}`)
        .sort();
      assert.deepEqual(byCity, ['Lyon=1', 'Nice=1', 'Paris=2']);
      assert.deepEqual(rowsOf(await kusto.execute('sales', "Sales | where Name contains 'JR' | project Name")), [{ Name: 'dave, jr' }]);
      await removeRole(server, adminArm, grant);
      assert.match((await kustoError(kusto.execute('sales', ingest))).message, /^Download_Forbidden/, 'removing the role stops the identity at once');
    });

    it('runs an update policy as the identity only once the policy allows AutomatedFlows', async () => {
      await kusto.execute('sales', '.create table Raw (Name:string, Amount:long, City:string)');
      await kusto.execute('sales', '.create table ParisOnly (Name:string, Amount:long)');
      const update = `.alter table ParisOnly policy update @'[{"IsEnabled": true, "Source": "Raw", "Query": "Raw | where City == ''Paris'' | project Name, Amount", "IsTransactional": true, "ManagedIdentity": "system"}]'`;
      assert.equal((await kustoError(kusto.execute('sales', update))).message, DISABLED);
      assert.equal(rowsOf(await kusto.execute('sales', '.show table ParisOnly policy update'))[0]!['Policy'], null, 'nothing was written');
      await kusto.execute('sales', `.alter-merge cluster policy managed_identity \`\`\`[{"ObjectId": "system", "AllowedUsages": "AutomatedFlows"}]\`\`\``);
      await kusto.execute('sales', update);
      await kusto.execute('sales', '.set-or-append Raw <| Sales');
      assert.equal(rowsOf(await kusto.execute('sales', 'Raw | count'))[0]!['Count'], 4);
      assert.deepEqual(
        rowsOf(await kusto.execute('sales', 'ParisOnly | project Name'))
          .map((r) => r['Name'])
          .sort(),
        ['alice', 'carol'],
      );
    });

    it('reads an external table as a user-assigned identity, allowed by the database policy', async () => {
      await kusto.execute(
        'sales',
        `.create external table Lake (Key:string, Value:long) kind=storage dataformat=csv (h@'${blobUrl}/lake;managed_identity=${uai.principalId}')`,
      );
      assert.equal((await kustoError(kusto.execute('sales', "external_table('Lake') | count"))).message, DISABLED);
      await kusto.execute(
        'sales',
        `.alter-merge database sales policy managed_identity \`\`\`[{"ObjectId": "${uai.principalId}", "AllowedUsages": "ExternalTable"}]\`\`\``,
      );
      await assignRole(server, adminArm, accountId, ROLES.blobReader, uai.principalId);
      assert.equal(rowsOf(await kusto.execute('sales', "external_table('Lake') | count"))[0]!['Count'], 3);
      assert.deepEqual(
        rowsOf(await kusto.execute('sales', "external_table('Lake') | where Value >= 2 | project Key"))
          .map((r) => r['Key'])
          .sort(),
        ['x2', 'x3'],
      );
      // Host-style names under the data planes' suffix, and Azure's own form, reach the same account (no DNS needed by the server).
      const account = accountId.split('/').pop()!;
      const port = new URL(server.bootstrap.armEndpoint).port;
      for (const [name, url] of [
        ['LakeHost', `https://${account}.blob.keyless.localhost:${port}/lake`],
        ['LakeAzure', `https://${account}.blob.core.windows.net/lake`],
      ] as const) {
        await kusto.execute(
          'sales',
          `.create external table ${name} (Key:string, Value:long) kind=storage dataformat=csv (h@'${url};managed_identity=${uai.principalId}')`,
        );
        assert.equal(rowsOf(await kusto.execute('sales', `external_table('${name}') | count`))[0]!['Count'], 3, name);
      }
      const elsewhere = await kustoError(kusto.execute('sales', `.ingest into table Sales (h'https://example.com/x.csv;managed_identity=system')`));
      assert.match(elsewhere.message, /Keyless can reach only its own storage accounts/);
    });

    it("exports and continuously exports as an identity; other flows answer the seed's refusal", async () => {
      const exportCmd = `.export to csv (h@'${blobUrl}/exports;managed_identity=system') <| Sales | where City == 'Paris'`;
      assert.equal((await kustoError(kusto.execute('sales', exportCmd))).message, DISABLED, 'ExportRequest is not allowed yet');
      await kusto.execute(
        'sales',
        `.alter-merge cluster policy managed_identity \`\`\`[{"ObjectId": "system", "AllowedUsages": "ExportRequest, AutomatedFlows"}]\`\`\``,
      );
      await assignRole(server, adminArm, accountId, ROLES.blobContributor, systemPrincipal);
      const exported = rowsOf(await kusto.execute('sales', exportCmd))[0]!;
      assert.equal(exported['NumRecords'], 2);
      const path = new URL(String(exported['Path']));
      const written = await new BlobServiceClient(blobUrl, admin)
        .getContainerClient('exports')
        .getBlockBlobClient(path.pathname.split('/').pop()!)
        .downloadToBuffer();
      assert.deepEqual(written.toString().trim().split('\n').sort(), ['alice,10,Paris', 'carol,35,Paris']);

      await kusto.execute(
        'sales',
        `.create external table Archive (Name:string, Amount:long, City:string) kind=storage dataformat=csv (h@'${blobUrl}/exports;managed_identity=system')`,
      );
      await kusto.execute(
        'sales',
        '.create-or-alter continuous-export Nightly over (Sales) to table Archive with (intervalBetweenRuns=1s, managedIdentity="system") <| Sales',
      );
      const deadline = Date.now() + 15_000;
      let names: string[] = [];
      while (Date.now() < deadline) {
        names = [];
        for await (const blob of new BlobServiceClient(blobUrl, admin).getContainerClient('exports').listBlobsFlat({ prefix: 'Nightly' }))
          names.push(blob.name);
        if (names.length > 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(names.length, 1, 'the continuous export wrote its blob as the identity');
      const shown = rowsOf(await kusto.execute('sales', '.show continuous-exports'))[0]!;
      assert.equal(shown['LastRunResult'], 'Completed');

      // Flows not in the seed's list, even with a policy allowing everything.
      await kusto.execute('sales', `.alter-merge cluster policy managed_identity \`\`\`[{"ObjectId": "system", "AllowedUsages": "All"}]\`\`\``);
      const externaldata = await kustoError(
        kusto.execute('sales', `externaldata (Name:string) [h@'${blobUrl}/input/sales.csv;managed_identity=system'] | count`),
      );
      assert.deepEqual([externaldata.status, externaldata.code, externaldata.message], [400, 'General_BadRequest', DISABLED]);
      const sqlRequest = await kustoError(
        kusto.execute('sales', `Sales | evaluate sql_request('Server=tcp:db.example;Database=x;managed_identity=system', 'select 1')`),
      );
      assert.equal(sqlRequest.message, DISABLED);
    });

    it('refuses policies naming foreign identities, makes detached identities inert, and checks roles and audiences', async () => {
      const foreign = await kustoError(
        kusto.execute(
          'sales',
          `.alter cluster policy managed_identity \`\`\`[{"ObjectId": "00000000-0000-0000-0000-0000000000aa", "AllowedUsages": "All"}]\`\`\``,
        ),
      );
      assert.equal(foreign.status, 400);
      assert.match(foreign.message, /is not assigned to cluster/);
      const kept = JSON.parse(String(rowsOf(await kusto.execute('sales', '.show cluster policy managed_identity'))[0]!['Policies']));
      assert.equal(kept[0].AllowedUsages, 'NativeIngestion, AutomatedFlows, ExportRequest, All', 'the policy was not changed');
      const badJson = await kustoError(kusto.execute('sales', ".alter cluster policy managed_identity \"[{'ObjectId': 'system'}]\""));
      assert.match(badJson.message, /AllowedUsages/);
      const badUsage = await kustoError(
        kusto.execute('sales', `.alter cluster policy managed_identity \`\`\`[{"ObjectId": "system", "AllowedUsages": "Everything"}]\`\`\``),
      );
      assert.match(badUsage.message, /'Everything' is not a managed identity usage/);

      // Detach the user-assigned identity: its policy entries and external table stop working at once.
      await arm.clusters.beginUpdateAndWait(RG, new URL(clusterUri).pathname.split('/').pop()!, { identity: { type: 'SystemAssigned' } }, FAST);
      const detached = await kustoError(kusto.execute('sales', "external_table('Lake') | count"));
      assert.match(detached.message, /is not assigned to cluster/);

      // Kusto roles: a database Viewer reads but may not change the policy or create tables; a stranger gets nothing.
      const asViewer = new KustoClient(KustoConnectionStringBuilder.withTokenCredential(clusterUri, viewer.credential));
      try {
        assert.equal(rowsOf(await asViewer.execute('sales', 'Sales | count'))[0]!['Count'], 4);
        assert.equal((await kustoError(asViewer.execute('sales', '.create table Other (a:string)'))).status, 403);
        assert.equal((await kustoError(asViewer.execute('sales', `.alter database sales policy managed_identity \`\`\`[]\`\`\``))).status, 403);
      } finally {
        asViewer.close();
      }
      const stranger = await addTestApp(server, 'adx-stranger', database?.url);
      const asStranger = new KustoClient(KustoConnectionStringBuilder.withTokenCredential(clusterUri, stranger.credential));
      try {
        assert.equal((await kustoError(asStranger.execute('sales', 'Sales | count'))).status, 403);
      } finally {
        asStranger.close();
      }

      // A token for another audience (ARM) is refused; so are unknown databases, tables and bad syntax.
      const armTokenValue = await armToken(admin);
      const raw = await fetch(`${clusterUri}/v2/rest/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${armTokenValue}`, 'content-type': 'application/json' },
        body: JSON.stringify({ db: 'sales', csl: 'Sales | count' }),
      });
      assert.equal(raw.status, 401);
      assert.equal(((await raw.json()) as { error: { code: string } }).error.code, 'Unauthorized');
      assert.equal((await kustoError(kusto.execute('nosuchdb', 'Sales | count'))).code, 'BadRequest_DatabaseNotExist');
      assert.equal((await kustoError(kusto.execute('sales', 'Nope | count'))).code, 'BadRequest_TableNotExist');
      assert.equal((await kustoError(kusto.execute('sales', 'Sales | where'))).code, 'BadRequest_SyntaxError');
      assert.equal((await kustoError(kusto.execute('sales', 'Sales | where Missing == 1'))).code, 'BadRequest_SemanticError');
      assert.equal((await kustoError(kusto.execute('sales', '.frobnicate everything'))).code, 'BadRequest_SyntaxError');

      // Malformed requests: Kusto's error body, never a 5xx.
      const kustoToken = (await admin.getToken('https://kusto.keyless.localhost/.default'))!.token;
      const post = (body: string, auth = true) =>
        fetch(`${clusterUri}/v1/rest/mgmt`, {
          method: 'POST',
          headers: { ...(auth ? { authorization: `Bearer ${kustoToken}` } : {}), 'content-type': 'application/json' },
          body,
        });
      for (const [body, status] of [
        ['{not json', 400],
        ['[]', 400],
        ['{"db": "sales"}', 400],
        ['{"db": 5, "csl": ".show tables"}', 400],
        ['{"db": "sales", "csl": ".show tables", "properties": 7}', 400],
      ] as const) {
        const res = await post(body);
        assert.equal(res.status, status, body);
        assert.equal(((await res.json()) as { error: { '@type': string } }).error['@type'], 'Kusto.Data.Exceptions.KustoBadRequestException', body);
      }
      assert.equal((await post('{"db": "sales", "csl": ".show tables"}', false)).status, 401);
      assert.equal((await post(JSON.stringify({ db: 'sales', csl: `.show tables ${'x'.repeat(2 * 1024 * 1024)}` }))).status, 413);
      const unknownCluster = await fetch(`${new URL(clusterUri).origin}/kusto/nosuchcluster/v1/rest/mgmt`, {
        method: 'POST',
        headers: { authorization: `Bearer ${kustoToken}`, 'content-type': 'application/json' },
        body: '{"csl": ".show tables"}',
      });
      assert.equal(unknownCluster.status, 400);
    });
  });
