/** Pure rules of Microsoft.Resources: names, filters, filtered paging, preconditions, route matching. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../src/core/errors.js';
import { checkWriteConditions } from '../../src/core/resources/conditions.js';
import { parseListFilter, readFilteredPage } from '../../src/core/resources/list-query.js';
import { assertResourceGroupName, normalizeLocation } from '../../src/core/resources/names.js';
import { createArmRouteRegistry } from '../../src/http/arm/route-registry.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as DomainError).code;
  }
};

describe('resource group names', () => {
  const table: [string, string][] = [
    ['rg', 'ok'],
    ['My_RG-(1).x', 'ok'],
    ['ünïcødé', 'ok'],
    ['a'.repeat(90), 'ok'],
    ['', 'InvalidResourceGroupName'],
    ['a'.repeat(91), 'InvalidResourceGroupName'],
    ['end.', 'InvalidResourceGroupName'],
    ['sp ace', 'InvalidResourceGroupName'],
    ['a/b', 'InvalidResourceGroupName'],
    ['a!', 'InvalidResourceGroupName'],
  ];
  for (const [name, expected] of table)
    it(`'${name.slice(0, 20)}' → ${expected}`, () =>
      assert.equal(
        code(() => assertResourceGroupName(name)),
        expected,
      ));
});

describe('locations', () => {
  it('normalises display names as ARM does', () => assert.equal(normalizeLocation('West US 2'), 'westus2'));
  it('requires one', () =>
    assert.equal(
      code(() => normalizeLocation('  ')),
      'LocationRequired',
    ));
});

describe('$filter', () => {
  it('parses tag and type clauses, keywords in any case, quotes doubled', () => {
    assert.deepEqual(parseListFilter("tagName eq 'a' and tagValue eq 'it''s'", ['tagname', 'tagvalue']), { tagName: 'a', tagValue: "it's" });
    assert.deepEqual(parseListFilter("TAGNAME EQ 'a'", ['tagname']), { tagName: 'a' });
    assert.deepEqual(parseListFilter("resourceType eq 'Microsoft.X/y'", ['resourcetype']), { resourceType: 'Microsoft.X/y' });
    assert.equal(parseListFilter(undefined, ['tagname']), undefined);
  });
  it('refuses what the collection does not support', () => {
    for (const f of ["resourceType eq 'x'", "tagName eq 'a' or tagName eq 'b'", 'tagName eq a', "tagValue eq 'v'"]) {
      assert.equal(
        code(() => parseListFilter(f, ['tagname', 'tagvalue'])),
        'InvalidParameter',
        f,
      );
    }
  });
});

describe('filtered paging', () => {
  const source = Array.from({ length: 10 }, (_, i) => i);
  const read = async (page: { limit: number; after?: string }) => {
    const start = page.after === undefined ? 0 : Number(page.after) + 1;
    const items = source.slice(start, start + page.limit);
    const last = items[items.length - 1];
    return last !== undefined && last < source.length - 1 ? { items, next: String(last) } : { items };
  };
  it('fills pages with matches only and resumes exactly after the last item read', async () => {
    const even = (n: number) => n % 2 === 0;
    const first = await readFilteredPage(read, even, 2, undefined);
    assert.deepEqual(first.items, [0, 2]);
    const second = await readFilteredPage(read, even, 2, first.next);
    assert.deepEqual(second.items, [4, 6]);
    const third = await readFilteredPage(read, even, 2, second.next);
    assert.deepEqual(third.items, [8]);
    assert.equal(third.next, undefined);
  });
});

describe('preconditions', () => {
  it('follows RFC 9110 for If-Match / If-None-Match', () => {
    assert.equal(
      code(() => checkWriteConditions('e1', { ifMatch: ['e1'] })),
      'ok',
    );
    assert.equal(
      code(() => checkWriteConditions('e1', { ifMatch: ['e2'] })),
      'PreconditionFailed',
    );
    assert.equal(
      code(() => checkWriteConditions(undefined, { ifMatch: '*' })),
      'PreconditionFailed',
    );
    assert.equal(
      code(() => checkWriteConditions(undefined, { ifNoneMatch: '*' })),
      'ok',
    );
    assert.equal(
      code(() => checkWriteConditions('e1', { ifNoneMatch: '*' })),
      'PreconditionFailed',
    );
  });
});

describe('ARM route registry', () => {
  const handler = async () => ({ status: 200 });
  const registry = createArmRouteRegistry();
  registry.add({
    namespace: 'Microsoft.Test',
    routes: [
      { method: 'GET', path: '/subscriptions/{subscriptionId}/resourceGroups/{rg}', operationId: 'A', action: 'a', apiVersions: ['2020-01-01'], handler },
      { method: 'GET', path: '{*scope}/providers/Microsoft.Test/things/{name}', operationId: 'B', action: 'b', apiVersions: ['2020-01-01'], handler },
      {
        method: 'GET',
        path: '/subscriptions/{subscriptionId}/providers/Microsoft.Test/things/special',
        operationId: 'C',
        action: 'c',
        apiVersions: ['2020-01-01'],
        handler,
      },
    ],
  });
  it('matches literals case-insensitively and captures params', () => {
    const m = registry.match('GET', ['SUBSCRIPTIONS', 's1', 'resourcegroups', 'My']);
    assert.equal(m.route.operationId, 'A');
    assert.deepEqual(m.params, { subscriptionId: 's1', rg: 'My' });
  });
  it('captures a multi-segment scope, and prefers the more specific route', () => {
    const m = registry.match('GET', ['subscriptions', 's', 'resourceGroups', 'g', 'providers', 'Microsoft.Test', 'things', 'n']);
    assert.deepEqual(m.params, { scope: '/subscriptions/s/resourceGroups/g', name: 'n' });
    assert.equal(registry.match('GET', ['providers', 'microsoft.test', 'things', 'n']).params['scope'], '/');
    assert.equal(registry.match('GET', ['subscriptions', 's', 'providers', 'Microsoft.Test', 'things', 'special']).route.operationId, 'C');
  });
  it('tells unknown routes, namespaces and methods apart', () => {
    const err = (method: string, segs: string[]) => {
      try {
        registry.match(method, segs);
        return 0;
      } catch (e) {
        return (e as { status: number }).status;
      }
    };
    assert.equal(err('GET', ['subscriptions', 's', 'nothing']), 404);
    assert.equal(err('GET', ['subscriptions', 's', 'providers', 'Microsoft.Nope', 'x']), 400);
    assert.equal(err('PUT', ['subscriptions', 's', 'resourceGroups', 'g']), 405);
  });
});
