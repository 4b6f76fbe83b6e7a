/**
 * Bad input on the ARM surface: each case gets a 4xx with ARM's error envelope and a message a person
 * understands, never a 5xx, and leaves the stored state exactly as it was. The last test is a seeded
 * campaign of a few hundred generated malformed requests over the Microsoft.Resources routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

const V = 'api-version=2025-04-01';

/** The stored state the bad requests must not change. */
async function snapshot(t: ArmTestApp): Promise<string> {
  const groups = await t.store.resourceGroups.list(t.subscriptionId, { limit: 1000 });
  const resources = await t.store.resources.listBySubscription(t.subscriptionId, { limit: 1000 });
  return JSON.stringify({ groups: groups.items, resources: resources.items });
}

function assertArmError(res: LightMyRequestResponse, method: string, label: string): void {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${label}: expected 4xx, got ${res.statusCode} ${res.body.slice(0, 300)}`);
  assert.ok(res.headers['x-ms-request-id'], `${label}: x-ms-request-id`);
  if (method === 'HEAD') return;
  const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof body.error?.code, 'string', `${label}: error.code in ${res.body}`);
  assert.equal(typeof body.error?.message, 'string', `${label}: error.message in ${res.body}`);
  assert.ok((body.error!.message as string).length > 10, `${label}: a message a person understands`);
}

for (const engine of ['sqlite', 'postgres'] as const)
  describe(`ARM bad input [${engine}]`, () => {
    let t: ArmTestApp;
    let rg: (name: string) => string;
    const put = (url: string, payload: string | Buffer, contentType = 'application/json') =>
      t.app.inject({ method: 'PUT', url, payload, headers: { authorization: t.auth, 'content-type': contentType } });

    before(async () => {
      t = await createArmTestApp(engine);
      rg = (name) => `/subscriptions/${t.subscriptionId}/resourcegroups/${name}`;
      const made = await put(`${rg('stable')}?${V}`, JSON.stringify({ location: 'westus', tags: { keep: 'me' } }));
      assert.equal(made.statusCode, 201);
    });
    after(() => t.close());

    it('malformed JSON is 400 InvalidRequestContent', async () => {
      for (const payload of ['{', '{"location": }', "{'location':'westus'}", '{"location":"westus",}', 'nul']) {
        const res = await put(`${rg('newgroup')}?${V}`, payload);
        assert.equal(res.statusCode, 400, payload);
        assert.equal(res.json().error.code, 'InvalidRequestContent');
        assert.match(res.json().error.message, /^The request content was invalid and could not be deserialized: /);
      }
    });

    it('non-object bodies are refused, saying what was sent', async () => {
      for (const [payload, kind] of [
        ['[]', 'array'],
        ['"westus"', 'string'],
        ['42', 'number'],
        ['null', 'null'],
        ['true', 'boolean'],
      ] as const) {
        const res = await put(`${rg('newgroup')}?${V}`, payload);
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), {
          error: {
            code: 'InvalidRequestContent',
            message: `The request content was invalid and could not be deserialized: a JSON object is required, but the content is ${kind}.`,
          },
        });
      }
    });

    it('wrong field types name the field', async () => {
      const cases: [unknown, string, string][] = [
        [{ location: 5 }, 'location', 'a string, but it is number'],
        [{ location: 'westus', tags: 'a=b' }, 'tags', 'an object of string values, but it is string'],
        [{ location: 'westus', tags: { env: 1 } }, 'tags.env', 'a string, but it is number'],
        [{ location: 'westus', managedBy: ['x'] }, 'managedBy', 'a string, but it is array'],
        [{ location: null }, 'location', 'a string, but it is null'],
      ];
      for (const [body, target, what] of cases) {
        const res = await put(`${rg('newgroup')}?${V}`, JSON.stringify(body));
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), {
          error: {
            code: 'InvalidRequestContent',
            target,
            message: `The request content was invalid and could not be deserialized: the value of '${target}' must be ${what}.`,
          },
        });
      }
    });

    it('a missing location is 400 LocationRequired; an empty body too is refused', async () => {
      const res = await put(`${rg('newgroup')}?${V}`, '{"tags":{}}');
      assert.deepEqual(res.json(), {
        error: { code: 'LocationRequired', message: 'The location property is required for this definition.', target: 'location' },
      });
      const empty = await put(`${rg('newgroup')}?${V}`, '');
      assert.equal(empty.statusCode, 400);
      assert.equal(empty.json().error.code, 'InvalidRequestContent');
    });

    it('invalid resource group names are 400 InvalidResourceGroupName', async () => {
      for (const name of ['a'.repeat(91), 'bad!name', 'trailing.', 'sp%20ace', 'slash%2Fin', 'star*', "quote'"]) {
        const res = await put(`${rg(name)}?${V}`, '{"location":"westus"}');
        assert.equal(res.statusCode, 400, name);
        assert.equal(res.json().error.code, 'InvalidResourceGroupName');
        assert.match(
          res.json().error.message,
          /It must be 1 to 90 characters long, contain only letters, digits, '-', '_', '\.', '\(' and '\)', and not end with '\.'\.$/,
        );
      }
      const ok = await put(`${rg('a'.repeat(90))}?${V}`, '{"location":"westus"}');
      assert.equal(ok.statusCode, 201, '90 characters is the limit, not over it');
      await t.app.inject({ method: 'DELETE', url: `${rg('a'.repeat(90))}?${V}`, headers: { authorization: t.auth } });
    });

    it('bad tags and locations are 400 with the rule in the message', async () => {
      const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v']));
      const cases: [unknown, string][] = [
        [{ location: 'westus', tags: many }, 'InvalidParameter'],
        [{ location: 'westus', tags: { 'a<b': 'v' } }, 'InvalidTagNameCharacters'],
        [{ location: 'westus', tags: { a: 'v'.repeat(257) } }, 'InvalidParameter'],
        [{ location: 'westus', tags: { Env: 'a', env: 'b' } }, 'InvalidParameter'],
        [{ location: 'west-us!' }, 'LocationNotAvailableForResourceGroup'],
      ];
      for (const [body, code] of cases) {
        const res = await put(`${rg('newgroup')}?${V}`, JSON.stringify(body));
        assert.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 80));
        assert.equal(res.json().error.code, code);
      }
    });

    it('bodies over 4 MiB are 413; wrong content types 415; invalid UTF-8 400', async () => {
      const big = JSON.stringify({ location: 'westus', tags: { a: 'x'.repeat(4 * 1024 * 1024) } });
      const res = await put(`${rg('newgroup')}?${V}`, big);
      assert.equal(res.statusCode, 413);
      assert.equal(res.json().error.code, 'RequestEntityTooLarge');
      const text = await put(`${rg('newgroup')}?${V}`, '{"location":"westus"}', 'text/plain');
      assert.equal(text.statusCode, 415);
      assert.deepEqual(text.json(), {
        error: { code: 'UnsupportedMediaType', message: "The content media type 'text/plain' is not supported. Only 'application/json' is supported." },
      });
      const form = await put(`${rg('newgroup')}?${V}`, 'location=westus', 'application/x-www-form-urlencoded');
      assert.equal(form.statusCode, 415);
      const bytes = await put(`${rg('newgroup')}?${V}`, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
      assert.equal(bytes.statusCode, 400);
      assert.match(bytes.json().error.message, /not valid UTF-8/);
    });

    it('bad paging parameters are 400', async () => {
      for (const q of [
        '$top=0',
        '$top=-1',
        '$top=abc',
        '$top=1001',
        '$skiptoken=garbage',
        '$skiptoken=YWJj.0000000000000000',
        "$filter=name eq 'x'",
        "$filter=tagValue eq 'x'",
        '$filter=tagName eq x',
      ]) {
        const res = await t.app.inject({
          method: 'GET',
          url: `/subscriptions/${t.subscriptionId}/resourcegroups?${V}&${q}`,
          headers: { authorization: t.auth },
        });
        assert.equal(res.statusCode, 400, q);
        assert.equal(res.json().error.code, 'InvalidParameter');
      }
    });

    it('odd encodings: broken percent-escapes and encoded NULs are 4xx with ARM bodies', async () => {
      for (const url of [`${rg('%E0%A4%A')}?${V}`, `${rg('%00')}?${V}`, `${rg('a%252Fb')}?${V}`, `/subscriptions/%ZZ/resourcegroups?${V}`]) {
        const res = await t.app.inject({ method: 'GET', url, headers: { authorization: t.auth } });
        assertArmError(res, 'GET', url);
      }
    });

    it('a generated campaign of malformed requests gets 4xx ARM errors and changes nothing', async () => {
      const before = await snapshot(t);
      const requests = await generateCampaign(t, 320, 20260101);
      const seen = new Map<number, number>();
      for (const [label, options] of requests) {
        const res = await t.app.inject(options);
        assertArmError(res, String(options.method), label);
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
      }
      assert.equal(await snapshot(t), before, 'no bad request left anything behind');
      for (const status of [400, 401, 404, 412, 415]) assert.ok(seen.has(status), `campaign covered ${status}: ${JSON.stringify([...seen])}`);
    });
  });

/** mulberry32: a small seeded PRNG so a failing campaign can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Base = { method: 'PUT' | 'PATCH' | 'GET' | 'HEAD' | 'DELETE'; kind: 'group' | 'list' | 'resources' };
const BASES: Base[] = [
  { method: 'PUT', kind: 'group' },
  { method: 'PATCH', kind: 'group' },
  { method: 'GET', kind: 'group' },
  { method: 'HEAD', kind: 'group' },
  { method: 'DELETE', kind: 'group' },
  { method: 'GET', kind: 'list' },
  { method: 'GET', kind: 'resources' },
];
const BAD_NAMES = ['a'.repeat(91), 'x.', 'bad!', 'sp%20ace', 'sl%2Fash', 'hash%23', 'per%25cent', 'tab%09', 'semi;colon', 'star*', 'q%3Fq', '%00', '.'];
const BAD_SUBS = ['not-a-guid', '1234', '00000000-0000-0000-0000-00000000000', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '00000000-0000-0000-0000-000000000000'];
const BAD_VERSIONS = ['', '2099-01-01', '2021-04-01-preview', 'latest', '2022-12-01', '2021-04-01&api-version=2019-05-10'];
const BAD_BODIES: [string, string][] = [
  ['{', 'application/json'],
  ['[]', 'application/json'],
  ['"x"', 'application/json'],
  ['null', 'application/json'],
  ['{"location":"westus","tags":[]}', 'application/json'],
  ['{"location":"westus","tags":{"a":{"b":1}}}', 'application/json'],
  ['{"location":"westus","managedBy":7}', 'application/json'],
  ['{"location":"westus"}', 'text/plain'],
  ['{"location":"westus"}', 'application/xml'],
  ['{"location":"westus","tags":{"a/b":"c"}}', 'application/json'],
  ['{"location":"westus","tags":"x"}', 'application/json'],
  ['{"location":"westus","tags":{"a":null}}', 'application/json'],
  ['', 'application/json'],
  ['\u0000', 'application/json'],
];
/** Bodies only a PUT refuses (PATCH ignores `location`, and may leave it out). */
const BAD_PUT_BODIES: [string, string][] = [
  ['{"location":1}', 'application/json'],
  ['{"location":"wes t-us!!"}', 'application/json'],
  ['{"location":"eastus"}', 'application/json'],
  ['{"tags":{}}', 'application/json'],
];

/** A few hundred requests, each carrying at least one defect that must make it fail. */
async function generateCampaign(t: ArmTestApp, count: number, seed: number): Promise<[string, InjectOptions][]> {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const expired = `Bearer ${await t.tokens.issue(t.tenantId, {}, { expiresInSeconds: -300 })}`;
  const foreign = `Bearer ${await t.tokens.issue(t.otherTenantId)}`;
  const out: [string, InjectOptions][] = [];
  for (let i = 0; i < count; i++) {
    const base = pick(BASES);
    let sub = t.subscriptionId;
    let name = 'stable';
    let version = 'api-version=2025-04-01';
    let method: string = base.method;
    let auth: string | undefined = t.auth;
    let extraPath = '';
    let query = '';
    const headers: Record<string, string> = {};
    // PUT of 'stable' in westus with no tags would succeed: keep bodies valid-looking but PATCH/PUT-safe.
    let body: [string, string] | undefined =
      base.method === 'PUT'
        ? ['{"location":"westus","tags":{"keep":"me"}}', 'application/json']
        : base.method === 'PATCH'
          ? ['{"tags":{"keep":"me"}}', 'application/json']
          : undefined;
    const defects = ['name', 'sub', 'version', 'auth', 'route', 'precondition'] as string[];
    if (body) defects.push('body', 'body', 'body');
    if (base.kind !== 'group') defects.push('query', 'query');
    const defect = pick(
      defects.filter((d) => !(d === 'precondition' && (base.kind !== 'group' || base.method === 'HEAD')) && !(d === 'name' && base.kind === 'list')),
    );
    switch (defect) {
      case 'name':
        name = pick(BAD_NAMES);
        break;
      case 'sub':
        sub = pick(BAD_SUBS);
        break;
      case 'version':
        version = pick(BAD_VERSIONS) === '' ? '' : `api-version=${pick(BAD_VERSIONS.filter((v) => v !== ''))}`;
        break;
      case 'auth':
        auth = pick([undefined, 'Bearer', 'Bearer a.b.c', 'Basic eDp5', expired, foreign, `Bearer ${'A'.repeat(3000)}`]);
        if (auth === foreign) sub = t.subscriptionId;
        break;
      case 'route':
        if (rnd() < 0.5) extraPath = pick(['/nope', '/providers/Microsoft.Fake/things/x', '/resources/extra/deep']);
        else method = pick(['POST', 'OPTIONS']);
        break;
      case 'precondition':
        headers[pick(['if-match', 'if-none-match'])] = '*';
        if (headers['if-match']) {
          delete headers['if-match'];
          headers['if-match'] = '"stale-etag"';
        }
        break;
      case 'body':
        body = pick(base.method === 'PUT' ? [...BAD_BODIES, ...BAD_PUT_BODIES] : BAD_BODIES);
        break;
      case 'query':
        query = '&' + pick(['$top=0', '$top=x', '$top=99999', '$skiptoken=AAAA', "$filter=foo eq 'x'", '$filter=tagName', "$filter=tagValue eq 'v'"]);
        break;
    }
    // If-None-Match: * on GET/HEAD of an existing group is not a write condition: give those a stale If-Match instead.
    if (defect === 'precondition' && (method === 'GET' || method === 'HEAD')) {
      delete headers['if-none-match'];
      headers['if-match'] = '"stale-etag"';
    }
    const path =
      base.kind === 'list'
        ? `/subscriptions/${sub}/resourcegroups`
        : `/subscriptions/${sub}/resourcegroups/${name}${base.kind === 'resources' ? '/resources' : ''}`;
    const url = `${path}${extraPath}?${version}${query}`;
    if (auth !== undefined) headers['authorization'] = auth;
    if (body) headers['content-type'] = body[1];
    out.push([`#${i} ${defect} ${method} ${url}`, { method: method as 'GET', url, headers, ...(body ? { payload: body[0] } : {}) }]);
  }
  return out;
}
