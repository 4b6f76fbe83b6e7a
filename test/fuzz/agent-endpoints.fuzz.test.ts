/**
 * Fuzz campaign, the host agent's local endpoints (issue 15 item 5): a real agent (createAgent, as
 * `keyless agent` builds it, Arc enabled over a temp key directory) whose upstream is the whole
 * Keyless server over TLS (startServer, its agent API with a host key obtained by a real join), hit
 * over raw TCP so that nothing is cleaned up on the way: the IMDS token endpoint, the instance
 * metadata paths, the App Service endpoint (`X-IDENTITY-HEADER`), the Azure Arc challenge flow and
 * the legacy VM-extension endpoint (`POST /oauth2/token`). Generated: malformed and duplicated query
 * parameters (names in any case), huge and unicode values, missing, repeated and wrong `Metadata`
 * headers, `X-Forwarded-For`/`Forwarded`, path tricks (case, trailing and doubled slashes, dot
 * segments, encoded slashes, absolute-form targets), header injection (CR/LF, bare LF, NUL,
 * obs-fold), huge headers, wrong methods and HTTP versions, oversized and chunked bodies.
 *
 * Properties: every request gets an HTTP answer (no hang, no silent close); no answer ≥ 500 (IMDS's
 * own contract has a 500 `unknown` for a token the authority could not give, azure-wire-contracts.md
 * §1.1 "transient": the agent answers it only when the Keyless server is unreachable, which it never
 * is here, so none is allowed); every error is IMDS's JSON `{error, error_description}`; a 200 only
 * for a request that passed every guard (Metadata: true once, no proxy header, the right
 * X-IDENTITY-HEADER, a live Arc secret never used before); Arc key files only inside the key
 * directory, owner-only; and after the campaign the agent still serves good tokens (verified against
 * the server's JWKS) on every style. Seed and size: test/fuzz/fuzz-support.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { createAgent, type Agent } from '../../src/agent/agent.js';
import { createHttpUpstream, type HttpUpstream } from '../../src/agent/upstream-http.js';
import { startFuzzServer, type FuzzServer } from './fuzz-server.js';
import { count, fuzzParams, hostileString, sent } from './fuzz-support.js';
import { rawRequest, type RawAnswer } from './raw-http.js';

const SECRET = 'fuzz-identity-header-secret-0123456789';
const MANAGEMENT = 'https://management.azure.com/';
const ARC_VERSION = '2020-06-01';
const IMDS = '/metadata/identity/oauth2/token';
const APP_SERVICE = '/msi/token';
const LEGACY = '/oauth2/token';

/** The endpoint a target reaches, as the agent routes (lower case, no query, no trailing slash). */
function endpointOf(target: string): string {
  const q = target.indexOf('?');
  let path = (q < 0 ? target : target.slice(0, q)).toLowerCase();
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

describe('fuzz: the agent IMDS, App Service, Arc and legacy endpoints', () => {
  let t: FuzzServer;
  let upstream: HttpUpstream;
  let agent: Agent;
  let port: number;
  let keyDir: string;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const uami = { clientId: '', objectId: '', resourceId: '' };
  let systemClientId = '';
  /** Arc secrets read from challenge files, and those a 200 has spent. */
  const issued = new Set<string>();
  const spent = new Set<string>();
  const stats = { answers: new Map<number, number>() };
  const debugTally = new Map<string, number>();

  before(async () => {
    t = await startFuzzServer();
    const arm = { authorization: t.armAuth, 'content-type': 'application/json' };
    const inject = async (method: string, url: string, headers: Record<string, string>, payload?: unknown) => {
      count('setup');
      const res = await t.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
      assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    const sub = `/subscriptions/${t.subscriptionId}/resourceGroups/rg`;
    await inject('PUT', `${sub}?api-version=2025-04-01`, arm, { location: 'westus2' });
    const mi = await inject('PUT', `${sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/fuzzmi?api-version=2024-11-30`, arm, {
      location: 'westus2',
    });
    Object.assign(uami, { clientId: mi.properties.clientId, objectId: mi.properties.principalId, resourceId: mi.id });
    const vmId = `${sub}/providers/Microsoft.Compute/virtualMachines/fuzzvm`;
    const vm = await inject('PUT', `${vmId}?api-version=2024-07-01`, arm, {
      location: 'westus2',
      identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [mi.id]: {} } },
      properties: { hardwareProfile: { vmSize: 'Standard_B1s' } },
    });
    assert.ok(vm.identity?.principalId, 'the VM has its system identity');
    const joined = await inject('POST', `${vmId}/keylessAgentJoin?api-version=2024-07-01`, { authorization: t.armAuth });
    const exchanged = await inject('POST', '/keyless/agent/v1/join', { 'content-type': 'application/json' }, { joinToken: joined.joinToken });
    upstream = createHttpUpstream({
      serverUrl: `https://127.0.0.1:${t.port}`,
      hostKey: exchanged.hostKey,
      ca: readFileSync(join(t.dataDir, 'ca.pem'), 'utf8'),
    });
    keyDir = mkdtempSync(join(tmpdir(), 'keyless-fuzz-arc-'));
    agent = createAgent({ upstream, arc: true, arcKeyDir: keyDir, identityHeaderSecret: SECRET });
    const started = await agent.start();
    assert.equal(started.arc, true, 'Arc style enabled');
    port = started.port;
    const discovery = await inject('GET', `/${t.tenantId}/v2.0/.well-known/openid-configuration`, {});
    jwks = createLocalJWKSet((await inject('GET', new URL(discovery.jwks_uri).pathname, {})) as JSONWebKeySet);
    // The system identity's client id, from a token the agent serves before any fuzzing.
    const first = await rawRequest(
      port,
      Buffer.from(`GET ${IMDS}?api-version=2018-02-01&resource=${MANAGEMENT} HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nConnection: close\r\n\r\n`),
      false,
    );
    assert.equal(first?.status, 200, first?.body);
    systemClientId = JSON.parse(first!.body).client_id;
  });
  after(async () => {
    if (process.env['FUZZ_DEBUG']) console.log([...debugTally].sort((x, y) => y[1] - x[1]).slice(0, 25));
    await agent?.stop();
    upstream?.close();
    await t?.close();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    const agentSent = Object.fromEntries(Object.entries(sent).filter(([k]) => k.startsWith('agent-')));
    console.log(`fuzz: agent endpoint requests sent: ${JSON.stringify(agentSent)}; answers by status: ${JSON.stringify(Object.fromEntries(stats.answers))}`);
  });

  // ---- generators ----
  type Kind = 'imds' | 'arc' | 'appService' | 'legacy' | 'instance' | 'other';
  const selectorValue = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('UAMI_CLIENT', 'UAMI_OBJECT', 'UAMI_RESOURCE', 'UAMI_RESOURCE_LOWER', 'SYSTEM_CLIENT') },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: hostileString },
  );
  const resourceValue = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.constantFrom(
        MANAGEMENT,
        'https://management.azure.com',
        'https://management.core.windows.net/',
        'https://vault.azure.net',
        'https://storage.azure.com/',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'https://nowhere.example',
        'api://AzureADTokenExchange',
        'HTTPS://MANAGEMENT.AZURE.COM/',
        'https://management.azure.com/.default',
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 2000, max: 70_000 }).map((n) => `https://${'a'.repeat(n)}.example/`) },
    { weight: 2, arbitrary: hostileString },
  );
  /** `RIGHT` is the version the kind's clients send. */
  const apiVersionValue = fc.oneof(
    { weight: 5, arbitrary: fc.constant('RIGHT') },
    { weight: 2, arbitrary: fc.constantFrom('2018-02-01', '2019-08-01', '2021-02-01', ARC_VERSION, '2017-12-01', '2099-01-01', '2018-02-01-preview', '') },
    { weight: 1, arbitrary: hostileString },
  );
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('drop' as const), index: fc.nat() }),
    fc.record({ op: fc.constant('duplicate' as const), index: fc.nat(), same: fc.boolean() }),
    fc.record({ op: fc.constant('hostile' as const), index: fc.nat(), value: hostileString }),
    fc.record({ op: fc.constant('recase' as const), index: fc.nat() }),
    fc.record({
      op: fc.constant('add' as const),
      name: fc.oneof(
        fc.constantFrom('client_id', 'object_id', 'msi_res_id', 'mi_res_id', 'principal_id', 'bypass_cache', 'x', '', 'api-version ', 'resource[]', 'RESOURCE'),
        hostileString,
      ),
      value: fc.oneof(selectorValue, hostileString),
    }),
  );
  const encoding = fc.constantFrom('encoded', 'encoded', 'encoded', 'plus', 'raw', 'bare');

  /**
   * One request. Half of them are "clean" at the HTTP level (right method, path, version and guard
   * headers, no junk) so that the hostile parameters reach the token path; the others are hostile at
   * every level.
   */
  const requestSpec = fc.record({
    clean: fc.boolean(),
    kind: fc.constantFrom<Kind>('imds', 'imds', 'imds', 'arc', 'arc', 'appService', 'appService', 'legacy', 'legacy', 'instance', 'other'),
    instancePath: fc.constantFrom(
      '/metadata/instance',
      '/metadata/instance/compute',
      '/metadata/instance/network/interface/0/ipv4/ipAddress/0/publicIpAddress',
      '/metadata/scheduledevents',
      '/metadata/attested/document',
      '/metadata/versions',
      '/metadata/identity/info',
      '/metadata/loadbalancer',
      '/metadata',
      '/',
    ),
    otherPath: hostileString,
    selector: fc.option(fc.tuple(fc.constantFrom('client_id', 'object_id', 'msi_res_id', 'mi_res_id', 'principal_id'), selectorValue), { nil: undefined }),
    resource: resourceValue,
    apiVersion: apiVersionValue,
    mutations: fc.oneof(fc.constant([]), fc.array(mutation, { maxLength: 3 })),
    encoding,
    pathTrick: fc.oneof(
      { weight: 6, arbitrary: fc.constant('none') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'upper',
          'trailing',
          'double-leading',
          'dot',
          'dotdot',
          'encoded-dotdot',
          'encoded-slash',
          'semicolon',
          'absolute',
          'absolute-imds',
          'backslash',
          'fragment',
          'huge',
          'asterisk',
        ),
      },
    ),
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant('RIGHT') },
      { weight: 2, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE') },
      { weight: 1, arbitrary: fc.constantFrom('CONNECT', 'get', 'FOO', 'M-SEARCH', 'PROPFIND', '') },
    ),
    version: fc.oneof(
      { weight: 12, arbitrary: fc.constant('HTTP/1.1') },
      { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 x', '') },
    ),
    metadata: fc.oneof(
      { weight: 6, arbitrary: fc.constant(['true']) },
      { weight: 1, arbitrary: fc.constant([] as string[]) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          ['True'],
          ['TRUE'],
          ['false'],
          [''],
          [' true'],
          ['true '],
          ['true', 'true'],
          ['false', 'true'],
          ['true, true'],
          ['yes'],
          ['1'],
        ),
      },
    ),
    metadataName: fc.constantFrom('Metadata', 'metadata', 'METADATA', 'Metadata', 'Metadata', 'Metadata', 'Metadata '),
    identityHeader: fc.oneof(
      { weight: 5, arbitrary: fc.constant(['RIGHT']) },
      { weight: 1, arbitrary: fc.constant([] as string[]) },
      { weight: 2, arbitrary: fc.constantFrom(['RIGHT', 'RIGHT'], ['wrong'], [''], ['RIGHTx'], [' RIGHT'], ['RIGHT', 'wrong'], ['right']) },
      { weight: 1, arbitrary: hostileString.map((s) => [s.replace(/[\r\n]/g, '')]) },
    ),
    proxy: fc.oneof(
      { weight: 10, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constantFrom('X-Forwarded-For', 'x-forwarded-for', 'Forwarded', 'FORWARDED'),
          fc.constantFrom('127.0.0.1', '169.254.169.254', '', 'for=1.2.3.4', '10.0.0.1, 127.0.0.1'),
        ),
      },
    ),
    arcMode: fc.constantFrom('answer', 'answer', 'answer', 'challenge', 'junk'),
    arcAuth: fc.constantFrom('exact', 'exact', 'exact', 'lowercase', 'suffix', 'prefix-space', 'replay', 'file-path', 'base64', 'bearer', 'empty', 'twice'),
    junkHeaders: fc.oneof(
      { weight: 2, arbitrary: fc.constant([] as string[]) },
      {
        weight: 1,
        arbitrary: fc.array(
          fc.oneof(
            fc.constantFrom(
              'X-Injected: 1',
              'Host: 169.254.169.254',
              'Content-Type: application/json',
              'Accept: */*',
              'Transfer-Encoding: identity',
              'Expect: 100-continue',
              'Expect: 999-nothing',
              'Upgrade: websocket',
              'Connection: Upgrade',
              'X-Ms-Client-Request-Id: \u0000',
              'Metadata:true',
              ' folded-continuation',
              'No-Colon-Here',
              'Bad Name: x',
              ': empty-name',
              'X-Lf: a\nX-Injected: 2',
              'X-Nul: a\u0000b',
              'X-Unicode: 名前😀',
            ),
            fc.integer({ min: 1000, max: 24_000 }).map((n) => `X-Huge: ${'h'.repeat(n)}`),
            hostileString.map((s) => `X-Fuzz: ${s}`),
          ),
          { maxLength: 3 },
        ),
      },
    ),
    body: fc.oneof(
      { weight: 6, arbitrary: fc.constant('FORM') },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.integer({ min: 8000, max: 200_000 }).map((n) => `resource=${'r'.repeat(n)}`) },
      { weight: 1, arbitrary: hostileString },
      { weight: 1, arbitrary: fc.constantFrom('{"resource":"https://management.azure.com/"}', 'resource', '&&&', '=', '%', 'resource=%zz', '\u0000') },
    ),
    contentType: fc.oneof(
      { weight: 5, arbitrary: fc.constant('application/x-www-form-urlencoded') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          undefined,
          'application/json',
          'APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8',
          'text/plain',
          'multipart/form-data; boundary=x',
          '',
        ),
      },
    ),
    chunked: fc.boolean(),
  });
  type Spec = typeof requestSpec extends fc.Arbitrary<infer T> ? T : never;

  const resolveValue = (v: string) =>
    ({
      UAMI_CLIENT: uami.clientId,
      UAMI_OBJECT: uami.objectId,
      UAMI_RESOURCE: uami.resourceId,
      UAMI_RESOURCE_LOWER: uami.resourceId.toLowerCase(),
      SYSTEM_CLIENT: systemClientId,
    })[v] ?? v;

  const encodePart = (s: string, how: string) =>
    how === 'encoded'
      ? encodeURIComponent(s)
      : how === 'plus'
        ? encodeURIComponent(s).replace(/%20/g, '+')
        : how === 'raw'
          ? // Raw bytes (unicode as UTF-8), but not the characters that would end the request line or the parameter.
            s.replace(/[\r\n #&=?%]/g, encodeURIComponent)
          : s.replace(/[\r\n ]/g, encodeURIComponent);

  /** The query (or form) pairs of a spec, before its mutations. */
  function pairsOf(r: Spec): [string, string][] {
    const pairs: [string, string][] = [];
    const rightVersion = r.kind === 'appService' ? '2019-08-01' : r.kind === 'arc' ? ARC_VERSION : '2018-02-01';
    if (r.kind !== 'legacy') pairs.push(['api-version', r.apiVersion === 'RIGHT' ? rightVersion : r.apiVersion]);
    pairs.push(['resource', r.resource]);
    if (r.selector) pairs.push([r.selector[0], resolveValue(r.selector[1])]);
    return pairs;
  }

  function applyMutations(pairs: [string, string][], r: Spec): [string, string][] {
    const out = pairs.map(([k, v]) => [k, v] as [string, string]);
    for (const m of r.mutations) {
      const i = out.length === 0 ? 0 : ('index' in m ? m.index : 0) % out.length;
      switch (m.op) {
        case 'drop':
          out.splice(i, 1);
          break;
        case 'duplicate':
          if (out[i]) out.push([out[i][0], m.same ? out[i][1] : `${out[i][1]}x`]);
          break;
        case 'hostile':
          if (out[i]) out[i] = [out[i][0], m.value];
          break;
        case 'recase':
          if (out[i]) out[i] = [out[i][0].toUpperCase(), out[i][1]];
          break;
        case 'add':
          out.push([m.name, resolveValue(m.value)]);
          break;
      }
    }
    return out;
  }

  function pathFor(r: Spec): string {
    switch (r.kind) {
      case 'imds':
      case 'arc':
        return IMDS;
      case 'appService':
        return APP_SERVICE;
      case 'legacy':
        return LEGACY;
      case 'instance':
        return r.instancePath;
      case 'other':
        return `/${encodePart(r.otherPath, 'raw')}`;
    }
  }

  function trick(path: string, how: string): string {
    switch (how) {
      case 'upper':
        return path.toUpperCase();
      case 'trailing':
        return `${path}/`;
      case 'double-leading':
        return `/${path}`;
      case 'dot':
        return path.replace(/\/([^/]*)$/, '/./$1');
      case 'dotdot':
        return `${path}/../${path.split('/').pop()}`;
      case 'encoded-dotdot':
        return `${path}/%2e%2e/${path.split('/').pop()}`;
      case 'encoded-slash':
        return path.replace(/\//g, '%2F');
      case 'semicolon':
        return `${path};jsessionid=1`;
      case 'absolute':
        return `http://127.0.0.1${path}`;
      case 'absolute-imds':
        return `http://169.254.169.254${path}`;
      case 'backslash':
        return path.replace(/\//g, '\\');
      case 'fragment':
        return `${path}#x`;
      case 'huge':
        return `${path}/${'p'.repeat(20_000)}`;
      case 'asterisk':
        return '*';
      default:
        return path;
    }
  }

  /** The facts a property check needs about what was sent. */
  interface Sent {
    endpoint: string;
    method: string;
    metadata: string[];
    identityHeaders: string[];
    proxy: boolean;
    apiVersions: string[];
    arcSecret: string | undefined;
    request: string;
  }

  /** A clean spec keeps its parameters, body and Arc choices, and drops every HTTP-level trick. */
  const cleaned = (r: Spec): Spec =>
    r.clean
      ? {
          ...r,
          pathTrick: 'none',
          method: 'RIGHT',
          version: 'HTTP/1.1',
          metadata: ['true'],
          metadataName: 'Metadata',
          identityHeader: ['RIGHT'],
          proxy: undefined,
          junkHeaders: [],
          encoding: 'encoded',
          contentType: 'application/x-www-form-urlencoded',
        }
      : r;

  function render(r: Spec, arcSecret: string | undefined): { payload: Buffer; head: boolean; facts: Sent } {
    const rightMethod = r.kind === 'legacy' ? 'POST' : 'GET';
    const method = r.method === 'RIGHT' ? rightMethod : r.method;
    const filled = applyMutations(pairsOf(r), r);
    const query = filled.map(([k, v]) => `${encodePart(k, r.encoding)}=${encodePart(v, r.encoding)}`).join('&');
    const path = trick(pathFor(r), r.pathTrick);
    const target = r.kind === 'legacy' ? path : `${path}${query ? `?${query}` : ''}`;
    const lines = [`${method} ${target} ${r.version}`.trimEnd(), 'Host: 127.0.0.1'];
    const metadata = r.kind === 'appService' && r.metadata.length === 1 && r.metadata[0] === 'true' ? [] : r.metadata;
    for (const m of metadata) lines.push(`${r.metadataName}: ${m}`);
    const identityHeaders = r.kind === 'appService' ? r.identityHeader.map((h) => h.replace(/RIGHT/g, SECRET).replace(/^right$/, SECRET.toUpperCase())) : [];
    for (const h of identityHeaders) lines.push(`X-IDENTITY-HEADER: ${h}`);
    if (r.proxy) lines.push(`${r.proxy[0]}: ${r.proxy[1]}`);
    if (arcSecret !== undefined) lines.push(`Authorization: ${arcSecret}`);
    else if (r.kind === 'arc' && r.arcMode === 'junk') lines.push(`Authorization: Basic ${r.arcAuth}`);
    lines.push(...r.junkHeaders);
    let body: Buffer | undefined;
    if (r.kind === 'legacy' && r.body !== undefined) {
      body = Buffer.from(r.body === 'FORM' ? query : r.body, 'utf8');
      if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`);
    }
    if (body !== undefined) lines.push(r.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`);
    lines.push('Connection: close');
    const headText = `${lines.join('\r\n')}\r\n\r\n`;
    const bodyBytes =
      body === undefined
        ? Buffer.alloc(0)
        : r.chunked
          ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
          : body;
    // Metadata headers as the agent sees them: the generated ones (under a valid name) and any a junk line adds.
    const sentMetadata = [
      ...metadata.filter(() => /^metadata$/i.test(r.metadataName)),
      ...r.junkHeaders.flatMap((h) => /^metadata:\s*(.*)$/i.exec(h)?.slice(1) ?? []),
    ];
    return {
      payload: Buffer.concat([Buffer.from(headText, 'utf8'), bodyBytes]),
      head: method === 'HEAD',
      facts: {
        endpoint: endpointOf(target),
        method,
        metadata: sentMetadata,
        identityHeaders,
        proxy: r.proxy !== undefined || r.junkHeaders.some((h) => /^forwarded:|^x-forwarded-for:/i.test(h)),
        apiVersions: filled.filter(([k]) => k.toLowerCase() === 'api-version').map(([, v]) => v),
        arcSecret,
        request: `${r.kind} ${headText.slice(0, 400).replace(/\r\n/g, ' | ')}`,
      },
    };
  }

  /** Runs a real Arc challenge and returns the secret its key file holds. */
  async function challengeSecret(): Promise<string> {
    count('agent-arc');
    const a = await rawRequest(
      port,
      Buffer.from(
        `GET ${IMDS}?api-version=${ARC_VERSION}&resource=${encodeURIComponent(MANAGEMENT)} HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nConnection: close\r\n\r\n`,
      ),
      false,
    );
    assert.equal(a?.status, 401, a?.body);
    return checkChallenge(a!);
  }

  /** An Arc 401 names a fresh key file inside the key directory, owner-only, holding the secret. */
  function checkChallenge(a: RawAnswer): string {
    const realm = /^Basic realm=(.+)$/.exec(a.headers['www-authenticate']?.[0] ?? '')?.[1];
    assert.ok(realm, `an Arc 401 without its realm: ${JSON.stringify(a.headers)}`);
    assert.equal(dirname(realm), keyDir, `key file outside the key directory: ${realm}`);
    assert.match(realm, /\/[0-9a-f-]{36}\.key$/);
    assert.equal(statSync(realm).mode & 0o777, 0o600, 'key file readable by its owner only');
    const secret = readFileSync(realm, 'utf8');
    assert.ok(secret.length >= 32);
    issued.add(secret);
    return secret;
  }

  function checkAnswer(a: RawAnswer | undefined, f: Sent): void {
    assert.ok(a, `the agent closed the connection without an answer: ${f.request}`);
    stats.answers.set(a.status, (stats.answers.get(a.status) ?? 0) + 1);
    if (process.env['FUZZ_DEBUG']) {
      const key = `${a.status} ${a.body.slice(0, 90)}`;
      debugTally.set(key, (debugTally.get(key) ?? 0) + 1);
    }
    assert.ok(a.status < 500, `${a.status} for ${f.request}: ${a.body.slice(0, 300)}`);
    assert.equal(a.headers['x-injected'], undefined, `an injected header came back: ${f.request}`);
    if (a.status >= 400) {
      if (f.method === 'HEAD' && a.body === '') return;
      assert.match(a.headers['content-type']?.[0] ?? '', /^application\/json/, `error without JSON type: ${f.request}`);
      let parsed: { error?: unknown; error_description?: unknown };
      try {
        parsed = JSON.parse(a.body);
      } catch {
        throw new Error(`${a.status} with a non-JSON body for ${f.request}: ${a.body.slice(0, 300)}`);
      }
      assert.ok(
        typeof parsed.error === 'string' && parsed.error !== '' && typeof parsed.error_description === 'string' && parsed.error_description !== '',
        `${a.status} not in IMDS's {error, error_description}: ${a.body.slice(0, 300)} for ${f.request}`,
      );
      return;
    }
    // Anything below 400 must be a token for a request that passed every guard.
    assert.equal(a.status, 200, `${a.status} for ${f.request}`);
    assert.ok(!f.proxy, `a token for a request with a proxy header: ${f.request}`);
    const token = JSON.parse(a.body) as Record<string, string>;
    assert.equal(typeof token.access_token, 'string');
    assert.ok(token.access_token!.split('.').length === 3, 'a JWT');
    if (f.endpoint === IMDS || f.endpoint === LEGACY) {
      assert.equal(f.method, f.endpoint === IMDS ? 'GET' : 'POST');
      // Leading and trailing blanks of a header value are not part of it (RFC 9110 §5.5).
      assert.ok(f.metadata.length === 1 && f.metadata[0]!.trim().toLowerCase() === 'true', `a token without 'Metadata: true' once: ${f.request}`);
      if (f.endpoint === IMDS && f.apiVersions.includes(ARC_VERSION)) {
        assert.ok(f.arcSecret !== undefined, `an Arc token without a secret: ${f.request}`);
        const secret = f.arcSecret.replace(/^basic\s+/i, '').trim();
        assert.ok(issued.has(secret), `an Arc token for a secret no challenge issued: ${f.request}`);
        assert.ok(!spent.has(secret), `an Arc secret served twice: ${f.request}`);
        spent.add(secret);
      }
    } else if (f.endpoint === APP_SERVICE) {
      assert.equal(f.method, 'GET');
      assert.deepEqual(
        f.identityHeaders.map((h) => h.trim()),
        [SECRET],
        `an App Service token without the right X-IDENTITY-HEADER once: ${f.request}`,
      );
    } else {
      assert.fail(`a token from an endpoint that serves none (${f.endpoint}): ${f.request}`);
    }
  }

  it('answers every generated request below 500, errors as IMDS JSON, tokens only past every guard', async () => {
    let lastSpent: string | undefined;
    await fc.assert(
      fc.asyncProperty(requestSpec, async (r) => {
        let arcSecret: string | undefined;
        if (r.kind === 'arc' && r.arcMode === 'answer') {
          const secret = r.arcAuth === 'replay' && lastSpent ? lastSpent : await challengeSecret();
          arcSecret = (
            {
              exact: `Basic ${secret}`,
              lowercase: `basic ${secret}`,
              suffix: `Basic ${secret}x`,
              'prefix-space': `Basic  ${secret}`,
              replay: `Basic ${secret}`,
              'file-path': `Basic ${keyDir}/x.key`,
              base64: `Basic ${Buffer.from(secret).toString('base64')}`,
              bearer: `Bearer ${secret}`,
              empty: 'Basic ',
              twice: `Basic ${secret}, Basic ${secret}`,
            } as Record<string, string>
          )[r.arcAuth];
        }
        const { payload, head, facts } = render(cleaned(r), arcSecret);
        count(`agent-${r.kind}`);
        const a = await rawRequest(port, payload, head);
        checkAnswer(a, facts);
        if (a?.status === 200 && arcSecret) lastSpent = arcSecret.replace(/^basic\s+/i, '').trim();
        if (a?.status === 401 && facts.endpoint === IMDS && !arcSecret && a.headers['www-authenticate']) checkChallenge(a);
      }),
      fuzzParams(400),
    );
  });

  it('answers CONNECT with IMDS JSON (node closed it without a word) and serves an Upgrade request as plain HTTP/1.1', async () => {
    const connectAnswer = await rawRequest(
      port,
      Buffer.from('CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: 169.254.169.254:80\r\nMetadata: true\r\n\r\n'),
      false,
    );
    assert.equal(connectAnswer?.status, 405);
    assert.equal(JSON.parse(connectAnswer!.body).error, 'invalid_request');
    const upgrade = await rawRequest(
      port,
      Buffer.from(
        `GET ${IMDS}?api-version=2018-02-01&resource=${encodeURIComponent(MANAGEMENT)} HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`,
      ),
      false,
      5000,
    ).catch(() => undefined);
    assert.equal(upgrade?.status, 200, upgrade?.body);
  });

  it('still serves good tokens on every style after the campaign', async () => {
    const verify = async (a: RawAnswer | undefined, clientId: string) => {
      assert.equal(a?.status, 200, a?.body);
      const body = JSON.parse(a!.body) as Record<string, string>;
      const { payload } = await jwtVerify(body.access_token!, jwks, { audience: MANAGEMENT });
      assert.equal(payload.appid, clientId);
    };
    const send = (text: string) => rawRequest(port, Buffer.from(text), false);
    const q = `resource=${encodeURIComponent(MANAGEMENT)}`;
    await verify(await send(`GET ${IMDS}?api-version=2018-02-01&${q} HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nConnection: close\r\n\r\n`), systemClientId);
    await verify(
      await send(`GET ${IMDS}?api-version=2019-08-01&${q}&client_id=${uami.clientId} HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nConnection: close\r\n\r\n`),
      uami.clientId,
    );
    await verify(
      await send(`GET ${APP_SERVICE}?api-version=2019-08-01&${q} HTTP/1.1\r\nHost: x\r\nX-IDENTITY-HEADER: ${SECRET}\r\nConnection: close\r\n\r\n`),
      systemClientId,
    );
    const form = `${q}&object_id=${uami.objectId}`;
    await verify(
      await send(
        `POST ${LEGACY} HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`,
      ),
      uami.clientId,
    );
    const secret = await challengeSecret();
    await verify(
      await send(
        `GET ${IMDS}?api-version=${ARC_VERSION}&${q} HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nAuthorization: Basic ${secret}\r\nConnection: close\r\n\r\n`,
      ),
      systemClientId,
    );
  });
});
