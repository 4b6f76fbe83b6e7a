/**
 * The conformance suite of child (proxy) resource types, on both engines, through ARM as the server
 * builds it: a child needs its parent (404 otherwise, nothing written), PUT/GET/DELETE in the
 * provider's style, lists per parent (another parent's children are not listed), malformed bodies
 * refused with ARM's envelope and nothing written, and children deleted with their parent.
 * A declared child type without a case here (or a reason in EXEMPT) fails the suite.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resourceTypeOf } from '../../src/core/resources/tracked/spec.js';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';
import { ENGINES } from '../support/stores.js';

interface ChildCase {
  /** `Namespace/parent/child`. */
  type: string;
  apiVersion: string;
  parent: { apiVersion: string; body(): Record<string, unknown>; name(n: string): string };
  body(): Record<string, unknown>;
  write: 'sync' | 'async-operation';
  delete: 'sync' | 'accepted';
}

const CHILDREN: readonly ChildCase[] = [
  {
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials',
    apiVersion: '2023-01-31',
    write: 'sync',
    delete: 'sync',
    parent: { apiVersion: '2023-01-31', body: () => ({ location: 'westus2' }), name: (n) => n },
    body: () => ({
      properties: {
        issuer: 'https://issuer.example.com/conformance/',
        subject: 'system:serviceaccount:default:conformance',
        audiences: ['api://AzureADTokenExchange'],
      },
    }),
  },
  {
    type: 'Microsoft.Network/virtualNetworks/subnets',
    apiVersion: '2022-01-01',
    write: 'async-operation',
    delete: 'accepted',
    parent: {
      apiVersion: '2022-01-01',
      body: () => ({ location: 'westus2', properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] } } }),
      name: (n) => n,
    },
    body: () => ({ properties: { addressPrefix: '10.0.1.0/24' } }),
  },
  {
    type: 'Microsoft.Kusto/clusters/databases',
    apiVersion: '2023-08-15',
    write: 'async-operation',
    delete: 'accepted',
    parent: {
      apiVersion: '2023-08-15',
      body: () => ({ location: 'westus2', sku: { name: 'Standard_E2ads_v5', tier: 'Standard', capacity: 2 } }),
      name: (n) => n.replace(/-/g, ''),
    },
    body: () => ({ location: 'westus2', kind: 'ReadWrite', properties: { softDeletePeriod: 'P365D', hotCachePeriod: 'P31D' } }),
  },
];

/** Child types whose lifecycle is not a plain PUT/DELETE under a parent, with where they are tested instead. */
const EXEMPT: Readonly<Record<string, string>> = {
  'microsoft.containerservice/managedclusters/agentpools': 'a cluster keeps at least one System pool; test/http/aks-clusters.test.ts',
  'microsoft.kusto/clusters/principalassignments': 'needs a principal of the tenant; test/compat/kusto-sdk.test.ts',
  'microsoft.kusto/clusters/databases/principalassignments': 'needs a principal of the tenant; test/compat/kusto-sdk.test.ts',
};

for (const engine of ENGINES) {
  describe(`child-type conformance [${engine}]`, () => {
    let t: ArmTestApp;
    const group = () => `/subscriptions/${t.subscriptionId}/resourceGroups/children`;
    const call = async (method: string, url: string, payload?: unknown) => {
      const raw = typeof payload === 'string' ? payload : payload === undefined ? undefined : JSON.stringify(payload);
      const res = await t.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: t.auth, ...(raw === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(raw === undefined ? {} : { payload: raw }),
      });
      return { status: res.statusCode, headers: res.headers, body: res.body ? JSON.parse(res.body) : undefined };
    };

    before(async () => {
      t = await createArmTestApp(engine);
      assert.equal((await call('PUT', `${group()}?api-version=2025-04-01`, { location: 'westus2' })).status, 201);
    });
    after(() => t?.close());

    it('has a case (or a stated exemption) for every child type the providers declare', () => {
      const declared = t.registry.trackedTypes
        .filter((s) => s.shape === 'proxy')
        .map((s) => resourceTypeOf(s).toLowerCase())
        .sort();
      const covered = [...CHILDREN.map((c) => c.type.toLowerCase()), ...Object.keys(EXEMPT)].sort();
      assert.deepEqual(covered, declared);
    });

    for (const c of CHILDREN) {
      describe(c.type, () => {
        const [namespace, parentType, childType] = c.type.split('/') as [string, string, string];
        const parentUrl = (name: string) => `${group()}/providers/${namespace}/${parentType}/${c.parent.name(name)}`;
        const childUrl = (parent: string, name: string) => `${parentUrl(parent)}/${childType}/${name}?api-version=${c.apiVersion}`;
        const listUrl = (parent: string) => `${parentUrl(parent)}/${childType}?api-version=${c.apiVersion}`;
        const createdStatus = 201;

        before(async () => {
          for (const p of ['parent-one', 'parent-two']) {
            const res = await call('PUT', `${parentUrl(p)}?api-version=${c.parent.apiVersion}`, c.parent.body());
            assert.ok(res.status < 300, `${p}: ${res.status} ${JSON.stringify(res.body)}`);
          }
        });

        it('needs its parent: 404 under a missing one, nothing written', async () => {
          const res = await call('PUT', childUrl('parent-none', 'child-a'), c.body());
          assert.equal(res.status, 404, JSON.stringify(res.body));
          assert.equal(typeof res.body.error.code, 'string');
          assert.equal((await call('GET', childUrl('parent-none', 'child-a'))).status, 404);
        });

        it('PUT creates then replaces, GET reads it under its parent', async () => {
          const created = await call('PUT', childUrl('parent-one', 'child-a'), c.body());
          assert.equal(created.status, createdStatus, JSON.stringify(created.body));
          if (c.write === 'async-operation') assert.ok(created.headers['azure-asyncoperation']);
          const got = await call('GET', childUrl('parent-one', 'child-a'));
          assert.equal(got.status, 200);
          assert.equal(got.body.name.split('/').at(-1), 'child-a');
          assert.ok(got.body.id.toLowerCase().startsWith(parentUrl('parent-one').toLowerCase() + '/'), got.body.id);
          assert.equal((await call('PUT', childUrl('parent-one', 'child-a'), c.body())).status, 200);
        });

        it('lists the children of one parent only', async () => {
          assert.equal((await call('PUT', childUrl('parent-two', 'child-b'), c.body())).status, createdStatus);
          const one = (await call('GET', listUrl('parent-one'))).body.value.map((r: { id: string }) => r.id.split('/').at(-1));
          const two = (await call('GET', listUrl('parent-two'))).body.value.map((r: { id: string }) => r.id.split('/').at(-1));
          assert.deepEqual([one, two], [['child-a'], ['child-b']]);
        });

        it("refuses malformed bodies with ARM's envelope and writes nothing", async () => {
          for (const body of ['{"properties": ', '[]', '"text"', { properties: 'x' }]) {
            const res = await call('PUT', childUrl('parent-one', 'child-bad'), body);
            assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body)} → ${res.status}`);
            assert.equal(typeof res.body?.error?.message, 'string');
          }
          assert.equal((await call('GET', childUrl('parent-one', 'child-bad'))).status, 404);
        });

        it("deletes in the provider's style; a second delete is 204; children go with their parent", async () => {
          const deleted = await call('DELETE', childUrl('parent-one', 'child-a'));
          assert.equal(deleted.status, c.delete === 'accepted' ? 202 : 200);
          assert.equal((await call('GET', childUrl('parent-one', 'child-a'))).status, 404);
          assert.equal((await call('DELETE', childUrl('parent-one', 'child-a'))).status, 204);
          const parentGone = await call('DELETE', `${parentUrl('parent-two')}?api-version=${c.parent.apiVersion}`);
          assert.ok(parentGone.status === 200 || parentGone.status === 202, String(parentGone.status));
          assert.equal((await call('GET', childUrl('parent-two', 'child-b'))).status, 404, 'the child went with its parent');
        });
      });
    }
  });
}
