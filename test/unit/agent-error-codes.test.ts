/**
 * Agent errors are carried by code, not by matching message strings: each code of the agent API's
 * error body becomes the agent's own code, and that becomes what Azure's IMDS answers — a malformed
 * request reaches the application as `invalid_request`, never as a 500.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toUpstreamError } from '../../src/agent/upstream-http.js';
import { toWireError } from '../../src/agent/wire.js';
import { HOST_ERROR_STATUS, type HostErrorCode } from '../../src/core/hosts/host-errors.js';

const answer = (code: HostErrorCode, message = 'why') => ({ status: HOST_ERROR_STATUS[code], body: { error: { code, message } } });

describe('agent error codes', () => {
  it('maps every agent API code to an IMDS answer a client understands', () => {
    const table = (Object.keys(HOST_ERROR_STATUS) as HostErrorCode[]).map((code) => {
      const wire = toWireError(toUpstreamError(answer(code)));
      return [code, wire.status, wire.error];
    });
    // IMDS answers "Identity not found" (400 invalid_request) whether the identity is unknown or the host was revoked.
    assert.deepEqual(table, [
      ['HostUnauthorized', 400, 'invalid_request'],
      ['JoinTokenRefused', 400, 'invalid_request'],
      ['IdentityNotFound', 400, 'invalid_request'],
      ['InvalidResource', 400, 'invalid_resource'],
      ['InvalidRequest', 400, 'invalid_request'],
    ]);
  });

  it("keeps the server's message for a malformed request, and answers 500 only when the server is unavailable", () => {
    const malformed = toWireError(toUpstreamError(answer('InvalidRequest', "The 'resource' parameter is malformed.")));
    assert.deepEqual(malformed, { status: 400, error: 'invalid_request', description: "The 'resource' parameter is malformed." });
    const down = toWireError(toUpstreamError({ status: 503, body: { error: { code: 'ServiceUnavailable', message: 'database down' } } }));
    assert.equal(down.status, 500);
    assert.equal(toWireError(toUpstreamError({ status: 400, body: 'not json' })).status, 500, 'an unknown answer is not mistaken for a refusal');
  });
});
