/**
 * Microsoft.Resources resource groups through the ARM surface (in-process requests, real SQLite store,
 * real RS256 tokens): exact bodies and headers as the REST spec and @azure/arm-resources expect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BASE_URL, createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

const V = 'api-version=2025-04-01';

for (const engine of ['sqlite', 'postgres'] as const)
  describe(`ARM resource groups [${engine}]`, () => {
    let t: ArmTestApp;
    let rg: (name: string) => string;
    const req = (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: t.auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });

    before(async () => {
      t = await createArmTestApp(engine);
      rg = (name) => `/subscriptions/${t.subscriptionId}/resourcegroups/${name}`;
    });
    after(() => t.close());

    it('creates with 201, then updates with 200, with the exact ResourceGroup body', async () => {
      const created = await req('PUT', `${rg('Alpha')}?${V}`, { location: 'West US 2', tags: { env: 'test' } });
      assert.equal(created.statusCode, 201);
      assert.deepEqual(created.json(), {
        id: `/subscriptions/${t.subscriptionId}/resourceGroups/Alpha`,
        name: 'Alpha',
        type: 'Microsoft.Resources/resourceGroups',
        location: 'westus2',
        tags: { env: 'test' },
        properties: { provisioningState: 'Succeeded' },
      });
      assert.match(created.headers['content-type'] as string, /^application\/json/);
      assert.match(created.headers['etag'] as string, /^"[0-9a-f-]{36}"$/);

      const again = await req('PUT', `${rg('ALPHA')}?${V}`, { location: 'westus2', managedBy: '/subscriptions/x/providers/y' });
      assert.equal(again.statusCode, 200);
      assert.deepEqual(again.json(), {
        id: `/subscriptions/${t.subscriptionId}/resourceGroups/Alpha`,
        name: 'Alpha',
        type: 'Microsoft.Resources/resourceGroups',
        location: 'westus2',
        managedBy: '/subscriptions/x/providers/y',
        tags: {},
        properties: { provisioningState: 'Succeeded' },
      });
      assert.notEqual(again.headers['etag'], created.headers['etag']);
    });

    it('refuses to move a group to another location (409 InvalidResourceGroupLocation)', async () => {
      const res = await req('PUT', `${rg('Alpha')}?${V}`, { location: 'eastus' });
      assert.equal(res.statusCode, 409);
      assert.deepEqual(res.json(), {
        error: {
          code: 'InvalidResourceGroupLocation',
          target: 'location',
          message: "Invalid resource group location 'eastus'. The Resource group already exists in location 'westus2'.",
        },
      });
    });

    it('gets case-insensitively, through `//` and mixed-case segments', async () => {
      const res = await req('GET', `//SUBSCRIPTIONS/${t.subscriptionId}/ResourceGroups/alpha?${V}`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().name, 'Alpha');
      const missing = await req('GET', `${rg('nope')}?${V}`);
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), { error: { code: 'ResourceGroupNotFound', message: "Resource group 'nope' could not be found." } });
    });

    it('answers HEAD with 204 or 404 and no body', async () => {
      const yes = await req('HEAD', `${rg('alpha')}?${V}`);
      assert.equal(yes.statusCode, 204);
      assert.equal(yes.body, '');
      const no = await req('HEAD', `${rg('nope')}?${V}`);
      assert.equal(no.statusCode, 404);
      assert.equal(no.body, '');
    });

    it('PATCH changes only the fields it names', async () => {
      await req('PUT', `${rg('patchme')}?${V}`, { location: 'eastus', tags: { a: '1' }, managedBy: 'me' });
      const tagged = await req('PATCH', `${rg('patchme')}?${V}`, { tags: { team: 'platform' } });
      assert.equal(tagged.statusCode, 200);
      assert.deepEqual(tagged.json().tags, { team: 'platform' });
      assert.equal(tagged.json().managedBy, 'me');
      assert.equal(tagged.json().location, 'eastus');
      const missing = await req('PATCH', `${rg('ghost')}?${V}`, { tags: {} });
      assert.equal(missing.statusCode, 404);
    });

    it('honours If-Match and If-None-Match with the group ETag', async () => {
      const first = await req('PUT', `${rg('etagged')}?${V}`, { location: 'eastus' });
      const etag = first.headers['etag'] as string;
      const stale = await req('PATCH', `${rg('etagged')}?${V}`, { tags: { x: 'y' } }, { 'if-match': '"not-the-etag"' });
      assert.equal(stale.statusCode, 412);
      assert.equal(stale.json().error.code, 'PreconditionFailed');
      const fresh = await req('PATCH', `${rg('etagged')}?${V}`, { tags: { x: 'y' } }, { 'if-match': etag });
      assert.equal(fresh.statusCode, 200);
      const createOnly = await req('PUT', `${rg('etagged')}?${V}`, { location: 'eastus' }, { 'if-none-match': '*' });
      assert.equal(createOnly.statusCode, 412);
      const current = await req('GET', `${rg('etagged')}?${V}`);
      assert.deepEqual(current.json().tags, { x: 'y' }, 'the refused writes changed nothing');
      const notModified = await req('GET', `${rg('etagged')}?${V}`, undefined, { 'if-none-match': current.headers['etag'] as string });
      assert.equal(notModified.statusCode, 304);
      assert.equal(notModified.body, '');
      const readStale = await req('GET', `${rg('etagged')}?${V}`, undefined, { 'if-match': '"old"' });
      assert.equal(readStale.statusCode, 412);
    });

    it('lists with $top pages and an absolute nextLink that keeps the filter', async () => {
      for (const n of ['p1', 'p2', 'p3', 'p4']) await req('PUT', `${rg(n)}?${V}`, { location: 'westus', tags: { paged: 'yes' } });
      const names: string[] = [];
      let url: string | undefined =
        `/subscriptions/${t.subscriptionId}/resourcegroups?${V}&$top=3&$filter=${encodeURIComponent("tagName eq 'paged' and tagValue eq 'yes'")}`;
      let pages = 0;
      while (url) {
        const res = await req('GET', url);
        assert.equal(res.statusCode, 200);
        const body = res.json() as { value: { name: string }[]; nextLink?: string };
        assert.ok(body.value.length <= 3);
        names.push(...body.value.map((g) => g.name));
        pages++;
        if (body.nextLink) {
          assert.ok(body.nextLink.startsWith(`${BASE_URL}/subscriptions/${t.subscriptionId}/resourcegroups?`));
          const next = new URL(body.nextLink);
          assert.equal(next.searchParams.get('api-version'), '2025-04-01');
          assert.equal(next.searchParams.get('$filter'), "tagName eq 'paged' and tagValue eq 'yes'");
          url = next.pathname + next.search;
        } else url = undefined;
      }
      assert.deepEqual(names, ['p1', 'p2', 'p3', 'p4']);
      assert.equal(pages, 2);
    });

    it('filters by tag name alone, names case-insensitively and values exactly', async () => {
      await req('PUT', `${rg('tagcase')}?${V}`, { location: 'westus', tags: { Owner: 'Ann' } });
      const list = async (filter: string) =>
        (
          (await req('GET', `/subscriptions/${t.subscriptionId}/resourceGroups?${V}&$filter=${encodeURIComponent(filter)}`)).json() as {
            value: { name: string }[];
          }
        ).value.map((g) => g.name);
      assert.deepEqual(await list("tagName eq 'owner'"), ['tagcase']);
      assert.deepEqual(await list("tagName eq 'owner' and tagValue eq 'Ann'"), ['tagcase']);
      assert.deepEqual(await list("tagName eq 'owner' and tagValue eq 'ann'"), []);
    });

    it('deletes as a long-running operation that removes the resources and identities inside', async () => {
      await req('PUT', `${rg('doomed')}?${V}`, { location: 'westus' });
      await req('PUT', `${rg('keeper')}?${V}`, { location: 'westus' });
      const now = new Date().toISOString();
      const resource = (group: string, name: string) => ({
        id: `/subscriptions/${t.subscriptionId}/resourceGroups/${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
        subscriptionId: t.subscriptionId,
        resourceGroup: group,
        type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
        name,
        location: 'westus',
        tags: {},
        kind: null,
        properties: {},
        identity: null,
        sku: null,
        provisioningState: 'Succeeded' as const,
        etag: 'e',
        createdAt: now,
        updatedAt: now,
      });
      const principal = (resourceId: string, objectId: string) => ({
        objectId,
        appId: objectId,
        tenantId: t.tenantId,
        displayName: 'id',
        kind: 'ManagedIdentity' as const,
        resourceId,
        createdAt: now,
      });
      const inside = resource('doomed', 'id1');
      const outside = resource('keeper', 'id2');
      await t.store.resources.insert(inside);
      await t.store.resources.insert(outside);
      await t.store.principals.insert(principal(inside.id, '11111111-1111-1111-1111-111111111111'));
      await t.store.principals.insert(principal(outside.id, '22222222-2222-2222-2222-222222222222'));

      const listed = await req('GET', `/subscriptions/${t.subscriptionId}/resourceGroups/doomed/resources?${V}`);
      assert.equal(listed.statusCode, 200);
      assert.deepEqual(listed.json(), { value: [{ id: inside.id, name: 'id1', type: inside.type, location: 'westus', tags: {} }] });

      const del = await req('DELETE', `${rg('DOOMED')}?${V}`);
      assert.equal(del.statusCode, 202);
      assert.equal(del.body, '');
      assert.equal(del.headers['retry-after'], '0');
      const asyncUrl = new URL(del.headers['azure-asyncoperation'] as string);
      const location = new URL(del.headers['location'] as string);
      assert.equal(asyncUrl.origin, BASE_URL);
      assert.match(location.pathname, new RegExp(`^/subscriptions/${t.subscriptionId}/operationresults/[0-9a-f-]{36}$`));

      const status = await req('GET', asyncUrl.pathname + asyncUrl.search);
      assert.equal(status.statusCode, 200);
      const body = status.json();
      assert.equal(body.status, 'Succeeded');
      assert.equal(body.id, asyncUrl.pathname);
      assert.ok(Date.parse(body.startTime) <= Date.parse(body.endTime));
      const result = await req('GET', location.pathname + location.search);
      assert.equal(result.statusCode, 200);

      assert.equal((await req('HEAD', `${rg('doomed')}?${V}`)).statusCode, 404);
      assert.equal(await t.store.resources.get(inside.id), undefined);
      assert.equal(await t.store.principals.getByResourceId(inside.id), undefined);
      assert.ok(await t.store.resources.get(outside.id), 'resources of other groups stay');
      assert.ok(await t.store.principals.getByResourceId(outside.id), 'identities of other groups stay');

      const again = await req('DELETE', `${rg('doomed')}?${V}`);
      assert.equal(again.statusCode, 404);
      assert.equal(again.json().error.code, 'ResourceGroupNotFound');
    });

    it('does not show an operation to another subscription', async () => {
      await req('PUT', `${rg('opgroup')}?${V}`, { location: 'westus' });
      const del = await req('DELETE', `${rg('opgroup')}?${V}`);
      const opId = new URL(del.headers['location'] as string).pathname.split('/').pop()!;
      const own = await req('GET', `/subscriptions/${t.subscriptionId}/providers/Microsoft.Resources/operationStatuses/${opId}?${V}`);
      assert.equal(own.statusCode, 200);
      const other = await t.app.inject({
        method: 'GET',
        url: `/subscriptions/${t.otherSubscriptionId}/providers/Microsoft.Resources/operationStatuses/${opId}?${V}`,
        headers: { authorization: `Bearer ${await t.tokens.issue(t.otherTenantId)}` },
      });
      assert.equal(other.statusCode, 404);
      assert.deepEqual(other.json(), { error: { code: 'NotFound', message: `The operation '${opId}' could not be found.` } });
    });

    it('lists resources of a missing group as 404', async () => {
      const res = await req('GET', `/subscriptions/${t.subscriptionId}/resourceGroups/ghost/resources?${V}`);
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error.code, 'ResourceGroupNotFound');
    });
  });
