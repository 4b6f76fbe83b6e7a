/**
 * Fuzz campaign, the data planes (issue 15 item 5), over real TLS sockets to the whole server (so
 * the host-style rewrite and dot-segment resolution run as in production): Blob path-style
 * (`/{account}/…`) and host-style (`{account}.blob.<suffix>`), Data Lake (`{account}.dfs.<suffix>`,
 * `resource=`/`action=`), Key Vault (`{vault}.vault.<suffix>`) and Kusto (`/kusto/{cluster}/v1|v2/rest/…`),
 * with the admin holding data roles on the account and the vault so that generated requests reach
 * the operations: hostile container/blob/secret names, query options (`restype`, `comp`, block ids,
 * listing options, `resource`, `action`, `position`, api-versions), headers (`x-ms-version`,
 * blob types, ranges, conditions, metadata), bodies (junk, XML, JSON, KQL) and tokens (none, junk,
 * another plane's audience).
 *
 * Properties: no answer ≥ 500; every error in the plane's own format (Blob: XML
 * `<Error><Code>…</Code><Message>…` or, for HEAD, `x-ms-error-code`; Data Lake, Key Vault and Kusto:
 * JSON `{error:{code,message}}`); a refused write leaves the account's containers and blobs, the
 * vault's secrets, and the control plane's snapshot as they were. Seed and size: fuzz-support.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startFuzzServer, storeSnapshot, type FuzzServer } from './fuzz-server.js';
import { assertAnySurfaceError, assertNo5xx, count, engineShare, fuzzParams, headerSafe, hostileString, sent, type Answer } from './fuzz-support.js';

const SUFFIX = 'keyless.localhost';
const ROLE = {
  blobOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  vaultAdmin: '00482a5a-887f-4fb3-b363-3b7fe8e74483',
};

export function describeDataPlanesFuzz(engine: 'sqlite' | 'postgres'): void {
  describe(`fuzz: the data planes, Blob, Data Lake, Key Vault and Kusto (${engine})`, () => {
    let t: FuzzServer;
    let db: TestDatabase | undefined;
    let ca: string;
    let agent: Agent;
    const tokens: Record<'storage' | 'vault' | 'kusto' | 'arm', string> = { storage: '', vault: '', kusto: '', arm: '' };
    const group = () => `/subscriptions/${t.subscriptionId}/resourceGroups/rg`;

    // A body always goes with its Content-Length, as SDK clients send it: node's client writes a GET,
    // DELETE or OPTIONS body unframed otherwise, and the server then reads it as the next request.
    const send = (method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Answer> =>
      new Promise((done, fail) => {
        const framed = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
        const req = request({ host: '127.0.0.1', port: t.port, method, path, ca, agent, headers: framed }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            done({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
              request: `${method} ${headers['host'] ?? ''}${path.slice(0, 300)}`,
            }),
          );
        });
        req.setTimeout(30_000, () => req.destroy(new Error(`no answer in 30 s: ${method} ${path.slice(0, 200)}`)));
        req.on('error', fail);
        req.end(body);
      });
    const inject = async (method: string, url: string, headers: Record<string, string>, payload?: string) => {
      count('setup');
      const res = await t.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });
      assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
      return res;
    };
    const token = async (scope: string) => {
      const res = await inject(
        'POST',
        `/${t.tenantId}/oauth2/v2.0/token`,
        { 'content-type': 'application/x-www-form-urlencoded' },
        new URLSearchParams({ grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret, scope }).toString(),
      );
      return `Bearer ${res.json().access_token}`;
    };

    /** The data the planes hold (containers, blobs and their etags, the vault's secrets and deleted ones), hashed with the control plane's snapshot. */
    const snapshot = async () => {
      const parts: string[] = [await storeSnapshot(t.store, [t.subscriptionId])];
      const containers = await t.store.blobs.listContainers('fuzzacct', { limit: 1000 } as never);
      for (const c of containers.items) {
        parts.push(`c ${c.name} ${c.etag} ${JSON.stringify(c.metadata)}`);
        const blobs = await t.store.blobs.listBlobs('fuzzacct', c.name, { limit: 1000 } as never);
        for (const b of blobs.items) parts.push(`b ${b.name} ${b.etag}`);
        for (const b of blobs.items) parts.push(`k ${b.name} ${JSON.stringify(await t.store.blobs.listBlocks('fuzzacct', c.name, b.name))}`);
      }
      for (const s of await t.store.vaultObjects.listLatest('fuzzvault', 'secret', undefined, 1000)) parts.push(`s ${s.name} ${s.version}`);
      for (const d of await t.store.vaultObjects.listDeleted('fuzzvault', 'secret', undefined, 1000)) parts.push(`d ${JSON.stringify(d).length}`);
      return parts.join('\n');
    };

    before(async () => {
      db = engine === 'postgres' ? await createTestDatabase(process.env['KEYLESS_TEST_PG_URL']) : undefined;
      t = await startFuzzServer(db ? { databaseUrl: db.url } : {});
      ca = readFileSync(join(t.dataDir, 'ca.pem'), 'utf8');
      agent = new Agent({ keepAlive: true, ca, maxSockets: 4 });
      const arm = { authorization: t.armAuth, 'content-type': 'application/json' };
      await inject('PUT', `${group()}?api-version=2025-04-01`, arm, '{"location":"westus2"}');
      const account = `${group()}/providers/Microsoft.Storage/storageAccounts/fuzzacct`;
      await inject('PUT', `${account}?api-version=2025-06-01`, arm, JSON.stringify({ location: 'westus2', sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }));
      const vault = `${group()}/providers/Microsoft.KeyVault/vaults/fuzzvault`;
      await inject(
        'PUT',
        `${vault}?api-version=2023-07-01`,
        arm,
        JSON.stringify({ location: 'westus2', properties: { tenantId: t.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true } }),
      );
      await inject(
        'PUT',
        `${group()}/providers/Microsoft.Kusto/clusters/fuzzkusto?api-version=2023-08-15`,
        arm,
        JSON.stringify({ location: 'westus2', sku: { name: 'Standard_E2ads_v5', tier: 'Standard', capacity: 2 } }),
      );
      const oid = JSON.parse(Buffer.from(t.armAuth.split('.')[1]!, 'base64url').toString()).oid as string;
      const assign = (scope: string, role: string, name: string) =>
        inject(
          'PUT',
          `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`,
          arm,
          JSON.stringify({
            properties: { roleDefinitionId: `/subscriptions/${t.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId: oid },
          }),
        );
      await assign(account, ROLE.blobOwner, '0f6b5a2e-1c2d-4e3f-9a8b-7c6d5e4f3a21');
      await assign(vault, ROLE.vaultAdmin, '1a7c6b3f-2d3e-4f50-8b9c-8d7e6f5a4b32');
      tokens.arm = t.armAuth;
      tokens.storage = await token('https://storage.azure.com/.default');
      tokens.vault = await token('https://vault.azure.net/.default');
      const metadata = await send('GET', '/v1/rest/auth/metadata', {});
      const kustoAudience = JSON.parse(metadata.body).AzureAD.KustoServiceResourceId as string;
      tokens.kusto = await token(`${kustoAudience}/.default`);
      // Something for generated requests to find: a container with a blob, and a secret.
      const host = { host: `fuzzacct.blob.${SUFFIX}:${t.port}`, authorization: tokens.storage, 'x-ms-version': '2023-11-03' };
      const container = await send('PUT', '/con1?restype=container', host);
      assert.equal(container.status, 201, container.body);
      const put = await send('PUT', '/con1/blob1', { ...host, 'x-ms-blob-type': 'BlockBlob', 'content-type': 'text/plain' }, 'hello');
      assert.equal(put.status, 201, put.body);
      const secret = await send(
        'PUT',
        '/secrets/s1?api-version=7.5',
        { host: `fuzzvault.vault.${SUFFIX}:${t.port}`, authorization: tokens.vault, 'content-type': 'application/json' },
        '{"value":"v1"}',
      );
      assert.equal(secret.status, 200, secret.body);
    });
    after(async () => {
      agent?.destroy();
      await t?.close();
      await db?.drop();
      const planes = Object.fromEntries(Object.entries(sent).filter(([k]) => k.startsWith('data-')));
      console.log(`fuzz: data-plane requests sent (${t?.engine.split(' ')[0]}): ${JSON.stringify(planes)}`);
    });

    // ---- generators ----
    const name = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('con1', 'blob1', 's1', 'con2', 'dir/sub/file.txt', 'newname') },
      { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/) },
      { weight: 3, arbitrary: hostileString },
    );
    /** Percent-encodes a segment, or (raw) only what an HTTP client cannot send as is: `%`, `\\`, `..` and the like pass. */
    const pct = (c: string) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    const enc = (s: string, raw: boolean) => (raw ? s.replace(/[^\x21-\x7e]|[#?]/gu, pct) : encodeURIComponent(s));
    const queryPart = fc.oneof(
      fc.constantFrom(
        'restype=container',
        'restype=service',
        'restype=account',
        'comp=list',
        'comp=metadata',
        'comp=properties',
        'comp=block',
        'comp=blocklist',
        'comp=lease',
        'comp=acl',
        'comp=snapshot',
        'comp=tags',
        'comp=appendblock',
        'comp=page',
        'comp=%',
        'blockid=YmxvY2sx',
        'blockid=%%%',
        'blockid=',
        'blocklisttype=all',
        'prefix=',
        'delimiter=%2F',
        'maxresults=-1',
        'maxresults=99999999999',
        'maxresults=abc',
        'marker=junk',
        'include=metadata,deleted',
        'resource=filesystem',
        'resource=directory',
        'resource=file',
        'resource=account',
        'action=append',
        'action=flush',
        'action=getAccessControl',
        'action=junk',
        'position=0',
        'position=-1',
        'position=abc',
        'position=99999999999999999999',
        'recursive=true',
        'continuation=%',
        'timeout=0',
        'timeout=-5',
        'api-version=7.5',
        'api-version=7.4',
        'api-version=',
        'api-version=1900-01-01',
        'maxresults=1',
        'snapshot=2024-01-01T00:00:00Z',
        'versionid=x',
        'sv=2020-01-01&sig=junk',
      ),
      hostileString.map((s) => `${encodeURIComponent(s)}=${encodeURIComponent(s)}`),
    );
    const storageHeaders = fc.record(
      {
        'x-ms-version': fc.constantFrom('2023-11-03', '2021-08-06', '2099-01-01', '', 'junk'),
        'x-ms-blob-type': fc.constantFrom('BlockBlob', 'PageBlob', 'AppendBlob', 'junk', ''),
        'x-ms-range': fc.constantFrom('bytes=0-1', 'bytes=5-1', 'bytes=-1', 'bytes=0-', 'bytes=99999999-', 'junk', 'bytes=0-1,3-4'),
        range: fc.constantFrom('bytes=0-1', 'bytes=10-', 'items=0-1', 'bytes=0-99999999999999999999'),
        'if-match': fc.constantFrom('*', '"x"', '', '"0x8D"'),
        'if-none-match': fc.constantFrom('*', '"x"'),
        'if-modified-since': fc.constantFrom('junk', 'Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT'),
        'x-ms-meta-key': hostileString,
        'x-ms-meta-': fc.constant('empty-name'),
        'x-ms-blob-content-md5': fc.constantFrom('junk', 'AAAA', ''),
        'content-md5': fc.constantFrom('junk', 'XrY7u+Ae7tCTyyK7j1rNww=='),
        'x-ms-date': fc.constantFrom('junk', 'Thu, 01 Jan 1970 00:00:00 GMT'),
        'x-ms-lease-id': fc.uuid(),
        'x-ms-copy-source': fc.constantFrom('https://example.com/x', 'junk'),
        'x-ms-rename-source': fc.constantFrom('/con1/blob1', '/../x', 'junk'),
        'x-ms-properties': fc.constantFrom('a=YQ==', 'junk', '='),
        'x-ms-acl': fc.constantFrom('user::rwx', 'junk'),
        'content-type': fc.constantFrom('application/xml', 'application/json', 'application/octet-stream', 'text/plain; charset=utf-8', ''),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>YmxvY2sx</Latest></BlockList>',
          '<BlockList><Latest>%%%</Latest><Uncommitted>x</Uncommitted></BlockList>',
          '<BlockList>',
          '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><BlockList><Latest>&e;</Latest></BlockList>',
          '<SignedIdentifiers><SignedIdentifier><Id>x</Id></SignedIdentifier></SignedIdentifiers>',
          '{"value":"v2"}',
          '{"value":1}',
          '{"value":null,"attributes":{"enabled":"yes","exp":"x"}}',
          '{"value":"v","tags":{"a":1},"contentType":[]}',
          '{"db":"NetDefaultDB","csl":".show databases"}',
          '{"db":"x","csl":"print 1"}',
          '{"db":1,"csl":{}}',
          '{"csl":".create database x"}',
          '{"db":"NetDefaultDB","csl":"StormEvents | take 10 | where ((((((((((("}',
          `{"db":"NetDefaultDB","csl":"print '${'x'.repeat(5000)}'"}`,
          '{"db":"NetDefaultDB","csl":".add database NetDefaultDB admins (\'aadapp=x\')"}',
          '{"db":"NetDefaultDB","csl":"print 1","properties":{"Options":{"servertimeout":"-1"}}}',
          '[',
          '',
        ),
      },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
    );
    const auth = fc.oneof(
      { weight: 8, arbitrary: fc.constant('RIGHT') },
      { weight: 1, arbitrary: fc.constantFrom('none', 'arm', 'storage', 'vault', 'kusto', 'Bearer junk', 'Bearer ', 'SharedKey fuzzacct:AAAA', 'Basic YTpi') },
    );
    const requestSpec = fc.record({
      plane: fc.constantFrom('blob-path', 'blob-host', 'blob-host', 'dfs-host', 'vault', 'vault', 'kusto'),
      method: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('GET', 'PUT', 'HEAD', 'DELETE') },
        { weight: 1, arbitrary: fc.constantFrom('POST', 'PATCH', 'OPTIONS') },
      ),
      segments: fc.array(fc.tuple(name, fc.boolean()), { minLength: 0, maxLength: 3 }),
      vaultKind: fc.constantFrom('secrets', 'secrets', 'keys', 'deletedsecrets', 'certificates', '', 'SECRETS'),
      kustoPath: fc.constantFrom('/v1/rest/mgmt', '/v2/rest/query', '/v1/rest/query', '/v1/rest/auth/metadata', '/v2/rest/mgmt', ''),
      cluster: fc.oneof({ weight: 4, arbitrary: fc.constant('fuzzkusto') }, { weight: 1, arbitrary: hostileString.map((s) => encodeURIComponent(s)) }),
      query: fc.array(queryPart, { maxLength: 4 }),
      storageHeaders,
      body,
      auth,
      dupHeader: fc.boolean(),
    });

    it('answers every generated data-plane request below 500, errors in the plane format, refusals writing nothing', async () => {
      await fc.assert(
        fc.asyncProperty(requestSpec, async (r) => {
          const segs = r.segments.map(([s, raw]) => enc(s, raw));
          let path: string;
          const headers: Record<string, string> = {};
          let plane: 'blob' | 'dfs' | 'vault' | 'kusto';
          switch (r.plane) {
            case 'blob-path':
              plane = 'blob';
              path = `/fuzzacct/${segs.join('/')}`;
              break;
            case 'blob-host':
            case 'dfs-host':
              plane = r.plane === 'dfs-host' ? 'dfs' : 'blob';
              headers['host'] = `fuzzacct.${plane}.${SUFFIX}:${t.port}`;
              path = `/${segs.join('/')}`;
              break;
            case 'vault':
              plane = 'vault';
              headers['host'] = `fuzzvault.vault.${SUFFIX}:${t.port}`;
              path = `/${[r.vaultKind, ...segs].filter((s) => s !== '').join('/')}`;
              if (!r.query.some((q) => q.startsWith('api-version='))) r.query.push('api-version=7.5');
              break;
            default:
              plane = 'kusto';
              path = `/kusto/${r.cluster}${r.kustoPath}`;
          }
          if (plane !== 'vault' && plane !== 'kusto')
            Object.assign(headers, Object.fromEntries(Object.entries(r.storageHeaders).map(([k, v]) => [k, headerSafe(v)])));
          const right = { blob: tokens.storage, dfs: tokens.storage, vault: tokens.vault, kusto: tokens.kusto }[plane];
          const authValue = r.auth === 'RIGHT' ? right : ((tokens as Record<string, string>)[r.auth] ?? (r.auth === 'none' ? undefined : r.auth));
          if (authValue !== undefined) headers['authorization'] = authValue;
          if (plane === 'kusto' || plane === 'vault') headers['content-type'] = 'application/json; charset=utf-8';
          const url = `${path}${r.query.length ? `?${r.query.join('&')}` : ''}`;
          const method = plane === 'kusto' && r.method !== 'OPTIONS' && r.method !== 'HEAD' ? 'POST' : r.method;
          const writes = method !== 'GET' && method !== 'HEAD';
          const before = writes ? await snapshot() : '';
          count(`data-${plane}`);
          // A HEAD request has no body to send (its answer has none to frame it by).
          const a = await send(method, url, headers, method === 'HEAD' ? undefined : r.body);
          assertNo5xx(a);
          if (a.status >= 400) checkPlaneError(plane, a, method);
          if (writes && a.status >= 400) assert.equal(await snapshot(), before, `a refused request (${a.status}) changed the data: ${a.request}`);
        }),
        fuzzParams(engineShare(engine, 150)),
      );
    });

    /** The plane's own error format, or (for a path that resolved out of the plane) some surface's. */
    function checkPlaneError(plane: 'blob' | 'dfs' | 'vault' | 'kusto', a: Answer, method: string): void {
      if (method === 'HEAD' || a.body === '') {
        if (method === 'HEAD' || a.status === 304) return;
        assert.equal(typeof a.headers['x-ms-error-code'], 'string', `${a.status} with no body and no x-ms-error-code: ${a.request}`);
        return;
      }
      if (plane === 'blob' && a.body.startsWith('<')) {
        assert.match(a.body, /<Error><Code>[^<]+<\/Code><Message>[^<]+/, `${a.status} malformed Storage XML: ${a.request}: ${a.body.slice(0, 200)}`);
        return;
      }
      if (plane !== 'blob') {
        let parsed: { error?: { code?: unknown; message?: unknown } } | undefined;
        try {
          parsed = JSON.parse(a.body);
        } catch {
          assert.fail(`${a.status} with a non-JSON body from the ${plane} plane: ${a.request}: ${a.body.slice(0, 200)}`);
        }
        assert.ok(
          typeof parsed?.error?.code === 'string' && typeof parsed.error.message === 'string',
          `${a.status} not in {error:{code,message}} from the ${plane} plane: ${a.request}: ${a.body.slice(0, 200)}`,
        );
        return;
      }
      assertAnySurfaceError(a);
    }

    it('still serves the data after the campaign', async () => {
      const blob = await send('GET', '/fuzzacct/con1/blob1', { authorization: tokens.storage, 'x-ms-version': '2023-11-03' });
      // The generated writes may have replaced or deleted blob1 with a valid request: then the container still lists.
      assert.ok(blob.status === 200 || blob.status === 404, `${blob.status} ${blob.body}`);
      const list = await send('GET', '/fuzzacct?comp=list', { authorization: tokens.storage, 'x-ms-version': '2023-11-03' });
      assert.equal(list.status, 200, list.body);
      const secrets = await send('GET', '/secrets?api-version=7.5', { host: `fuzzvault.vault.${SUFFIX}:${t.port}`, authorization: tokens.vault });
      assert.equal(secrets.status, 200, secrets.body);
    });
  });
}
