/**
 * OpenID discovery documents and JWKS as Entra serves them (azure-wire-contracts §2.3, §3.2, §3.3).
 * MSAL reads `authorization_endpoint`, `token_endpoint`, `issuer` and `jwks_uri`; the rest is the
 * usual Entra set, with every URL built on this server's base URL.
 */
import type { IssuerPolicy, TokenVersion } from '../../core/tokens/issuer.js';

/** Entra writes this literal where a document stands for every tenant (`common`, `organizations`). */
export const TENANT_TEMPLATE = '{tenantid}';

export interface DiscoveryInput {
  base: string;
  /** The tenant id, or the alias (`common` …) the document was asked for. */
  segment: string;
  /** The tenant id for `issuer`, or {@link TENANT_TEMPLATE} for an alias. */
  issuerTenant: string;
  issuers: IssuerPolicy;
}

const CLAIMS = [
  'sub',
  'iss',
  'cloud_instance_name',
  'cloud_instance_host_name',
  'cloud_graph_host_name',
  'msgraph_host',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'acr',
  'nonce',
  'preferred_username',
  'name',
  'tid',
  'ver',
  'at_hash',
  'c_hash',
  'email',
];

function common(input: DiscoveryInput) {
  return {
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    request_uri_parameter_supported: false,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    claims_supported: CLAIMS,
    tenant_region_scope: null,
    cloud_instance_name: new URL(input.base).host,
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** `/{tenant}/v2.0/.well-known/openid-configuration`. */
export function discoveryV2(input: DiscoveryInput): Record<string, unknown> {
  const root = `${input.base}/${input.segment}`;
  return {
    token_endpoint: `${root}/oauth2/v2.0/token`,
    jwks_uri: `${root}/discovery/v2.0/keys`,
    issuer: input.issuers.issuer('2.0', input.issuerTenant),
    userinfo_endpoint: `${input.base}/oidc/userinfo`,
    authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${root}/oauth2/v2.0/logout`,
    kerberos_endpoint: `${root}/kerberos`,
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    ...common(input),
  };
}

/** `/{tenant}/.well-known/openid-configuration` (the v1 endpoints). */
export function discoveryV1(input: DiscoveryInput): Record<string, unknown> {
  const root = `${input.base}/${input.segment}`;
  return {
    token_endpoint: `${root}/oauth2/token`,
    jwks_uri: `${root}/discovery/keys`,
    issuer: input.issuers.issuer('1.0', input.issuerTenant),
    userinfo_endpoint: `${root}/openid/userinfo`,
    authorization_endpoint: `${root}/oauth2/authorize`,
    device_authorization_endpoint: `${root}/oauth2/devicecode`,
    end_session_endpoint: `${root}/oauth2/logout`,
    check_session_iframe: `${root}/oauth2/checksession`,
    kerberos_endpoint: `${root}/kerberos`,
    microsoft_multi_refresh_token: true,
    scopes_supported: ['openid'],
    ...common(input),
  };
}

/** The `issuer` each JWKS key carries: v2 keys name the v2 issuer (a template for any tenant), v1 keys none. */
export function jwksIssuer(version: TokenVersion, issuers: IssuerPolicy, tenantSegment: string | undefined, isTenantId: boolean): string | undefined {
  if (version === '1.0') return undefined;
  return issuers.issuer('2.0', tenantSegment && isTenantId ? tenantSegment : TENANT_TEMPLATE);
}

/**
 * `/adfs/.well-known/openid-configuration`: the AD FS form of the authority (Azure Stack Hub's), which
 * msal-python reads without instance discovery. The token endpoint is the v2 one because MSAL sends
 * `scope=<resource>/.default`; `issuer` names the one directory the AD FS authority stands for.
 */
export function adfsDiscovery(input: DiscoveryInput): Record<string, unknown> {
  const root = `${input.base}/${input.segment}`;
  return {
    issuer: input.issuers.issuer('1.0', input.issuerTenant),
    authorization_endpoint: `${root}/oauth2/authorize`,
    token_endpoint: `${root}/oauth2/v2.0/token`,
    jwks_uri: `${root}/discovery/keys`,
    end_session_endpoint: `${root}/oauth2/logout`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    grant_types_supported: ['client_credentials'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid'],
    id_token_signing_alg_values_supported: ['RS256'],
    access_token_issuer: input.issuers.issuer('1.0', input.issuerTenant),
  };
}
