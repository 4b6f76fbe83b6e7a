/**
 * The cached-token path is hand-tuned for speed (query split by hand, headers read from
 * `rawHeaders`, the answer rendered at most once a second); these tests pin the behaviour those
 * shortcuts must keep: the same decoding as URLSearchParams, header names case-insensitive, a
 * repeated Metadata header refused, proxied requests refused, and `expires_in` counting from now.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createManualClock } from '../../src/core/clock.js';
import { parseQuery } from '../../src/agent/query.js';
import { imdsPath, MANAGEMENT, startAgentFixture, type AgentFixture } from './fixture.js';

/** Sends one request with exactly these raw header lines; resolves with status and body. */
function rawGet(base: string, path: string, headerLines: string[]): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((done, fail) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('end', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      done({ status: Number(head.split(' ')[1]), body });
    });
    socket.on('error', fail);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n${headerLines.map((l) => `${l}\r\n`).join('')}\r\n`);
  });
}

describe('agent hot path', () => {
  const clock = createManualClock(Date.now());
  let fx: AgentFixture;
  before(async () => {
    fx = await startAgentFixture({ clock });
  });
  after(() => fx.close());

  it('splits queries exactly as URLSearchParams does, names lower-cased, repeats refused', () => {
    const queries = [
      '',
      '?',
      '?a=1&b=2',
      '?a',
      '?a=&b',
      '?&&a=1&&',
      '?A=x+y%20z',
      '?r=%E4%B8%AD',
      '?r=%zz',
      '?r=%E4%B8',
      '?r=a=b=c',
      '?%41=1',
      '?a+b=c',
      '?x=%',
      '?=v',
      '?resource=https%3A%2F%2Fmanagement.azure.com%2F&api-version=2018-02-01',
    ];
    for (const query of queries) {
      const expected = new Map([...new URLSearchParams(query.slice(1))].map(([name, value]) => [name.toLowerCase(), value]));
      assert.deepEqual(parseQuery(`/metadata/identity/oauth2/token${query}`), expected, query);
    }
    assert.deepEqual(parseQuery('/p?Resource=a&RESOURCE=b'), {
      status: 400,
      error: 'invalid_request',
      description: "The 'resource' parameter must not be repeated",
    });
  });

  it('reads header names case-insensitively, refuses a repeated Metadata header and a Forwarded header', async () => {
    const path = imdsPath({ 'api-version': '2018-02-01', resource: MANAGEMENT });
    const upper = await rawGet(fx.base, path, ['METADATA: TRUE']);
    assert.equal(upper.status, 200, upper.body);
    const repeated = await rawGet(fx.base, path, ['Metadata: true', 'metadata: true']);
    assert.equal(repeated.status, 400);
    assert.deepEqual(JSON.parse(repeated.body), { error: 'invalid_request', error_description: 'Required metadata header not specified' });
    for (const proxy of ['Forwarded: for=10.0.0.1', 'x-FORWARDED-for: 10.0.0.1']) {
      const res = await rawGet(fx.base, path, ['Metadata: true', proxy]);
      assert.equal(res.status, 400, proxy);
      assert.equal(
        (JSON.parse(res.body) as { error_description: string }).error_description,
        'Requests with an X-Forwarded-For or Forwarded header are not accepted',
      );
    }
  });

  it('counts expires_in from now on every cached answer, not from the first rendering', async () => {
    const path = imdsPath({ 'api-version': '2018-02-01', resource: 'https://vault.azure.net' });
    const first = await fx.get(path, { Metadata: 'true' });
    const again = await fx.get(path, { Metadata: 'true' });
    assert.equal(again.body, first.body, 'same second, same cached answer');
    clock.advance(61_000);
    const later = await fx.get(path, { Metadata: 'true' });
    assert.equal(later.json.access_token, first.json.access_token, 'still the cached token');
    assert.equal(Number(later.json.expires_in), Number(first.json.expires_in) - 61);
    assert.equal(later.json.ext_expires_in, later.json.expires_in);
    assert.equal(later.json.expires_on, first.json.expires_on);
  });
});
