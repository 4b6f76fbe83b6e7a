/**
 * Fuzz campaign, the whole server over raw TLS (issue 15 item 5): the in-process and HTTPS-client
 * campaigns cannot send what a client library refuses to form, so this one writes requests byte for
 * byte to the listening server: request lines with odd methods, targets (absolute-form, `*`, dot
 * segments, backslashes, fragments, 20 KB paths) and versions; header injection (bare LF, NUL,
 * obs-fold, a space before the colon, no colon), duplicated and conflicting `Host`,
 * `Authorization`, `Content-Length` and `Transfer-Encoding` (the request-smuggling shapes), malformed
 * chunked bodies, huge headers, `Expect: 100-continue`, CONNECT; on every surface's paths.
 *
 * Properties: every request gets an HTTP answer, never ≥ 500, its error body in some surface's format
 * (node's parser errors and unrouted paths: ARM's envelope), no injected header echoed, and the server
 * still serves afterwards. Seed and size: fuzz-support.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startFuzzServer, type FuzzServer } from './fuzz-server.js';
import { assertAnySurfaceError, count, fuzzParams, hostileString, sent } from './fuzz-support.js';
import { rawRequest } from './raw-http.js';

describe('fuzz: the whole server over raw TLS (request lines, header injection, framing)', () => {
  let t: FuzzServer;
  let ca: string;
  const statuses = new Map<number, number>();

  before(async () => {
    t = await startFuzzServer();
    ca = readFileSync(join(t.dataDir, 'ca.pem'), 'utf8');
  });
  after(async () => {
    await t?.close();
    console.log(`fuzz: raw server requests sent: ${sent['server-raw'] ?? 0}; answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`);
  });

  const spec = fc.record({
    path: fc.constantFrom('ARM', 'ARM-WRITE', 'TOKEN', 'GRAPH', 'AGENT', 'BLOB', 'KUSTO', 'METADATA', 'HEALTH', 'OIDC', 'HOSTILE'),
    hostile: hostileString,
    trick: fc.oneof(
      { weight: 5, arbitrary: fc.constant('none') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'dotdot',
          'encoded-dotdot',
          'backslash',
          'absolute',
          'asterisk',
          'fragment',
          'huge',
          'double-slash',
          'upper',
          'space',
          'unicode',
        ),
      },
    ),
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant('RIGHT') },
      { weight: 2, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE') },
      { weight: 1, arbitrary: fc.constantFrom('CONNECT', 'get', 'FOO', 'PROPFIND', 'M-SEARCH', '', 'GET GET') },
    ),
    version: fc.oneof(
      { weight: 10, arbitrary: fc.constant('HTTP/1.1') },
      { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1x', '') },
    ),
    host: fc.oneof(
      { weight: 6, arbitrary: fc.constant(['127.0.0.1']) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          [] as string[],
          ['a', 'b'],
          ['fuzzacct.blob.keyless.localhost'],
          ['fuzzvault.vault.keyless.localhost'],
          ['x.dfs.keyless.localhost:1'],
          ['[::1'],
          [''],
          ['127.0.0.1', '127.0.0.1'],
        ),
      },
    ),
    auth: fc.oneof(
      { weight: 4, arbitrary: fc.constant(['ARM']) },
      {
        weight: 1,
        arbitrary: fc.constantFrom([] as string[], ['GRAPH'], ['ARM', 'GRAPH'], ['Bearer'], ['Bearer a b'], ['Basic Og=='], [`Bearer ${'x'.repeat(9000)}`]),
      },
    ),
    framing: fc.oneof(
      { weight: 5, arbitrary: fc.constant('length') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'none',
          'chunked',
          'chunked-bad-size',
          'chunked-unterminated',
          'length-short',
          'length-twice-differ',
          'length-and-chunked',
          'length-negative',
          'length-junk',
          'te-identity',
          'te-chunked-twice',
        ),
      },
    ),
    body: fc.oneof(
      { weight: 3, arbitrary: fc.constant('{"location":"westus2"}') },
      { weight: 1, arbitrary: fc.constant('grant_type=client_credentials&client_id=x&client_secret=y&scope=https%3A%2F%2Fmanagement.azure.com%2F.default') },
      { weight: 1, arbitrary: fc.constantFrom('', '{', '\u0000', '[]', 'null') },
      { weight: 1, arbitrary: hostileString },
      { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 300_000 }).map((n) => `{"location":"${'l'.repeat(n)}"}`) },
    ),
    contentType: fc.constantFrom(
      'application/json',
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      '',
      'application/json; charset=latin1',
      '*/*',
    ),
    junk: fc.oneof(
      { weight: 3, arbitrary: fc.constant([] as string[]) },
      {
        weight: 2,
        arbitrary: fc.array(
          fc.oneof(
            fc.constantFrom(
              'X-Injected: 1',
              'X-Lf: a\nX-Injected: 2',
              'X-Nul: a\u0000b',
              ' folded-continuation',
              '\tfolded-tab',
              'No-Colon-Here',
              'Space Name: x',
              'X-Sp : x',
              ': empty-name',
              'Expect: 100-continue',
              'Expect: 999-nothing',
              'Upgrade: websocket',
              'Connection: Upgrade',
              'X-Forwarded-For: 169.254.169.254',
              'X-Forwarded-Host: evil.example',
              'X-Original-URL: /subscriptions',
              'X-Rewrite-URL: /subscriptions',
              'X-HTTP-Method-Override: DELETE',
              'Accept-Encoding: gzip, br, *',
              'Range: bytes=0-1',
              'Content-Encoding: gzip',
              'X-Unicode: 名前😀',
            ),
            fc.integer({ min: 1000, max: 24_000 }).map((n) => `X-Huge: ${'h'.repeat(n)}`),
            hostileString.map((s) => `X-Fuzz: ${s}`),
          ),
          { maxLength: 3 },
        ),
      },
    ),
  });

  const pathOf = (r: typeof spec extends fc.Arbitrary<infer T> ? T : never): { method: string; path: string } => {
    const sub = `/subscriptions/${t.subscriptionId}`;
    switch (r.path) {
      case 'ARM':
        return { method: 'GET', path: `${sub}/resourceGroups?api-version=2025-04-01` };
      case 'ARM-WRITE':
        return { method: 'PUT', path: `${sub}/resourceGroups/rawrg?api-version=2025-04-01` };
      case 'TOKEN':
        return { method: 'POST', path: `/${t.tenantId}/oauth2/v2.0/token` };
      case 'GRAPH':
        return { method: 'GET', path: '/v1.0/applications' };
      case 'AGENT':
        return { method: 'POST', path: '/keyless/agent/v1/token' };
      case 'BLOB':
        return { method: 'GET', path: '/fuzzacct/con1?restype=container' };
      case 'KUSTO':
        return { method: 'POST', path: '/kusto/fuzzkusto/v1/rest/mgmt' };
      case 'METADATA':
        return { method: 'GET', path: '/metadata/endpoints?api-version=2022-09-01' };
      case 'HEALTH':
        return { method: 'GET', path: '/keyless/health/ready' };
      case 'OIDC':
        return { method: 'GET', path: `/${t.tenantId}/v2.0/.well-known/openid-configuration` };
      default:
        return { method: 'GET', path: `/${r.hostile.replace(/[\r\n ]/g, encodeURIComponent)}` };
    }
  };

  const trick = (path: string, how: string) => {
    const [p, q] = path.split('?') as [string, string | undefined];
    const withQuery = (x: string) => (q === undefined ? x : `${x}?${q}`);
    switch (how) {
      case 'dotdot':
        return withQuery(`/x/..${p}`);
      case 'encoded-dotdot':
        return withQuery(`${p}/%2e%2e/${p.split('/').pop()}`);
      case 'backslash':
        return withQuery(p.replace(/\//g, '\\'));
      case 'absolute':
        return `https://127.0.0.1${path}`;
      case 'asterisk':
        return '*';
      case 'fragment':
        return `${path}#frag`;
      case 'huge':
        return withQuery(`${p}/${'p'.repeat(20_000)}`);
      case 'double-slash':
        return `/${path}`;
      case 'upper':
        return path.toUpperCase();
      case 'space':
        return withQuery(`${p} x`);
      case 'unicode':
        return withQuery(`${p}/名前`);
      default:
        return path;
    }
  };

  it('answers every raw request below 500, in some surface format, echoing nothing injected', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (r) => {
        const base = pathOf(r);
        const method = r.method === 'RIGHT' ? base.method : r.method;
        const target = trick(base.path, r.trick);
        const lines = [`${method} ${target} ${r.version}`.trimEnd()];
        for (const h of r.host) lines.push(`Host: ${h}`);
        for (const a of r.auth) lines.push(`Authorization: ${a === 'ARM' ? t.armAuth : a === 'GRAPH' ? t.graphAuth : a}`);
        if (r.contentType) lines.push(`Content-Type: ${r.contentType}`);
        lines.push(...r.junk);
        const body = Buffer.from(r.body, 'utf8');
        let bytes: Buffer = body;
        switch (r.framing) {
          case 'length':
            lines.push(`Content-Length: ${body.length}`);
            break;
          case 'chunked':
            lines.push('Transfer-Encoding: chunked');
            bytes = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
            break;
          case 'chunked-bad-size':
            lines.push('Transfer-Encoding: chunked');
            bytes = Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]);
            break;
          case 'chunked-unterminated':
            lines.push('Transfer-Encoding: chunked');
            bytes = Buffer.concat([Buffer.from(`${(body.length + 5).toString(16)}\r\n`), body]);
            break;
          case 'length-short':
            lines.push(`Content-Length: ${Math.max(0, body.length - 3)}`);
            break;
          case 'length-twice-differ':
            lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`);
            break;
          case 'length-and-chunked':
            lines.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked');
            break;
          case 'length-negative':
            lines.push('Content-Length: -1');
            break;
          case 'length-junk':
            lines.push('Content-Length: 1e3');
            break;
          case 'te-identity':
            lines.push('Transfer-Encoding: identity', `Content-Length: ${body.length}`);
            break;
          case 'te-chunked-twice':
            lines.push('Transfer-Encoding: chunked', 'Transfer-Encoding: chunked');
            bytes = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
            break;
          default:
            bytes = Buffer.alloc(0);
        }
        lines.push('Connection: close');
        const payload = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), bytes]);
        const request = `${r.path} ${lines.join(' | ').slice(0, 400)}`;
        count('server-raw');
        // A body shorter than it says keeps the server waiting for the rest, as it should: the
        // request timeout ends that, too slowly for a test; such requests are held to the first 1.5 s.
        const waits = r.framing === 'chunked-unterminated';
        const a = await rawRequest(t.port, payload, method === 'HEAD', waits ? 1500 : 30_000, { ca }).catch((error: Error) => {
          if (waits && /no answer within/.test(error.message)) return 'waiting' as const;
          throw error;
        });
        if (a === 'waiting') return;
        assert.ok(a, `the server closed the connection without an answer: ${request}`);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        assert.ok(a.status < 500, `${a.status} for ${request}: ${a.body.slice(0, 300)}`);
        assert.equal(a.headers['x-injected'], undefined, `an injected header came back: ${request}`);
        if (a.status >= 400)
          assertAnySurfaceError({
            status: a.status,
            body: a.body,
            headers: Object.fromEntries(Object.entries(a.headers).map(([k, v]) => [k, v[0]])),
            request: `${method} ${request}`,
          });
      }),
      fuzzParams(150),
    );
  });

  it('still serves after the campaign', async () => {
    const a = await rawRequest(
      t.port,
      Buffer.from(
        `GET /subscriptions/${t.subscriptionId}/resourceGroups?api-version=2025-04-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${t.armAuth}\r\nConnection: close\r\n\r\n`,
      ),
      false,
      10_000,
      { ca },
    );
    assert.equal(a?.status, 200, a?.body);
  });
});
