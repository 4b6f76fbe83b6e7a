/**
 * What the agent writes on the wire: token bodies in the shape each Azure source returns, and
 * errors, always JSON (`{"error","error_description"}`), because @azure/identity `JSON.parse`s
 * every error body and MSAL reads those two fields (azure-wire-contracts.md §1.1).
 */
import type { ServerResponse } from 'node:http';
import { isUpstreamError, type UpstreamToken } from './upstream.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** An answer the agent gives instead of a token. */
export interface WireError {
  status: number;
  error: string;
  description: string;
  headers?: Record<string, string>;
}

/**
 * Writes `body` (already JSON) with Azure's IMDS content type, in one `writeHead` and one `end`
 * (node:http then sends head and body in a single write). `length` is the byte length when known.
 */
export function sendJson(res: ServerResponse, status: number, body: string, headers?: Record<string, string>, length?: number): void {
  const contentLength = length ?? Buffer.byteLength(body);
  res.writeHead(
    status,
    headers ? { 'content-type': JSON_TYPE, 'content-length': contentLength, ...headers } : { 'content-type': JSON_TYPE, 'content-length': contentLength },
  );
  res.end(body);
}

export function sendError(res: ServerResponse, failure: WireError): void {
  sendJson(res, failure.status, JSON.stringify({ error: failure.error, error_description: failure.description }), failure.headers);
}

/** 400 `invalid_request`, the answer IMDS gives to every malformed request. */
export function invalidRequest(description: string): WireError {
  return { status: 400, error: 'invalid_request', description };
}

/** IMDS: identity unknown or not assigned to this host (observed Azure body). */
export const IDENTITY_NOT_FOUND: WireError = invalidRequest('Identity not found');

/** Maps a failure from the cache or the server to Azure's answer; unknown failures become a 500 with no detail. */
export function toWireError(error: unknown): WireError {
  if (isUpstreamError(error)) {
    switch (error.code) {
      case 'IdentityNotFound':
      case 'HostUnauthorized':
        return IDENTITY_NOT_FOUND;
      case 'InvalidResource':
        return { status: 400, error: 'invalid_resource', description: error.message };
      case 'InvalidRequest':
        return { status: 400, error: 'invalid_request', description: error.message };
      case 'Unavailable':
        break;
    }
  }
  // IMDS docs: transient failures are 500 `unknown`; the SDKs retry 5xx.
  return { status: 500, error: 'unknown', description: 'Failed to retrieve token from the Keyless server. Try again later.' };
}

/**
 * The IMDS token body (§1.1): every value a string; `resource` echoes the request; `expires_in`
 * counts from now because a cached token is older than its issue time.
 */
export function imdsTokenBody(token: UpstreamToken, resource: string, nowMs: number, extra = ''): string {
  const expiresIn = String(Math.max(0, token.expiresOn - Math.floor(nowMs / 1000)));
  return (
    `{"access_token":${JSON.stringify(token.accessToken)},"client_id":${JSON.stringify(token.clientId)}` +
    `,"expires_in":"${expiresIn}","expires_on":"${token.expiresOn}","ext_expires_in":"${expiresIn}"` +
    `,"not_before":"${token.notBefore}","refresh_token":"","resource":${JSON.stringify(resource)}` +
    `,"token_type":"Bearer"${extra}}`
  );
}

/** The App Service 2019-08-01 body: `expires_on` in Unix seconds as a string, and `client_id`. */
export function appServiceTokenBody(token: UpstreamToken, resource: string): string {
  return JSON.stringify({
    access_token: token.accessToken,
    expires_on: String(token.expiresOn),
    resource,
    token_type: 'Bearer',
    client_id: token.clientId,
  });
}

/**
 * Azure Arc echoes the identity it used so that MSAL can confirm a user-assigned request was honoured
 * (msal-node AzureArc `validateUserAssignedIdentityWasHonored`): add `object_id` and `msi_res_id`.
 */
export function arcEcho(token: UpstreamToken): string {
  return `,"object_id":${JSON.stringify(token.objectId)},"msi_res_id":${JSON.stringify(token.identityResourceId)}`;
}
