/**
 * The conformance suite every tracked resource type passes, on both storage engines, through the
 * ARM surface as the server builds it (createProviders): PUT (201/200 or 202), PATCH, GET, DELETE (in
 * the provider's long-running style), lists by group and subscription with paging, `If-Match` /
 * `If-None-Match` (412), identity rules, `LinkedAuthorizationFailed`, the system-assigned principal's
 * lifecycle, host agents notified, and malformed bodies (4xx in ARM's envelope, nothing written).
 * Adding a provider means adding its types to CASES: a test fails while a declared type has none.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { randomIds } from '../../src/core/ids.js';
import { createRbac, type Rbac } from '../../src/core/rbac/rbac.js';
import { resourceTypeOf } from '../../src/core/resources/tracked/spec.js';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';
import { ENGINES } from '../support/stores.js';

/** What the suite needs to know about one tracked type. */
interface ConformanceCase {
  type: string;
  apiVersion: string;
  /** A valid PUT body. */
  body(): Record<string, unknown>;
  write: 'sync' | 'async-operation' | 'accepted';
  delete: 'sync' | 'accepted';
  /** Identity kinds the type allows (absent: the type holds no identity block). */
  identity?: { systemAssigned: boolean; userAssigned: boolean; spelling: 'spaced' | 'compact' };
  /** The type is itself an identity with a principal of its own (user-assigned identities). */
  ownPrincipal?: boolean;
  /** The first answer to a create when it is not the style's usual one (HDInsight: 200 with Azure-AsyncOperation). */
  createdStatus?: number;
  /** Maps the suite's resource names (`conf-a`) for types with a stricter name rule. */
  name?(name: string): string;
}

/** What case bodies need from the test app (the tenant a vault must name). */
const CASE_CONTEXT = { tenantId: '' };

const CASES: readonly ConformanceCase[] = [
  {
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    apiVersion: '2024-11-30',
    write: 'sync',
    delete: 'sync',
    ownPrincipal: true,
    body: () => ({ location: 'westus2', tags: { env: 'test' } }),
  },
  {
    type: 'Microsoft.Compute/virtualMachines',
    apiVersion: '2024-07-01',
    write: 'async-operation',
    delete: 'accepted',
    identity: { systemAssigned: true, userAssigned: true, spelling: 'spaced' },
    body: () => ({ location: 'westus2', tags: { env: 'test' }, properties: { hardwareProfile: { vmSize: 'Standard_B1s' } } }),
  },
  {
    type: 'Microsoft.Kusto/clusters',
    apiVersion: '2023-08-15',
    write: 'async-operation',
    delete: 'accepted',
    identity: { systemAssigned: true, userAssigned: true, spelling: 'spaced' },
    body: () => ({ location: 'westus2', tags: { env: 'test' }, sku: { name: 'Standard_E2ads_v5', tier: 'Standard', capacity: 2 } }),
    // Kusto cluster names are lower-case letters and digits only.
    name: (name) => name.replace(/-/g, ''),
  },
  {
    type: 'Microsoft.HDInsight/clusters',
    apiVersion: '2021-06-01',
    write: 'async-operation',
    createdStatus: 200,
    delete: 'accepted',
    identity: { systemAssigned: false, userAssigned: true, spelling: 'spaced' },
    // Blob storage with a key: no identity of its own to check (test/compat/hdinsight-sdk.test.ts covers Data Lake with identities).
    body: () => ({
      location: 'westus2',
      tags: { env: 'test' },
      properties: {
        clusterVersion: '5.1',
        osType: 'Linux',
        clusterDefinition: {
          kind: 'spark',
          configurations: {
            gateway: { 'restAuthCredential.isEnabled': 'true', 'restAuthCredential.username': 'admin', 'restAuthCredential.password': 'Conformance-Pw1!' },
          },
        },
        computeProfile: {
          roles: [
            { name: 'headnode', targetInstanceCount: 2 },
            { name: 'workernode', targetInstanceCount: 3 },
          ],
        },
        storageProfile: { storageaccounts: [{ name: 'confstore.blob.core.windows.net', isDefault: true, container: 'conf', key: 'a2V5' }] },
      },
    }),
  },
  {
    type: 'Microsoft.Storage/storageAccounts',
    apiVersion: '2023-05-01',
    write: 'accepted',
    delete: 'sync',
    identity: { systemAssigned: true, userAssigned: true, spelling: 'compact' },
    body: () => ({ location: 'westus2', tags: { env: 'test' }, sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }),
    // Storage account names are lower-case letters and digits only (and global: the suite's names are its own).
    name: (name) => `st${name.replace(/-/g, '')}`,
  },
  {
    type: 'Microsoft.KeyVault/vaults',
    apiVersion: '2023-07-01',
    write: 'sync',
    delete: 'sync',
    // The vault's tenant must be the subscription's (set once the test app exists).
    body: () => ({
      location: 'westus2',
      tags: { env: 'test' },
      properties: { tenantId: CASE_CONTEXT.tenantId, sku: { family: 'A', name: 'standard' }, accessPolicies: [] },
    }),
  },
  {
    type: 'Microsoft.AAD/domainServices',
    apiVersion: '2022-12-01',
    write: 'sync',
    delete: 'sync',
    body: () => ({ location: 'westus2', tags: { env: 'test' }, properties: { domainName: 'conformance.example.com' } }),
  },
  {
    // AKS refuses `identity.type: None` on a managed-identity cluster (no way back to a service principal), so the
    // suite's identity steps do not apply; its identity rules are tested in test/http/aks-clusters.test.ts and test/az/aks.test.ts.
    type: 'Microsoft.ContainerService/managedClusters',
    apiVersion: '2022-11-01',
    write: 'async-operation',
    delete: 'accepted',
    body: () => ({
      location: 'westus2',
      tags: { env: 'test' },
      properties: { dnsPrefix: 'conf', agentPoolProfiles: [{ name: 'nodepool1', count: 1, mode: 'System' }] },
    }),
  },
  {
    type: 'Microsoft.Network/virtualNetworks',
    apiVersion: '2022-01-01',
    write: 'async-operation',
    delete: 'accepted',
    body: () => ({ location: 'westus2', tags: { env: 'test' }, properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] } } }),
  },
  {
    type: 'Microsoft.ContainerRegistry/registries',
    apiVersion: '2022-02-01-preview',
    write: 'async-operation',
    delete: 'accepted',
    body: () => ({ location: 'westus2', tags: { env: 'test' }, sku: { name: 'Basic' } }),
    // Registry names are 5 to 50 letters and digits.
    name: (name) => `acr${name.replace(/-/g, '')}`,
  },
];

const MANAGED_IDENTITY_OPERATOR = 'f1a07417-d97a-45cb-824c-7a7467783830';

for (const engine of ENGINES) {
  describe(`tracked-type conformance [${engine}]`, () => {
    let t: ArmTestApp;
    let rbac: Rbac;
    let notified = 0;
    /** A caller holding Managed Identity Operator on the subscription, and one holding nothing. */
    let operatorAuth: string;
    let strangerAuth: string;
    let uamiId: string;
    const group = () => `/subscriptions/${t.subscriptionId}/resourceGroups/conformance`;

    const call = async (method: string, url: string, auth: string, payload?: unknown, headers: Record<string, string> = {}) => {
      const raw = typeof payload === 'string' ? payload : payload === undefined ? undefined : JSON.stringify(payload);
      const res = await t.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: auth, ...(raw === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(raw === undefined ? {} : { payload: raw }),
      });
      return { status: res.statusCode, headers: res.headers, body: res.body ? JSON.parse(res.body) : undefined };
    };

    before(async () => {
      t = await createArmTestApp(engine, {
        onIdentitiesChanged: () => {
          notified++;
        },
        rbac: (store) => (rbac = createRbac({ store, clock: systemClock })),
      });
      CASE_CONTEXT.tenantId = t.tenantId;
      const operator = randomIds.newGuid();
      const at = new Date().toISOString();
      await t.store.roleAssignments.insert({
        name: randomIds.newGuid(),
        scope: `/subscriptions/${t.subscriptionId}`,
        roleDefinitionName: MANAGED_IDENTITY_OPERATOR,
        principalId: operator,
        principalType: 'ServicePrincipal',
        description: null,
        createdOn: at,
        updatedOn: at,
        createdBy: null,
        updatedBy: null,
      });
      await rbac.start({ pollMs: 50 });
      operatorAuth = `Bearer ${await t.tokens.issue(t.tenantId, { oid: operator })}`;
      strangerAuth = `Bearer ${await t.tokens.issue(t.tenantId)}`;
      assert.equal((await call('PUT', `${group()}?api-version=2025-04-01`, operatorAuth, { location: 'westus2' })).status, 201);
      const uami = await call('PUT', `${group()}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/attachable?api-version=2024-11-30`, operatorAuth, {
        location: 'westus2',
      });
      uamiId = uami.body.id;
    });
    after(async () => {
      await rbac?.stop();
      await t?.close();
    });

    it('has a case for every tracked type the providers declare', () => {
      // Child (proxy) types have no location or tags: their own tests cover them (federated credentials: test/http/federated-credentials.test.ts).
      const declared = t.registry.trackedTypes
        .filter((s) => s.shape === 'tracked')
        .map((s) => resourceTypeOf(s).toLowerCase())
        .sort();
      assert.deepEqual(CASES.map((c) => c.type.toLowerCase()).sort(), declared);
    });

    for (const c of CASES) {
      describe(c.type, () => {
        const v = `api-version=${c.apiVersion}`;
        // Types whose names allow no dash (Kusto clusters) map the suite's names.
        const n = (name: string) => c.name?.(name) ?? name;
        const item = (name: string) => `${group()}/providers/${c.type}/${name}?${v}`;
        const auth = () => operatorAuth;
        const createdStatus = c.createdStatus ?? (c.write === 'accepted' ? 202 : 201);
        const updatedStatus = c.write === 'accepted' ? 202 : 200;

        it('PUT creates (then replaces), GET reads it back with its envelope and an ETag', async () => {
          const created = await call('PUT', item(n('conf-a')), auth(), c.body());
          assert.equal(created.status, createdStatus, JSON.stringify(created.body));
          if (c.write === 'async-operation') assert.match(String(created.headers['azure-asyncoperation']), /operationStatuses/);
          const got = await call('GET', item(n('conf-a')), auth());
          assert.equal(got.status, 200);
          assert.equal(got.body.name, n('conf-a'));
          assert.equal(got.body.type.toLowerCase(), c.type.toLowerCase());
          assert.equal(got.body.location, 'westus2');
          assert.deepEqual(got.body.tags, { env: 'test' });
          assert.match(String(got.headers['etag']), /^"[^"]+"$/);
          const replaced = await call('PUT', item(n('conf-a')), auth(), { ...c.body(), tags: { env: 'second' } });
          assert.equal(replaced.status, updatedStatus);
          assert.deepEqual((await call('GET', item(n('conf-a')), auth())).body.tags, { env: 'second' });
        });

        it('PATCH replaces tags and keeps the rest; the location cannot move', async () => {
          const patched = await call('PATCH', item(n('conf-a')), auth(), { tags: { patched: 'yes' } });
          assert.equal(patched.status, 200, JSON.stringify(patched.body));
          const got = (await call('GET', item(n('conf-a')), auth())).body;
          assert.deepEqual(got.tags, { patched: 'yes' });
          assert.equal(got.location, 'westus2');
          const moved = await call('PUT', item(n('conf-a')), auth(), { ...c.body(), location: 'eastus' });
          assert.equal(moved.status, 409);
          assert.equal(moved.body.error.code, 'InvalidResourceLocation');
          assert.equal((await call('PATCH', item(n('conf-missing')), auth(), { tags: {} })).status, 404);
        });

        it('If-Match and If-None-Match guard writes (412, nothing changed)', async () => {
          const etag = String((await call('GET', item(n('conf-a')), auth())).headers['etag']);
          const stale = await call('PUT', item(n('conf-a')), auth(), { ...c.body(), tags: { stale: 'x' } }, { 'if-match': '"not-the-etag"' });
          assert.equal(stale.status, 412);
          assert.equal(stale.body.error.code, 'PreconditionFailed');
          const createOnly = await call('PUT', item(n('conf-a')), auth(), c.body(), { 'if-none-match': '*' });
          assert.equal(createOnly.status, 412);
          assert.deepEqual((await call('GET', item(n('conf-a')), auth())).body.tags, { patched: 'yes' }, 'refused writes changed nothing');
          const fresh = await call('PUT', item(n('conf-a')), auth(), { ...c.body(), tags: { fresh: 'y' } }, { 'if-match': etag });
          assert.equal(fresh.status, updatedStatus);
          assert.notEqual(String((await call('GET', item(n('conf-a')), auth())).headers['etag']), etag, 'every write changes the ETag');
        });

        it('lists by group and by subscription, with paging', async () => {
          assert.equal((await call('PUT', item(n('conf-b')), auth(), c.body())).status, createdStatus);
          const collection = `${group()}/providers/${c.type}?${v}`;
          const all = await call('GET', collection, auth());
          assert.deepEqual(
            all.body.value
              .map((r: { name: string }) => r.name)
              .filter((name: string) => name.startsWith(n('conf-')))
              .sort(),
            [n('conf-a'), n('conf-b')],
          );
          const first = await call('GET', `${collection}&$top=1`, auth());
          assert.equal(first.body.value.length, 1);
          assert.ok(first.body.nextLink, 'a first page of one has a nextLink');
          const next = new URL(first.body.nextLink);
          const second = await call('GET', next.pathname + next.search, auth());
          assert.equal(second.body.value.length, 1);
          assert.notEqual(second.body.value[0].id, first.body.value[0].id);
          const [namespace, type] = c.type.split('/');
          const bySubscription = await call('GET', `/subscriptions/${t.subscriptionId}/providers/${namespace}/${type}?${v}`, auth());
          assert.ok(bySubscription.body.value.some((r: { name: string }) => r.name === n('conf-b')));
        });

        it("refuses malformed bodies with ARM's envelope and writes nothing", async () => {
          const bad: unknown[] = [
            '{"location": ',
            '[]',
            '"text"',
            { ...c.body(), location: 42 },
            { ...c.body(), tags: 'x' },
            { ...c.body(), properties: 'x' },
            { ...c.body(), tags: { k: 1 } },
            { tags: {} },
            { ...c.body(), location: 'not a region!' },
          ];
          if (c.identity) bad.push({ ...c.body(), identity: 'SystemAssigned' }, { ...c.body(), identity: { type: 'Everything' } });
          for (const body of bad) {
            const res = await call('PUT', item(n('conf-bad')), auth(), body);
            assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body)} → ${res.status}`);
            assert.equal(typeof res.body?.error?.code, 'string');
            assert.equal(typeof res.body?.error?.message, 'string');
          }
          assert.equal((await call('GET', item(n('conf-bad')), auth())).status, 404, 'nothing was written');
        });

        it("deletes in the provider's style, then answers 404 and a second delete 204; agents are told", async () => {
          assert.equal((await call('PUT', item(n('conf-del')), auth(), c.body())).status, createdStatus);
          const principalOf = async (id: string) => t.store.principals.getByResourceId(id);
          const id = (await call('GET', item(n('conf-del')), auth())).body.id;
          if (c.ownPrincipal) assert.ok(await principalOf(id), 'the identity has its principal');
          const before = notified;
          const deleted = await call('DELETE', item(n('conf-del')), auth());
          assert.equal(deleted.status, c.delete === 'accepted' ? 202 : 200);
          if (c.delete === 'accepted') assert.ok(deleted.headers['location'] && deleted.headers['azure-asyncoperation']);
          assert.ok(notified > before, 'host agents are told to re-read');
          assert.equal((await call('GET', item(n('conf-del')), auth())).status, 404);
          assert.equal(await principalOf(id), undefined, 'no principal outlives its resource');
          assert.equal((await call('DELETE', item(n('conf-del')), auth())).status, 204);
        });

        if (c.identity) {
          const identity = c.identity;
          it('follows its identity rules: system-assigned principal created, shown, removed with the resource', async () => {
            const body = { ...c.body(), identity: { type: 'SystemAssigned' } };
            const res = await call('PUT', item(n('conf-sys')), auth(), body);
            if (!identity.systemAssigned) {
              assert.equal(res.status, 400);
              assert.equal((await call('GET', item(n('conf-sys')), auth())).status, 404);
              return;
            }
            assert.equal(res.status, createdStatus);
            const got = (await call('GET', item(n('conf-sys')), auth())).body;
            assert.equal(got.identity.type, 'SystemAssigned');
            const principal = await t.store.principals.getByResourceId(got.id);
            assert.equal(principal?.objectId, got.identity.principalId);
            assert.equal((await call('PUT', item(n('conf-sys')), auth(), { ...c.body(), identity: { type: 'None' } })).status, updatedStatus);
            assert.equal(await t.store.principals.getByResourceId(got.id), undefined, 'disabling removes the principal');
          });

          it('attaches a user-assigned identity only for a caller allowed to assign it (LinkedAuthorizationFailed, nothing written)', async () => {
            const type = identity.spelling === 'spaced' && identity.systemAssigned ? 'SystemAssigned, UserAssigned' : 'UserAssigned';
            const body = { ...c.body(), identity: { type, userAssignedIdentities: { [uamiId]: {} } } };
            const refused = await call('PUT', item(n('conf-linked')), strangerAuth, body);
            if (!identity.userAssigned) {
              assert.equal(refused.status, 400);
              return;
            }
            assert.equal(refused.status, 403);
            assert.equal(refused.body.error.code, 'LinkedAuthorizationFailed');
            assert.ok(refused.body.error.message.includes(uamiId) && refused.body.error.message.includes('assign/action'));
            assert.equal((await call('GET', item(n('conf-linked')), auth())).status, 404, 'nothing was written');
            const id = `${group()}/providers/${c.type}/conf-linked`;
            assert.equal(await t.store.principals.getByResourceId(id), undefined, 'no system-assigned principal left behind (rolled back)');
            const allowed = await call('PUT', item(n('conf-linked')), operatorAuth, body);
            assert.equal(allowed.status, createdStatus, JSON.stringify(allowed.body));
            const got = (await call('GET', item(n('conf-linked')), auth())).body;
            assert.equal(got.identity.type, type);
            assert.ok(got.identity.userAssignedIdentities[uamiId].clientId);
          });
        }
      });
    }
  });
}
