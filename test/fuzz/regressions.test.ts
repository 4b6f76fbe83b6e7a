/**
 * Named regressions for what the fuzz campaign found (issue 15 item 5), on the whole server:
 *
 * - Dot segments: a raw `..` or `%2e%2e` segment used to be routed by whichever surface the prefix
 *   named while `app.inject` (like every SDK's URL class) resolved it first, so the two disagreed and
 *   `/v1.0/applications/%2e%2e` reached the Blob plane. Now the server resolves dot segments before
 *   routing, as Azure's front ends do (src/http/dot-segments.ts): over a raw socket, a path with dot
 *   segments gets exactly the answer of its resolved path, from the surface that owns that path and
 *   under that surface's authorization; it never climbs above the root, so a host-style data-plane
 *   request never leaves its account.
 * - Required body fields (src/http/arm/body-schema.ts `!`): a missing field is a 400 in ARM's
 *   envelope naming the field, where it used to be a 500 (checkNameAvailability without `name`,
 *   regenerateKey without `keyName`, accessPolicies without `properties.accessPolicies`), and the
 *   refusal writes nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkBody, bodySchema } from '../../src/http/arm/body-schema.js';
import { resolveDotSegments } from '../../src/http/dot-segments.js';
import { DomainError } from '../../src/core/errors.js';
import { startFuzzServer, storeSnapshot, type FuzzServer } from './fuzz-server.js';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

describe('fuzz regressions: dot segments and required body fields', () => {
  let t: FuzzServer;
  let ca: string;
  const group = () => `/subscriptions/${t.subscriptionId}/resourceGroups/rg`;

  /** A request over a real TLS socket, with the path exactly as given (node's client does not resolve it). */
  const raw = (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> =>
    new Promise((done, fail) => {
      const req = request({ host: '127.0.0.1', port: t.port, method, path, ca, headers: { ...headers, connection: 'close' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      });
      req.on('error', fail);
      req.end(body);
    });
  const inject = async (method: string, url: string, headers: Record<string, string> = {}, payload?: unknown, text?: string): Promise<Answer> => {
    const body = text ?? (payload === undefined ? undefined : JSON.stringify(payload));
    const res = await t.app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body }) });
    return { status: res.statusCode, body: res.body, headers: res.headers };
  };
  /** What a client gets from an answer: status and error code (ids and dates differ between two answers). */
  const gist = (a: Answer) => {
    let code: unknown = a.headers['x-ms-error-code'];
    try {
      const parsed = JSON.parse(a.body);
      code ??= parsed?.error?.code ?? parsed?.error ?? (Array.isArray(parsed?.value) ? `list of ${parsed.value.length}` : parsed?.id);
    } catch {
      code ??= /<Code>([^<]+)<\/Code>/.exec(a.body)?.[1] ?? a.body.slice(0, 60);
    }
    return `${a.status} ${String(code)}`;
  };

  before(async () => {
    t = await startFuzzServer();
    ca = readFileSync(join(t.dataDir, 'ca.pem'), 'utf8');
    const arm = { authorization: t.armAuth, 'content-type': 'application/json' };
    const made = [
      await inject('PUT', `${group()}?api-version=2025-04-01`, arm, { location: 'westus2' }),
      await inject('PUT', `${group()}/providers/Microsoft.Storage/storageAccounts/fuzzacct?api-version=2025-06-01`, arm, {
        location: 'westus2',
        sku: { name: 'Standard_LRS' },
        kind: 'StorageV2',
      }),
      await inject('PUT', `${group()}/providers/Microsoft.KeyVault/vaults/fuzzvault?api-version=2023-07-01`, arm, {
        location: 'westus2',
        properties: { tenantId: t.tenantId, sku: { family: 'A', name: 'standard' }, accessPolicies: [] },
      }),
    ];
    for (const a of made) assert.ok(a.status < 300, `${a.status} ${a.body}`);
  });
  after(() => t?.close());

  it('resolves dot segments like RFC 3986 §5.2.4, percent-encoded dots and backslashes included, never above the root', () => {
    const cases: [string, string | undefined][] = [
      ['/a/b/../c?x=/../y', '/a/c?x=/../y'],
      ['/a/%2e%2E/c', '/c'],
      ['/a/.%2e/c', '/c'],
      ['/a/./b/.', '/a/b/'],
      ['/a/b/..', '/a/'],
      ['/../../x', '/x'],
      ['/..', '/'],
      ['/a\\..\\b', '/b'],
      ['/a/..b/c.', undefined],
      ['/a/b', undefined],
      ['*', undefined],
    ];
    for (const [input, expected] of cases) assert.equal(resolveDotSegments(input), expected, input);
  });

  it('answers a raw path with dot segments exactly as its resolved path, over a socket and through inject alike', async () => {
    const av = 'api-version=2025-04-01';
    const armAuth = { authorization: t.armAuth };
    const cases: [string, Record<string, string>][] = [
      [`/subscriptions/../subscriptions/${t.subscriptionId}/resourceGroups?${av}`, armAuth],
      [`/../../subscriptions/${t.subscriptionId}/resourceGroups/rg?${av}`, armAuth],
      [`/subscriptions/${t.subscriptionId}/resourceGroups/rg/%2e%2e/rg?${av}`, armAuth],
      [`/subscriptions/${t.subscriptionId}/resourceGroups/rg/%2E%2E/%2e%2e/%2e%2e/v1.0/applications`, { authorization: t.graphAuth }],
      [`/subscriptions\\${t.subscriptionId}\\resourceGroups\\rg?${av}`, armAuth],
      ['/subscriptions/%2e%2e/x', {}],
      ['/subscriptions/..', {}],
      ['/v1.0/applications/%2e%2e', { authorization: t.graphAuth }],
      [`/v1.0/applications/..%2F..%2Fsubscriptions`, { authorization: t.graphAuth }],
    ];
    for (const [path, headers] of cases) {
      const resolved = resolveDotSegments(path) ?? path;
      const viaSocket = await raw('GET', path, headers);
      const expected = await raw('GET', resolved, headers);
      assert.equal(gist(viaSocket), gist(expected), `${path} (resolved ${resolved})`);
      assert.ok(viaSocket.status < 500, path);
      if (!path.includes('\\')) assert.equal(gist(await inject('GET', path, headers)), gist(expected), `inject ${path}`);
    }
  });

  it("answers Graph's own prefixes (`/v1.0/`, `/graph/v1.0/`, where a dot segment can lead) in Graph's format, not the Blob plane's", async () => {
    for (const path of ['/graph/v1.0/', '/graph/v1.0', '/graph/v1.0/applications/%2e%2e', '/v1.0/applications/..', '/graph/v1.0/x/%2E%2E/']) {
      const a = await raw('PATCH', path, { authorization: t.graphAuth });
      assert.equal(a.status, 400, `${path}: ${a.body}`);
      assert.equal(JSON.parse(a.body).error.code, 'BadRequest', path);
    }
  });

  it("gives a dot segment no other surface's authorization: the surface of the resolved path decides", async () => {
    // Written under Graph's prefix, resolved to ARM: ARM judges the token (a Graph token is refused, in ARM's envelope).
    const intoArm = await raw('GET', `/v1.0/applications/%2e%2e/%2e%2e/subscriptions/${t.subscriptionId}/resourceGroups?api-version=2025-04-01`, {
      authorization: t.graphAuth,
    });
    assert.equal(intoArm.status, 401, intoArm.body);
    assert.match(JSON.parse(intoArm.body).error.code, /^InvalidAuthenticationToken/);
    // Written under ARM's prefix, resolved to Graph: Graph judges the token (an ARM token is refused, in Graph's format).
    const intoGraph = await raw('GET', `/subscriptions/${t.subscriptionId}/../../v1.0/applications`, { authorization: t.armAuth });
    assert.equal(intoGraph.status, 401, intoGraph.body);
    assert.equal(typeof JSON.parse(intoGraph.body).error.code, 'string');
    // And the owning surface's own token works there: the path is simply the resolved one.
    const graph = await raw('GET', `/subscriptions/${t.subscriptionId}/../../v1.0/applications`, { authorization: t.graphAuth });
    assert.equal(graph.status, 200, graph.body);
  });

  it('keeps a host-style data-plane request inside its account whatever dot segments it carries', async () => {
    // The admin may read blobs of fuzzacct (Storage Blob Data Reader there), so a path inside it reaches the container lookup.
    const oid = JSON.parse(Buffer.from(t.armAuth.split('.')[1]!, 'base64url').toString()).oid as string;
    const account = `${group()}/providers/Microsoft.Storage/storageAccounts/fuzzacct`;
    const assigned = await inject(
      'PUT',
      `${account}/providers/Microsoft.Authorization/roleAssignments/7d0c6a6e-3f5b-4a51-9a43-6f1d4c2b9e01?api-version=2022-04-01`,
      { authorization: t.armAuth, 'content-type': 'application/json' },
      {
        properties: {
          roleDefinitionId: `/subscriptions/${t.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`,
          principalId: oid,
        },
      },
    );
    assert.equal(assigned.status, 201, assigned.body);
    const token = await inject(
      'POST',
      `/${t.tenantId}/oauth2/v2.0/token`,
      { 'content-type': 'application/x-www-form-urlencoded' },
      undefined,
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: t.clientId,
        client_secret: t.clientSecret,
        scope: 'https://storage.azure.com/.default',
      }).toString(),
    );
    const storage = `Bearer ${JSON.parse(token.body).access_token}`;
    const host = { host: `fuzzacct.blob.keyless.localhost:${t.port}`, authorization: storage, 'x-ms-version': '2023-11-03' };
    const inside = await raw('GET', '/otheracct/b', host);
    assert.equal(gist(inside), '404 ContainerNotFound', inside.body);
    for (const path of ['/../otheracct/b', '/%2e%2e/%2e%2e/otheracct/b', '/x/../../otheracct/b', '/..\\otheracct/b']) {
      assert.equal(gist(await raw('GET', path, host)), gist(inside), path);
    }
    // Had it climbed, it would have reached account otheracct (path style), which answers otherwise.
    const otherAccount = await raw('GET', '/otheracct/c/b', { authorization: storage, 'x-ms-version': '2023-11-03' });
    assert.notEqual(gist(otherAccount), gist(inside), otherAccount.body);
    // The dfs endpoint answers in Data Lake's JSON whatever went wrong: a Blob-style operation there, or a body
    // refused before any handler ran (both were Storage XML; found by test/fuzz/dataplanes-fuzz.ts).
    const dfs = { ...host, host: `fuzzacct.dfs.keyless.localhost:${t.port}` };
    for (const [method, path, headers, body] of [
      ['PUT', '/otheracct/x?comp=lease', {}, undefined],
      ['PATCH', '/', { 'content-type': '' }, '<BlockList>'],
    ] as const) {
      const a = await raw(method, path, { ...dfs, ...headers }, body);
      assert.ok(a.status >= 400 && a.status < 500, `${method} ${path}: ${a.status}`);
      assert.equal(typeof JSON.parse(a.body).error.code, 'string', `${method} ${path}: ${a.body}`);
    }
    // Path style, the account is the first segment of the resolved path: `/fuzzacct/../otheracct/c/b` is account otheracct.
    assert.equal(gist(await raw('GET', '/fuzzacct/../otheracct/c/b', { authorization: storage, 'x-ms-version': '2023-11-03' })), gist(otherAccount));
  });

  it("refuses a body without a required field with a 400 in ARM's envelope naming the field, writing nothing", async () => {
    const arm = { authorization: t.armAuth, 'content-type': 'application/json' };
    const sub = `/subscriptions/${t.subscriptionId}`;
    const cases: [string, string, unknown, string][] = [
      [`${sub}/providers/Microsoft.Storage/checkNameAvailability?api-version=2025-06-01`, 'POST', { type: 'Microsoft.Storage/storageAccounts' }, 'name'],
      [`${sub}/providers/Microsoft.KeyVault/checkNameAvailability?api-version=2023-07-01`, 'POST', {}, 'name'],
      [`${sub}/providers/Microsoft.Kusto/locations/westus2/checkNameAvailability?api-version=2024-04-13`, 'POST', { type: 'Microsoft.Kusto/clusters' }, 'name'],
      [`${group()}/providers/Microsoft.Storage/storageAccounts/fuzzacct/regenerateKey?api-version=2025-06-01`, 'POST', {}, 'keyName'],
      [`${group()}/providers/Microsoft.KeyVault/vaults/fuzzvault/accessPolicies/add?api-version=2023-07-01`, 'PUT', {}, 'properties.accessPolicies'],
      [
        `${group()}/providers/Microsoft.KeyVault/vaults/fuzzvault/accessPolicies/add?api-version=2023-07-01`,
        'PUT',
        { properties: {} },
        'properties.accessPolicies',
      ],
    ];
    for (const [url, method, body, field] of cases) {
      const before = await storeSnapshot(t.store, [t.subscriptionId]);
      const a = await inject(method, url, arm, body);
      assert.equal(a.status, 400, `${method} ${url}: ${a.body}`);
      const error = JSON.parse(a.body).error;
      assert.equal(error.code, 'InvalidRequestContent', a.body);
      assert.ok(error.message.includes(`'${field}'`), `the message names '${field}': ${error.message}`);
      assert.equal(await storeSnapshot(t.store, [t.subscriptionId]), before, `${url} wrote something`);
    }
    // A present but wrong-typed required field is still the type error; null is not presence.
    const wrong = await inject('POST', `${sub}/providers/Microsoft.Storage/checkNameAvailability?api-version=2025-06-01`, arm, { name: null });
    assert.equal(wrong.status, 400);
    assert.match(JSON.parse(wrong.body).error.message, /'name' must be a string, but it is null/);
  });

  // With data after the head: the socket must still close when the client goes, or the server's stop hangs (this file's `after`).
  it("answers CONNECT with a 405 in ARM's envelope (node closed the socket without a word)", async () => {
    const { connect } = await import('node:tls');
    const text: string = await new Promise((done, fail) => {
      let out = '';
      const socket = connect({ host: '127.0.0.1', port: t.port, ca }, () =>
        socket.write('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\nContent-Length: 5\r\n\r\nhello'),
      );
      socket.on('data', (c: Buffer) => (out += c.toString()));
      socket.on('close', () => done(out));
      socket.on('error', fail);
    });
    assert.match(text, /^HTTP\/1\.1 405 /);
    assert.equal(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.code, 'MethodNotAllowed');
  });

  it("answers an HTTP/1.1 request without Host with a 400 in ARM's envelope (node's was empty)", async () => {
    const { rawRequest } = await import('./raw-http.js');
    const a = await rawRequest(t.port, Buffer.from(`GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nConnection: close\r\n\r\n`), false, 10_000, { ca });
    assert.equal(a?.status, 400);
    assert.equal(JSON.parse(a!.body).error.code, 'BadRequest');
  });

  it("answers an Expect other than 100-continue with a 417 in ARM's envelope (node's was empty)", async () => {
    const { rawRequest } = await import('./raw-http.js');
    const a = await rawRequest(
      t.port,
      Buffer.from(
        `PUT /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 999-nothing\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      ),
      false,
      10_000,
      { ca },
    );
    assert.equal(a?.status, 417);
    assert.equal(JSON.parse(a!.body).error.code, 'ExpectationFailed');
  });

  it('marks required fields with `!`, nested ones making their parents required', () => {
    const schema = bodySchema<unknown>({ a: 'string!', b: { c: 'array!', d: 'string?' }, e: 'number' });
    const message = (body: unknown) => {
      try {
        checkBody(schema, body);
        return 'ok';
      } catch (error) {
        assert.ok(error instanceof DomainError);
        return error.message;
      }
    };
    assert.equal(message({ a: 'x', b: { c: [] } }), 'ok');
    assert.match(message({ b: { c: [] } }), /required property 'a' not found/);
    assert.match(message({ a: 'x' }), /required property 'b\.c' not found/);
    assert.match(message({ a: 'x', b: {} }), /required property 'b\.c' not found/);
    assert.match(message({ a: 1, b: { c: [] } }), /'a' must be a string, but it is number/);
    assert.match(message({ a: 'x', b: { c: [] }, e: 'no' }), /'e' must be a number/);
  });
});
