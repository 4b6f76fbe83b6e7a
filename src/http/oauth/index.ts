/**
 * The Entra-compatible token authority as a Fastify plugin: OpenID discovery (v1 and v2), JWKS, and
 * the token endpoints `/{tenant}/oauth2/v2.0/token` (`scope=`) and `/{tenant}/oauth2/token`
 * (`resource=`). The plugin has its own body parsers and error mapper, so OAuth errors keep Entra's
 * body whatever else is mounted on the app.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { isGuid } from '../../core/ids.js';
import type { TokenVersion } from '../../core/tokens/issuer.js';
import { isOAuthError, oauthErrors } from '../../core/tokens/oauth-error.js';
import type { TokenService } from '../../core/tokens/token-service.js';
import { ADFS_SEGMENT } from '../../core/cloud/cloud-metadata.js';
import { adfsDiscovery, discoveryV1, discoveryV2, jwksIssuer, TENANT_TEMPLATE } from './discovery.js';
import { correlationId, sendOAuthError } from './error-body.js';
import { clientCredentialsParams, parseForm, v1TokenResponse, v2TokenResponse, type FormBody } from './token-request.js';

export interface OAuthDeps {
  tokens: Pick<TokenService, 'clientCredentials' | 'resolveTenant' | 'issuers'>;
  /** The published signing keys (the key ring). */
  keys: { jwks(options?: { issuer?: string }): { keys: unknown[] } };
  /** This server's base URL without a trailing slash, e.g. `https://127.0.0.1:8443`. */
  baseUrl: () => string;
  clock?: Clock;
  /**
   * The tenant the AD FS form of the authority (`<base>/adfs`) stands for. Azure Stack Hub with AD FS
   * has one directory and clients name no tenant; az 2.45 uses this form to skip Microsoft's instance
   * discovery (src/core/cloud/cloud-metadata.ts). Absent = the `/adfs` routes are not served.
   */
  adfsTenantId?: string;
}

type TenantRequest = FastifyRequest<{ Params: { tenant: string } }>;

/** The OAuth surface; register it on the app built by `createBaseFastify`. */
export function oauthPlugin(deps: OAuthDeps): FastifyPluginAsync {
  const clock = deps.clock ?? systemClock;
  return async (app: FastifyInstance) => {
    registerBodyParsers(app);
    app.setErrorHandler((error, request, reply) => sendOAuthError(error, request, reply, clock.now()));

    const discovery = (build: typeof discoveryV2) => async (request: TenantRequest, reply: FastifyReply) => {
      const resolved = await deps.tokens.resolveTenant(request.params.tenant).catch((e: unknown) => {
        throw isOAuthError(e) ? e.as('invalid_tenant') : e;
      });
      const [segment, issuerTenant] = resolved.kind === 'tenant' ? [resolved.tenant.id, resolved.tenant.id] : [resolved.alias, TENANT_TEMPLATE];
      reply.header('cache-control', 'max-age=86400, private');
      return build({ base: deps.baseUrl(), segment, issuerTenant, issuers: deps.tokens.issuers });
    };
    app.get('/:tenant/v2.0/.well-known/openid-configuration', discovery(discoveryV2));
    app.get('/:tenant/.well-known/openid-configuration', discovery(discoveryV1));

    const jwks = (version: TokenVersion) => async (request: FastifyRequest, reply: FastifyReply) => {
      const tenant = (request.params as { tenant?: string }).tenant;
      reply.header('cache-control', 'max-age=86400, private');
      return deps.keys.jwks({ issuer: jwksIssuer(version, deps.tokens.issuers, tenant, tenant !== undefined && isGuid(tenant)) });
    };
    app.get('/:tenant/discovery/v2.0/keys', jwks('2.0'));
    app.get('/:tenant/discovery/keys', jwks('1.0'));
    app.get('/discovery/v2.0/keys', jwks('2.0'));
    app.get('/discovery/keys', jwks('1.0'));

    const token = (endpoint: 'v1' | 'v2', tenantOf: (request: FastifyRequest) => string) => async (request: FastifyRequest, reply: FastifyReply) => {
      const body = (request.body ?? {}) as FormBody;
      const params = clientCredentialsParams(endpoint, body, request.headers.authorization);
      const issued = await deps.tokens.clientCredentials(tenantOf(request), params, { clientIp: request.ip, correlationId: correlationId(request) });
      reply
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .header('x-ms-request-id', String(request.id))
        .header('client-request-id', correlationId(request));
      return endpoint === 'v2' ? v2TokenResponse(issued) : v1TokenResponse(issued);
    };
    const fromPath = (request: FastifyRequest) => (request as TenantRequest).params.tenant;
    app.post('/:tenant/oauth2/v2.0/token', token('v2', fromPath));
    app.post('/:tenant/oauth2/token', token('v1', fromPath));
    const postOnly = async (request: FastifyRequest) => {
      throw oauthErrors.postRequired(request.method);
    };
    app.get('/:tenant/oauth2/v2.0/token', postOnly);
    app.get('/:tenant/oauth2/token', postOnly);

    // The AD FS authority `<base>/adfs`: msal-python reads `/adfs/.well-known/openid-configuration`
    // (no `/v2.0`, no instance discovery) and posts to the `token_endpoint` it names; the tenant is
    // this server's directory. These static routes win over `/:tenant/…` in the router.
    const adfsTenant = deps.adfsTenantId;
    if (adfsTenant) {
      app.get(`/${ADFS_SEGMENT}/.well-known/openid-configuration`, async (_request, reply) => {
        reply.header('cache-control', 'max-age=86400, private');
        return adfsDiscovery({ base: deps.baseUrl(), segment: ADFS_SEGMENT, issuerTenant: adfsTenant, issuers: deps.tokens.issuers });
      });
      app.get(`/${ADFS_SEGMENT}/discovery/keys`, jwks('1.0'));
      app.post(
        `/${ADFS_SEGMENT}/oauth2/token`,
        token('v1', () => adfsTenant),
      );
      app.post(
        `/${ADFS_SEGMENT}/oauth2/v2.0/token`,
        token('v2', () => adfsTenant),
      );
      app.get(`/${ADFS_SEGMENT}/oauth2/token`, postOnly);
      app.get(`/${ADFS_SEGMENT}/oauth2/v2.0/token`, postOnly);
    }
  };
}

/**
 * Token endpoints read form bodies only. Like Entra, a body of another type is not an error of its
 * own: it carries no form parameters, so the request fails on the first missing one (`grant_type`).
 */
function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseForm(body as string));
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, _body, done) => done(null, {}));
}
