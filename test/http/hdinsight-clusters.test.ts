/**
 * Microsoft.HDInsight/clusters in-process (ARM surface over a real SQLite store, no data planes): the
 * wire (200 + Azure-AsyncOperation on create, InProgress/Accepted first, Running after; no secret in
 * any answer), HDInsight's flat errors for its own refusals vs ARM's envelope for ARM's, and bad
 * input — names, gateway credentials, passwords, kinds, ESP tier, an identity of another tenant,
 * create-time settings changed later — each with nothing written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { randomIds } from '../../src/core/ids.js';
import { createRbac, type Rbac } from '../../src/core/rbac/rbac.js';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

const V = 'api-version=2021-06-01';
const GATEWAY_PW = 'Gateway-Passw0rd!9';

describe('Microsoft.HDInsight/clusters (in-process)', () => {
  let t: ArmTestApp;
  let rbac: Rbac;
  let otherAuth: string;
  const group = () => `/subscriptions/${t.subscriptionId}/resourceGroups/hdi`;
  const cluster = (name: string) => `${group()}/providers/Microsoft.HDInsight/clusters/${name}?${V}`;
  const call = async (method: string, url: string, payload?: unknown, auth = t.auth) => {
    const res = await t.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
    return { status: res.statusCode, headers: res.headers, text: res.body, body: res.body ? JSON.parse(res.body) : undefined };
  };
  const body = (patch: (b: any) => void = () => {}) => {
    const b: any = {
      location: 'westus2',
      properties: {
        clusterVersion: '5.1',
        osType: 'Linux',
        clusterDefinition: {
          kind: 'spark',
          configurations: {
            gateway: { 'restAuthCredential.isEnabled': 'true', 'restAuthCredential.username': 'admin', 'restAuthCredential.password': GATEWAY_PW },
          },
        },
        computeProfile: {
          roles: [
            {
              name: 'headnode',
              targetInstanceCount: 2,
              hardwareProfile: { vmSize: 'Standard_E8_V3' },
              osProfile: { linuxOperatingSystemProfile: { username: 'sshuser', password: 'Ssh-Passw0rd!9x' } },
            },
            { name: 'workernode', targetInstanceCount: 3, hardwareProfile: { vmSize: 'Standard_E8_V3' } },
          ],
        },
        storageProfile: { storageaccounts: [{ name: 'acct.blob.core.windows.net', isDefault: true, container: 'c1', key: 'c2VjcmV0LWtleQ==' }] },
      },
    };
    patch(b);
    return b;
  };
  const absent = async (name: string) => assert.equal((await call('GET', cluster(name))).status, 404, `${name} was written`);

  before(async () => {
    t = await createArmTestApp('sqlite', { rbac: (store) => (rbac = createRbac({ store, clock: systemClock })) });
    const at = new Date().toISOString();
    // The test app's callers: main tenant Owner (the default token's oid) and the other tenant's.
    const owner = JSON.parse(Buffer.from(t.auth.split(' ')[1]!.split('.')[1]!, 'base64url').toString()).oid as string;
    const otherOid = randomIds.newGuid();
    for (const [principalId, sub] of [
      [owner, t.subscriptionId],
      [otherOid, t.otherSubscriptionId],
    ] as const) {
      await t.store.roleAssignments.insert({
        name: randomIds.newGuid(),
        scope: `/subscriptions/${sub}`,
        roleDefinitionName: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
        principalId,
        principalType: 'ServicePrincipal',
        description: null,
        createdOn: at,
        updatedOn: at,
        createdBy: null,
        updatedBy: null,
      });
    }
    await rbac.start({ pollMs: 50 });
    otherAuth = `Bearer ${await t.tokens.issue(t.otherTenantId, { oid: otherOid })}`;
    assert.equal((await call('PUT', `${group()}?api-version=2021-04-01`, { location: 'westus2' })).status, 201);
  });
  after(async () => {
    await rbac?.stop();
    await t?.close();
  });

  it('creates with 200 + Azure-AsyncOperation (InProgress/Accepted), then reads Running; no secret in any answer', async () => {
    const created = await call('PUT', cluster('wire1'), body());
    assert.equal(created.status, 200, created.text);
    assert.match(String(created.headers['azure-asyncoperation']), /operationStatuses/);
    assert.equal(created.headers['location'], undefined);
    assert.equal(created.headers['retry-after'], '0');
    assert.deepEqual([created.body.properties.provisioningState, created.body.properties.clusterState], ['InProgress', 'Accepted']);
    const got = await call('GET', cluster('wire1'));
    assert.deepEqual([got.body.properties.provisioningState, got.body.properties.clusterState], ['Succeeded', 'Running']);
    assert.equal(got.body.properties.tier, 'standard');
    assert.equal(got.body.properties.clusterVersion, '5.1.3000.0');
    assert.deepEqual(
      got.body.properties.computeProfile.roles.map((r: { name: string }) => r.name),
      ['headnode', 'workernode', 'zookeepernode'],
    );
    assert.equal(got.body.properties.computeProfile.roles[0].osProfile.linuxOperatingSystemProfile.username, 'sshuser');
    assert.equal(got.body.properties.quotaInfo.coresUsed, 2 * 8 + 3 * 8 + 3 * 2);
    assert.equal(got.body.properties.connectivityEndpoints[1].location, 'wire1.azurehdinsight.net');
    for (const answer of [created.text, got.text, (await call('GET', `${group()}/providers/Microsoft.HDInsight/clusters?${V}`)).text]) {
      for (const secret of [GATEWAY_PW, 'Ssh-Passw0rd!9x', 'c2VjcmV0LWtleQ==', 'keylessService']) assert.ok(!answer.includes(secret), secret);
    }
    const patched = await call('PATCH', cluster('wire1'), { tags: { env: 'dev' } });
    assert.equal(patched.status, 200);
    assert.deepEqual((await call('GET', cluster('wire1'))).body.tags, { env: 'dev' });
  });

  it("refuses bad input in HDInsight's flat shape, writing nothing", async () => {
    const cases: [string, any, RegExp][] = [
      ['ab', body(), /cluster name 'ab' is invalid/],
      ['apps', body(), /'apps' is reserved/],
      [
        'bad-1',
        body((b) => {
          b.properties.clusterDefinition.configurations = {};
        }),
        /gateway credentials are missing/,
      ],
      [
        'bad-2',
        body((b) => {
          b.properties.clusterDefinition.configurations.gateway['restAuthCredential.password'] = 'short';
        }),
        /gateway password does not meet/,
      ],
      [
        'bad-3',
        body((b) => {
          b.properties.computeProfile.roles[0].osProfile.linuxOperatingSystemProfile.password = 'alllowercase12345';
        }),
        /SSH password does not meet/,
      ],
      [
        'bad-4',
        body((b) => {
          b.properties.clusterDefinition.kind = 'cassandra';
        }),
        /kind 'cassandra' is not supported/,
      ],
      [
        'bad-5',
        body((b) => {
          b.properties.computeProfile.roles.pop();
        }),
        /'headnode' and a 'workernode'/,
      ],
      [
        'bad-6',
        body((b) => {
          delete b.properties.storageProfile;
        }),
        /default storage account/,
      ],
      [
        'bad-7',
        body((b) => {
          b.properties.securityProfile = { directoryType: 'ActiveDirectory' };
        }),
        /must use the 'Premium' tier/,
      ],
      [
        'bad-8',
        body((b) => {
          b.identity = { type: 'SystemAssigned, UserAssigned' };
        }),
        /supports only user-assigned managed identities/,
      ],
    ];
    for (const [name, payload, message] of cases) {
      const r = await call('PUT', cluster(name), payload);
      assert.equal(r.status, 400, `${name}: ${r.text}`);
      assert.equal(r.body.code, 'BadRequest', r.text);
      assert.match(r.body.message, message);
      assert.equal(r.body.error, undefined, 'flat, not the ARM envelope');
      if (name.startsWith('bad')) await absent(name);
    }
    // ARM's own refusals keep ARM's envelope.
    const malformed = await call('PUT', cluster('bad-9'), { ...body(), identity: 'UserAssigned' });
    assert.equal(malformed.status, 400);
    assert.equal(typeof malformed.body.error.code, 'string');
  });

  it('refuses an identity of another tenant (ARM envelope), writing nothing', async () => {
    const otherGroup = `/subscriptions/${t.otherSubscriptionId}/resourceGroups/theirs`;
    assert.equal((await call('PUT', `${otherGroup}?api-version=2021-04-01`, { location: 'westus2' }, otherAuth)).status, 201);
    const theirs = await call(
      'PUT',
      `${otherGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/their-msi?api-version=2023-01-31`,
      { location: 'westus2' },
      otherAuth,
    );
    assert.equal(theirs.status, 201, theirs.text);
    const r = await call(
      'PUT',
      cluster('foreign1'),
      body((b) => {
        b.identity = { type: 'UserAssigned', userAssignedIdentities: { [theirs.body.id]: {} } };
        b.properties.storageProfile.storageaccounts = [
          {
            name: 'acct.dfs.core.windows.net',
            isDefault: true,
            fileSystem: 'fs',
            resourceId: `${group()}/providers/Microsoft.Storage/storageAccounts/acct`,
            msiResourceId: theirs.body.id,
          },
        ];
      }),
    );
    assert.ok(r.status === 400 || r.status === 403, r.text);
    assert.match(r.body.error.code, /FailedIdentityOperation|LinkedAuthorizationFailed/);
    await absent('foreign1');
  });

  it('keeps create-time settings: storage and identities cannot change later; actions on a missing cluster are 404', async () => {
    assert.equal((await call('PUT', cluster('fixed1'), body())).status, 200);
    const changed = await call(
      'PUT',
      cluster('fixed1'),
      body((b) => {
        b.properties.storageProfile.storageaccounts[0].container = 'other';
      }),
    );
    assert.equal(changed.status, 400);
    assert.match(changed.body.message, /storageProfile' cannot be changed/);
    assert.equal((await call('GET', cluster('fixed1'))).body.properties.storageProfile.storageaccounts[0].container, 'c1');
    const gw = await call('POST', `${group()}/providers/Microsoft.HDInsight/clusters/fixed1/getGatewaySettings?${V}`);
    assert.equal(gw.status, 200);
    assert.equal(gw.body['restAuthCredential.username'], 'admin');
    assert.equal((await call('POST', `${group()}/providers/Microsoft.HDInsight/clusters/nope/executeScriptActions?${V}`, {})).status, 404);
    assert.equal((await call('POST', `${group()}/providers/Microsoft.HDInsight/clusters/nope/keylessAgentJoin?${V}`, {})).status, 404);
    const join = await call('POST', `${group()}/providers/Microsoft.HDInsight/clusters/fixed1/keylessAgentJoin?${V}`, {});
    assert.equal(join.status, 400);
    assert.match(join.body.message, /usable only by the HDInsight service/);
    const rotate = await call('POST', `${group()}/providers/Microsoft.HDInsight/clusters/fixed1/rotatediskencryptionkey?${V}`, {
      vaultUri: 'https://kv.vault.azure.net',
      keyName: 'k',
      keyVersion: 'v',
    });
    assert.equal(rotate.status, 400);
    assert.match(rotate.body.message, /does not use a customer-managed key/);
    const specs = await call('GET', `/subscriptions/${t.subscriptionId}/providers/Microsoft.HDInsight/locations/westus2/billingSpecs?${V}`);
    assert.ok(
      specs.body.vmSizeFilters.some((f: { filterMode: string; nodeTypes: string[] }) => f.filterMode === 'Default' && f.nodeTypes.includes('HeadNodeRole')),
    );
    const deleted = await call('DELETE', cluster('fixed1'));
    assert.equal(deleted.status, 202);
    await absent('fixed1');
  });
});
