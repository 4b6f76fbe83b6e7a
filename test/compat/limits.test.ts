/**
 * Oversized and slow requests against `keyless serve` in its own process, over real TLS sockets:
 * a body over the limit always gets its 413 in the surface's own format (never EPIPE/ECONNRESET while
 * the client is still writing), a client that stalls its headers is closed with a 408, idle
 * keep-alive sockets are closed, and requests no surface routes get ARM's envelope whatever their body.
 * The server runs with short timeouts (KEYLESS_HEADERS_TIMEOUT=2, KEYLESS_KEEP_ALIVE_TIMEOUT=2).
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createHttpHeaders, createPipelineRequest, createDefaultHttpClient } from '@azure/core-rest-pipeline';
import { startAgentFixture, imdsPath, MANAGEMENT } from '../agent/fixture.js';
import { armToken, startKeyless, type RunningKeyless } from '../support/keyless.js';

const FIVE_MIB = Buffer.alloc(5 * 1024 * 1024, 0x61);

interface Answer {
  status: number;
  body: string;
  error?: string;
}

/** One upload of `body` on a fresh connection; resolves with the answer or the transport error code. */
function upload(url: string, method: string, headers: Record<string, string>, body: Buffer, chunked: boolean): Promise<Answer> {
  return new Promise((resolve) => {
    const req = https.request(
      url,
      {
        method,
        agent: false,
        headers: { ...headers, ...(chunked ? {} : { 'content-length': String(body.length) }) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: res.statusCode ?? 0, body: text, error: e.code ?? e.message }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: '', error: e.code ?? e.message }));
    if (chunked) {
      for (let at = 0; at < body.length; at += 256 * 1024) req.write(body.subarray(at, at + 256 * 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

describe('oversized and slow requests (keyless serve)', () => {
  let server: RunningKeyless;
  let arm: string;
  let graph: string;
  before(async () => {
    server = await startKeyless({ via: 'node', env: { KEYLESS_HEADERS_TIMEOUT: '2', KEYLESS_KEEP_ALIVE_TIMEOUT: '2' } });
    arm = await armToken(server.bootstrap);
    const res = await fetch(`${server.bootstrap.authorityHost}/${server.bootstrap.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: server.bootstrap.clientId,
        client_secret: server.bootstrap.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
    graph = ((await res.json()) as { access_token: string }).access_token;
  });
  after(() => server.dispose());

  const groupUrl = () => `${server.bootstrap.armEndpoint}/subscriptions/${server.bootstrap.subscriptionId}/resourcegroups/big?api-version=2021-04-01`;

  /** Every try must be answered with `status`, and the body must satisfy `check`. */
  async function tries(label: string, count: number, send: () => Promise<Answer>, status: number, check: (body: unknown) => void) {
    const failures: string[] = [];
    for (let i = 0; i < count; i++) {
      const answer = await send();
      if (answer.error || answer.status !== status) {
        failures.push(`#${i}: ${answer.error ?? answer.status} ${answer.body.slice(0, 120)}`);
        continue;
      }
      check(JSON.parse(answer.body));
    }
    assert.deepEqual(failures, [], `${label}: ${failures.length}/${count} tries did not get their ${status}`);
  }

  it('ARM: 30 uploads of 5 MiB each get 413 RequestEntityTooLarge (declared length and chunked)', async () => {
    for (const chunked of [false, true]) {
      await tries(
        `ARM ${chunked ? 'chunked' : 'length'}`,
        30,
        () => upload(groupUrl(), 'PUT', { authorization: `Bearer ${arm}`, 'content-type': 'application/json' }, FIVE_MIB, chunked),
        413,
        (body) => {
          assert.equal((body as { error: { code: string } }).error.code, 'RequestEntityTooLarge');
        },
      );
    }
  });

  it('ARM: an upload refused from its headers alone (no token) gets its 401, not a reset', async () => {
    await tries(
      'ARM 401',
      20,
      () => upload(groupUrl(), 'PUT', { 'content-type': 'application/json' }, FIVE_MIB, false),
      401,
      (body) => {
        assert.equal((body as { error: { code: string } }).error.code, 'AuthenticationFailed');
      },
    );
  });

  it("OAuth: the token endpoint answers 413 with Entra's error body", async () => {
    const url = `${server.bootstrap.authorityHost}/${server.bootstrap.tenantId}/oauth2/v2.0/token`;
    await tries(
      'OAuth',
      20,
      () => upload(url, 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, FIVE_MIB, false),
      413,
      (body) => {
        const b = body as { error: string; error_description: string };
        assert.equal(b.error, 'invalid_request');
        assert.match(b.error_description, /^AADSTS\d+: The request body is too large/);
      },
    );
  });

  it("Graph: 413 with Graph's error body", async () => {
    const url = `${server.bootstrap.armEndpoint}/v1.0/directoryObjects/getByIds`;
    await tries(
      'Graph',
      20,
      () => upload(url, 'POST', { authorization: `Bearer ${graph}`, 'content-type': 'application/json' }, FIVE_MIB, true),
      413,
      (body) => {
        const b = body as { error: { code: string; message: string; innerError: unknown } };
        assert.equal(b.error.message, 'The request body is too large.');
        assert.ok(b.error.innerError);
      },
    );
  });

  it("an Azure SDK pipeline (core-rest-pipeline's HTTP client) gets the 413, ten times out of ten", async () => {
    const client = createDefaultHttpClient();
    const failures: string[] = [];
    for (let i = 0; i < 10; i++) {
      try {
        const res = await client.sendRequest(
          createPipelineRequest({
            url: groupUrl(),
            method: 'PUT',
            body: FIVE_MIB,
            headers: createHttpHeaders({ authorization: `Bearer ${arm}`, 'content-type': 'application/json' }),
          }),
        );
        if (res.status !== 413) failures.push(`#${i}: ${res.status}`);
        else assert.equal((JSON.parse(res.bodyAsText ?? '{}') as { error: { code: string } }).error.code, 'RequestEntityTooLarge');
      } catch (error) {
        failures.push(`#${i}: ${(error as { code?: string }).code ?? (error as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it("malformed JSON or an oversized body on an ARM path no provider serves gets ARM's envelope", async () => {
    const sub = server.bootstrap.subscriptionId;
    const paths = [
      `/subscriptions/${sub}/resourceGroups/none/providers/Microsoft.Nope/things/x?api-version=2021-04-01`,
      `/providers/Microsoft.Nope/operations?api-version=2021-04-01`,
      `/subscriptions/${sub}/nothing/here?api-version=2021-04-01`,
    ];
    for (const path of paths) {
      for (const body of [Buffer.from('{'), Buffer.from('{"a":'), FIVE_MIB]) {
        const answer = await upload(
          `${server.bootstrap.armEndpoint}${path}`,
          'PUT',
          { authorization: `Bearer ${arm}`, 'content-type': 'application/json' },
          body,
          false,
        );
        assert.equal(answer.error, undefined, path);
        assert.ok(answer.status >= 400 && answer.status < 500, `${path}: ${answer.status} ${answer.body}`);
        const json = JSON.parse(answer.body) as { error: { code: string; message: string } };
        assert.equal(typeof json.error.code, 'string', answer.body);
        assert.ok(json.error.message.length > 10, answer.body);
        assert.doesNotMatch(answer.body, /FST_ERR/);
      }
    }
  });

  it('a client that trickles its headers is answered 408 and closed once the headers timeout passes', async () => {
    const { port, hostname } = new URL(server.bootstrap.armEndpoint);
    const started = Date.now();
    const socket = tls.connect({ host: hostname, port: Number(port), servername: 'localhost' });
    await new Promise<void>((done, fail) => {
      socket.once('secureConnect', () => done());
      socket.once('error', fail);
    });
    socket.write('GET /subscriptions HTTP/1.1\r\nHost: x\r\n');
    // One header byte every 300 ms: the connection stays busy but the headers never end.
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('X');
    }, 300);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      received += d;
    });
    await new Promise<void>((done) => {
      socket.once('close', () => done());
      socket.once('error', () => undefined);
    });
    clearInterval(trickle);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1500 && elapsed < 6000, `closed after ${elapsed} ms (headers timeout 2 s, checked every second)`);
    assert.match(received, /^HTTP\/1\.1 408 /);
    const body = JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)) as { error: { message: string } };
    assert.match(body.error.message, /not received in time/);
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const socketClosed = await new Promise<number>((resolve, fail) => {
        const req = https.get(`${server.bootstrap.armEndpoint}/common/discovery/keys`, { agent }, (res) => {
          res.resume();
          res.on('end', () => {
            const at = Date.now();
            req.socket!.once('close', () => resolve(Date.now() - at));
          });
        });
        req.on('error', fail);
      });
      assert.ok(socketClosed < 4500, `closed after ${socketClosed} ms idle (keep-alive timeout 2 s)`);
    } finally {
      agent.destroy();
    }
  });

  it('headers over the size limit get a 431 with a JSON body', async () => {
    const answer = await new Promise<Answer>((resolve) => {
      const req = https.get(`${server.bootstrap.armEndpoint}/subscriptions?api-version=2021-04-01&pad=${'a'.repeat(20_000)}`, { agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: '', error: e.code }));
    });
    assert.equal(answer.status, 431);
    assert.match((JSON.parse(answer.body) as { error: { message: string } }).error.message, /too large/);
  });
});

describe('the agent refuses an oversized query with a JSON body', () => {
  it('431 with {error, error_description}', async () => {
    const fixture = await startAgentFixture();
    try {
      const res = await fixture.get(imdsPath({ 'api-version': '2018-02-01', resource: MANAGEMENT, pad: 'x'.repeat(20_000) }), { Metadata: 'true' });
      assert.equal(res.status, 431);
      assert.equal(res.json['error'], 'invalid_request');
      assert.match(String(res.json['error_description']), /too large/);
    } finally {
      await fixture.close();
    }
  });
});
