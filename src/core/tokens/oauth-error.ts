/**
 * OAuth errors as Entra reports them: an OAuth `error` code, an AADSTS number that leads the
 * description (`AADSTS700016: Application with identifier '…' was not found …`), `error_codes`, and
 * the HTTP status. Every message here is safe to show: it echoes only what the caller sent, never a
 * secret. The HTTP layer adds `timestamp`, `trace_id` and `correlation_id`.
 */

/** The OAuth 2.0 error codes the token authority produces (RFC 6749 §5.2, plus Entra's `invalid_resource`). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'invalid_resource'
  | 'unsupported_grant_type'
  | 'invalid_tenant'
  | 'server_error'
  /** The directory is unreachable for a while (503 with Retry-After); MSAL retries it. */
  | 'temporarily_unavailable';

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  /** The AADSTS number, e.g. 700016. */
  readonly aadsts: number;
  readonly status: number;

  constructor(error: OAuthErrorCode, aadsts: number, text: string, status = 400) {
    super(`AADSTS${aadsts}: ${text}`);
    this.name = 'OAuthError';
    this.error = error;
    this.aadsts = aadsts;
    this.status = status;
  }

  /** The same failure under another OAuth code (discovery reports an unknown tenant as `invalid_tenant`). */
  as(error: OAuthErrorCode): OAuthError {
    return new OAuthError(error, this.aadsts, this.message.replace(/^AADSTS\d+: /, ''), this.status);
  }

  /** `error_description`: the AADSTS code first, as Entra writes it. */
  get description(): string {
    return this.message;
  }

  get errorCodes(): number[] {
    return [this.aadsts];
  }
}

/** Type guard for {@link OAuthError}. */
export function isOAuthError(value: unknown): value is OAuthError {
  return value instanceof OAuthError;
}

/** The failures of the token authority, worded after Entra's messages (AADSTS error code reference). */
export const oauthErrors = {
  tenantNotFound: (tenant: string) =>
    new OAuthError(
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  invalidTenantIdentifier: (tenant: string) =>
    new OAuthError('invalid_request', 900023, `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`),
  tenantRequired: (segment: string) =>
    new OAuthError(
      'invalid_request',
      50059,
      `No tenant-identifying information found in either the request or implied by any provided credentials. The client credentials grant needs a tenant id or domain in the authority, not '${segment}'.`,
    ),
  applicationNotFound: (clientId: string, tenant: string) =>
    new OAuthError(
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  invalidClientSecret: (clientId: string) =>
    new OAuthError(
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      401,
    ),
  missingClientAuthentication: () =>
    new OAuthError('invalid_client', 7000216, `'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.`, 401),
  unsupportedClientAssertion: () =>
    new OAuthError(
      'invalid_client',
      7000216,
      `'client_secret' is required for the 'client_credentials' grant type: this server does not accept client assertions yet.`,
      401,
    ),
  multipleClientAuthentications: () =>
    new OAuthError(
      'invalid_request',
      90014,
      `The request authenticates the client more than once: send the client secret either in the Authorization header (client_secret_basic) or in the body (client_secret_post), not both.`,
    ),
  malformedBasicAuthorization: () =>
    new OAuthError(
      'invalid_client',
      7000216,
      `The Authorization header is not valid Basic authentication: expected base64 of '<url-encoded client_id>:<url-encoded client_secret>'.`,
      401,
    ),
  postRequired: (method: string) => new OAuthError('invalid_request', 900561, `The endpoint only accepts POST requests. Received a ${method} request.`),
  conflictingClientId: () =>
    new OAuthError('invalid_request', 90014, `The client_id in the Authorization header does not match the client_id in the request body.`),
  missingParameter: (name: string) => new OAuthError('invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrantType: (grantType: string) => new OAuthError('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`),
  scopeWithoutDefault: (scope: string) =>
    new OAuthError(
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  invalidScope: (scope: string, why: string) =>
    new OAuthError('invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. The scope '${scope}' is not valid: ${why}.`),
  invalidResource: (resource: string, tenant: string) =>
    new OAuthError(
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. The resource must be an application ID URI or an application (client) id.`,
    ),
};
