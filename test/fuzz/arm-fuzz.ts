/**
 * Fuzz campaign, ARM surface (issue 15 item 5): every route of every provider as the server mounts
 * them (the whole server, startServer, with RBAC), with generated path parameters (valid names, unicode, huge
 * strings, `..`, encoded slashes, mixed case), api-versions (valid, invalid, missing, duplicated),
 * methods, bodies (malformed JSON, wrong types, deep nesting, huge values) and header tricks.
 * Properties: no answer ≥ 500; every error in ARM's `{error:{code,message}}`; a refused request
 * leaves the store as it was (resources with their etags and principals, resource groups, role
 * assignments). Seed and size: test/fuzz/fuzz-support.ts (KEYLESS_FUZZ_SEED, KEYLESS_FUZZ_RUNS).
 * Run on SQLite (arm.fuzz.test.ts) and on PostgreSQL (arm-postgres.fuzz.test.ts: a reduced share in
 * `npm test`, the full size under `npm run stress`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { randomIds } from '../../src/core/ids.js';
import { resolveDotSegments } from '../../src/http/dot-segments.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startFuzzServer, storeSnapshot, type FuzzServer } from './fuzz-server.js';
import {
  assertAnySurfaceError,
  assertArmError,
  assertNo5xx,
  contentType,
  count,
  engineShare,
  fuzzParams,
  headerSafe,
  hostileBody,
  hostileString,
  junkHeaders,
  mixCase,
  segment,
  sent,
  type Answer,
} from './fuzz-support.js';

/**
 * Whether a URL is ARM's: its path, once dot segments are resolved, is under ARM's prefixes. The
 * server resolves them before routing, as Azure's front ends and every client's URL class do
 * (src/http/dot-segments.ts), so `/subscriptions/../x` is `/x` and belongs to whichever surface
 * owns `/x`; test/fuzz/regressions.test.ts shows a raw socket gets the same answer.
 */
const armPath = (url: string) => /^\/(subscriptions|providers)\//i.test(resolveDotSegments(url) ?? url);

export function describeArmFuzz(engine: 'sqlite' | 'postgres'): void {
  describe(`fuzz: ARM, every route of every provider (${engine})`, () => {
    let t: FuzzServer;
    let otherSubscriptionId: string;
    let routes: { method: string; path: string; apiVersions: readonly string[] | 'any' }[];
    let ownerAuth: string;

    const slow: [number, string][] = [];
    const timing = { snap: 0, send: 0 };
    const snapshot = () => storeSnapshot(t.store, [t.subscriptionId, otherSubscriptionId]);
    let db: TestDatabase | undefined;

    const send = async (method: string, url: string, headers: Record<string, string | string[]>, payload: string | undefined): Promise<Answer> => {
      count('arm');
      const started = performance.now();
      const res = await t.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });
      timing.send += performance.now() - started;
      slow.push([performance.now() - started, `${method} ${url.slice(0, 150)} ${res.statusCode}`]);
      return { status: res.statusCode, body: res.body, headers: res.headers, request: `${method} ${url.slice(0, 300)}` };
    };

    before(async () => {
      db = engine === 'postgres' ? await createTestDatabase(process.env['KEYLESS_TEST_PG_URL']) : undefined;
      t = await startFuzzServer(db ? { databaseUrl: db.url } : {});
      assert.match(t.engine, engine === 'postgres' ? /^PostgreSQL/ : /^SQLite/);
      ownerAuth = t.armAuth;
      // A subscription of another tenant the caller must not reach.
      const otherTenant = randomIds.newGuid();
      otherSubscriptionId = randomIds.newGuid();
      const at = new Date().toISOString();
      await t.store.tenants.insert({ id: otherTenant, displayName: 'Other', defaultDomain: 'other.local', createdAt: at });
      await t.store.subscriptions.insert({ id: otherSubscriptionId, tenantId: otherTenant, displayName: 'Other', state: 'Enabled', createdAt: at });
      // Something for the generated paths to find: a group and an identity in it.
      const rg = await send(
        'PUT',
        `/subscriptions/${t.subscriptionId}/resourceGroups/rg?api-version=2025-04-01`,
        { authorization: ownerAuth, 'content-type': 'application/json' },
        '{"location":"westus2"}',
      );
      assert.equal(rg.status, 201, rg.body);
      const mi = await send(
        'PUT',
        `/subscriptions/${t.subscriptionId}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/fuzzmi?api-version=2024-11-30`,
        { authorization: ownerAuth, 'content-type': 'application/json' },
        '{"location":"westus2"}',
      );
      assert.equal(mi.status, 201, mi.body);
      routes = t.server.providers.flatMap((p) => p.routes.map((r) => ({ method: r.method, path: r.path, apiVersions: r.apiVersions })));
      assert.ok(routes.length > 20, `only ${routes.length} ARM routes`);
    });
    after(async () => {
      await t?.close();
      await db?.drop();
      if (process.env['FUZZ_DEBUG']) console.log(timing, slow.sort((a, b) => b[0] - a[0]).slice(0, 15));
      console.log(`fuzz: ARM requests sent (${t?.engine.split(' ')[0]}): ${sent['arm'] ?? 0}`);
    });

    const validName = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/);
    /** A value for one path parameter: mostly something that routes deep, often something hostile. */
    const param = (name: string) => {
      const known = name === 'subscriptionId' ? () => t.subscriptionId : /resourceGroup/i.test(name) ? () => 'rg' : () => 'fuzzmi';
      return fc
        .oneof(
          { weight: 3, arbitrary: fc.constant(null).map(known) },
          { weight: 1, arbitrary: fc.constant(null).map(() => otherSubscriptionId) },
          { weight: 3, arbitrary: validName },
          { weight: 1, arbitrary: fc.tuple(fc.constant(null).map(known), fc.integer()).map(([s, bits]) => mixCase(s, bits)) },
          { weight: 4, arbitrary: hostileString },
        )
        .chain((value) => fc.boolean().map((raw) => segment(value, raw)));
    };

    const apiVersion = (versions: readonly string[] | 'any') =>
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .constant(versions === 'any' ? '2024-01-01' : (versions[0] ?? '2024-01-01'))
            .chain((v) => (versions === 'any' || versions.length === 0 ? fc.constant(v) : fc.constantFrom(...versions)))
            .map((v) => [v]),
        },
        { weight: 1, arbitrary: fc.constant([] as string[]) },
        {
          weight: 1,
          arbitrary: fc.array(
            fc.oneof(fc.constantFrom('2024-11-30', '2015-01-01', '2099-01-01', '2024-07-01-preview', 'latest', ''), fc.string({ maxLength: 30 })),
            { minLength: 1, maxLength: 3 },
          ),
        },
      );

    /** One route's requests (built once per route: building arbitraries is the costly part). */
    const routeRequest = (route: (typeof routes)[number]) => {
      const names = [...route.path.matchAll(/\{(\*?)(\w+)\}/g)].map((m) => ({ rest: m[1] === '*', name: m[2]! }));
      return fc
        .record({
          route: fc.constant(route),
          values: fc.tuple(
            ...names.map((n) =>
              n.rest
                ? fc.oneof(
                    fc.constant(null).map(() => `subscriptions/${t.subscriptionId}/resourceGroups/rg`),
                    fc.constant(null).map(() => `subscriptions/${t.subscriptionId}`),
                    param(n.name),
                    fc.constant('..%2F..%2Fsubscriptions'),
                  )
                : param(n.name),
            ),
          ),
          method: fc.oneof(
            { weight: 5, arbitrary: fc.constant(route.method) },
            { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'POST', 'HEAD', 'OPTIONS') },
          ),
          versions: apiVersion(route.apiVersions),
          versionCase: fc.constantFrom('api-version', 'API-VERSION', 'Api-Version'),
          extraQuery: fc.oneof(
            fc.constant(''),
            fc.constantFrom(
              '&$filter=',
              "&$filter=name eq '",
              '&$top=-1',
              '&$top=99999999999',
              '&$skipToken=%%%',
              '&%zz=1',
              '&a=b&a=c',
              `&$expand=${'x'.repeat(3000)}`,
            ),
          ),
          body: hostileBody,
          contentType,
          headers: junkHeaders,
          auth: fc.oneof(
            { weight: 8, arbitrary: fc.constant('owner') },
            { weight: 1, arbitrary: fc.constantFrom('none', 'Bearer ', 'Bearer junk', 'Basic YTpi', 'bearer', `Bearer ${'a.'.repeat(3000)}`) },
          ),
        })
        .map((g) => {
          let k = 0;
          const path = g.route.path.replace(/\{\*?\w+\}/g, () => g.values[k++]!);
          const query = g.versions.map((v) => `${g.versionCase}=${encodeURIComponent(v)}`).join('&');
          const url = `${path}${query || g.extraQuery ? '?' : ''}${query}${g.extraQuery}`;
          const headers: Record<string, string | string[]> = { ...g.headers };
          if (g.auth === 'owner') headers['authorization'] = ownerAuth;
          else if (g.auth !== 'none') headers['authorization'] = headerSafe(g.auth);
          if (g.contentType !== undefined) headers['content-type'] = g.contentType;
          return { method: g.method, url, headers, payload: g.body };
        });
    };
    let request: fc.Arbitrary<{ method: string; url: string; headers: Record<string, string | string[]>; payload: string | undefined }>;

    before(() => {
      const perRoute = routes.map(routeRequest);
      request = fc.integer({ min: 0, max: perRoute.length - 1 }).chain((i) => perRoute[i]!);
    });

    it("answers every generated request below 500, errors in ARM's envelope, refusals writing nothing", async () => {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          // Reads are not expected to write: the snapshot (two store walks) is taken around the others.
          const writes = r.method !== 'GET' && r.method !== 'HEAD';
          const t0 = performance.now();
          const before = writes ? await snapshot() : '';
          timing.snap += performance.now() - t0;
          const a = await send(r.method, r.url, r.headers, r.payload);
          assertNo5xx(a);
          // Paths whose generated scope left ARM's prefixes belong to whichever surface claims them (data planes).
          if (armPath(r.url)) assertArmError(a);
          else assertAnySurfaceError(a);
          if (writes && a.status >= 400) assert.equal(await snapshot(), before, `a refused request (${a.status}) changed the store: ${a.request}`);
        }),
        fuzzParams(engineShare(engine, 950)),
      );
    });

    it("keeps ARM's envelope on any path (no route, unknown providers, traversal) and any method", async () => {
      const junkPath = fc
        .array(
          fc.oneof(
            hostileString.map((s) => segment(s, true)),
            fc.constantFrom('subscriptions', 'providers', 'resourceGroups', 'Microsoft.Compute', 'Microsoft.Unknown', '..', '%2F', 'locations'),
          ),
          { minLength: 0, maxLength: 8 },
        )
        .map((segs) => '/' + segs.join('/'));
      await fc.assert(
        fc.asyncProperty(
          junkPath,
          fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'POST', 'HEAD'),
          hostileBody,
          contentType,
          async (path, method, body, ct) => {
            // A URL the HTTP client itself refuses to form (light-my-request's URL parser, as Node's) never reaches the server.
            const a = await send(method, `${path}?api-version=2024-11-30`, { authorization: ownerAuth, ...(ct ? { 'content-type': ct } : {}) }, body).catch(
              (error: unknown) => {
                if (error instanceof TypeError && /Invalid URL/.test(error.message)) return undefined;
                throw error;
              },
            );
            if (a === undefined) return;
            assertNo5xx(a);
            if (armPath(path)) assertArmError(a);
            else assertAnySurfaceError(a);
          },
        ),
        fuzzParams(engineShare(engine, 150)),
      );
    });
  });
}
