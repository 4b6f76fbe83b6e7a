/**
 * A minimal Microsoft Graph (v1.0) directory read surface, registered under the `/v1.0` prefix: what
 * clients such as az call to turn principal ids into names and names into ids.
 *   POST /v1.0/directoryObjects/getByIds          {ids, types?} → {value: [servicePrincipal…]}
 *   GET  /v1.0/servicePrincipals?$filter=appId eq '<guid>'   (also id eq, servicePrincipalNames/any)
 *   GET  /v1.0/servicePrincipals/{id}              404 Request_ResourceNotFound when absent
 * Callers present a bearer token of this server for Graph's audience (`https://graph.microsoft.com/`).
 * Any authenticated principal may read its own tenant's directory (Entra's default directory read);
 * principals of other tenants are never returned. Errors are Graph's `{"error":{"code","message"}}`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { servicePrincipalNames, type DirectoryReader } from '../../core/directory/directory-reader.js';
import { isDomainError } from '../../core/errors.js';
import type { ServicePrincipal } from '../../core/model.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../../core/ports.js';
import { authenticate, wwwAuthenticate } from '../arm/pipeline.js';
import { GraphError, parseGetByIds, parsePrincipalFilter, readJsonObject } from './requests.js';

/** The prefix buildApp registers this plugin under. */
export const GRAPH_PREFIX = '/v1.0';

/** The audience of Microsoft Graph tokens (the verifier ignores a trailing slash). */
export const GRAPH_AUDIENCES = ['https://graph.microsoft.com/', 'https://graph.microsoft.com'] as const;

export interface GraphDeps {
  directory: DirectoryReader;
  verifier: AccessTokenVerifier;
  /** The server's https origin: `@odata.context` links and the authority named in `WWW-Authenticate`. */
  baseUrl(): string;
  /** The tenant named in `WWW-Authenticate`. */
  defaultTenantId: string;
}

/** Graph requests carry small JSON bodies (1000 ids at most). */
const BODY_LIMIT = 128 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    graphCaller?: VerifiedCaller;
  }
}

export function graphPlugin(deps: GraphDeps): FastifyPluginAsync {
  const context = (fragment: string) => `${deps.baseUrl()}${GRAPH_PREFIX}/$metadata#${fragment}`;

  return async (app: FastifyInstance) => {
    // Bodies arrive as bytes whatever their declared type; readJsonObject decodes them with Graph's errors.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

    app.addHook('onRequest', async (request, reply) => {
      reply.header('request-id', request.id);
      const clientRequestId = request.headers['client-request-id'];
      if (typeof clientRequestId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(clientRequestId)) reply.header('client-request-id', clientRequestId);
      request.graphCaller = await authenticate(request.headers.authorization, deps.verifier, GRAPH_AUDIENCES);
    });

    app.setErrorHandler(async (error, request, reply) => {
      if (error instanceof GraphError) return sendError(reply, request, error);
      if (isDomainError(error) && error.kind === 'unauthenticated') {
        // Graph answers every token failure with 401 InvalidAuthenticationToken and a challenge.
        reply.header('www-authenticate', wwwAuthenticate(`${deps.baseUrl()}/${deps.defaultTenantId}`, error.message));
        return sendError(reply, request, new GraphError(401, 'InvalidAuthenticationToken', error.message));
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        return sendError(reply, request, new GraphError(status === 413 ? 413 : 400, 'Request_BadRequest', status === 413 ? 'The request body is too large.' : 'The request could not be read.'));
      }
      request.log.error({ err: error }, 'graph request failed');
      return sendError(reply, request, new GraphError(500, 'generalException', 'The Keyless server failed; try again.'));
    });

    // Graph's answer for a path it does not serve under /v1.0.
    app.setNotFoundHandler(async (request, reply) => {
      const segment = request.url.split('?')[0]!.split('/').filter(Boolean)[1] ?? '';
      return sendError(reply, request, new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment.slice(0, 100)}'.`));
    });

    app.post('/directoryObjects/getByIds', async (request) => {
      const { ids, types } = parseGetByIds(readJsonObject(request.body as Buffer | undefined));
      const caller = request.graphCaller!;
      // Keyless's directory holds service principals only: other types ask for nothing here.
      const principals = types === undefined || types.includes('serviceprincipal') || types.includes('directoryobject')
        ? await deps.directory.getByIds(caller.tenantId, ids) : [];
      return { '@odata.context': context('directoryObjects'), value: principals.map(servicePrincipalBody) };
    });

    app.get('/servicePrincipals', async (request) => {
      const filter = parsePrincipalFilter(queryValue(request.url, '$filter'));
      const tenantId = request.graphCaller!.tenantId;
      const found = filter.by === 'appId' ? await deps.directory.getByAppId(tenantId, filter.value)
        : filter.by === 'id' ? await deps.directory.getByObjectId(tenantId, filter.value)
          : await deps.directory.getByServicePrincipalName(tenantId, filter.value);
      return { '@odata.context': context('servicePrincipals'), value: found ? [servicePrincipalBody(found)] : [] };
    });

    app.get('/servicePrincipals/:id', async (request) => {
      const { id } = request.params as { id: string };
      const found = await deps.directory.getByObjectId(request.graphCaller!.tenantId, id);
      if (!found) throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${id.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present.`);
      return { '@odata.context': context('servicePrincipals/$entity'), ...servicePrincipalBody(found) };
    });
  };
}

/**
 * A principal as Graph's `servicePrincipal` resource. A managed identity carries, as in Entra,
 * `alternativeNames` `isExplicit=True|False` (user- or system-assigned) and its resource's ARM id.
 */
export function servicePrincipalBody(p: ServicePrincipal): Record<string, unknown> {
  const managed = p.kind === 'ManagedIdentity';
  const userAssigned = managed && /\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\//i.test(p.resourceId ?? '');
  return {
    '@odata.type': '#microsoft.graph.servicePrincipal',
    id: p.objectId,
    deletedDateTime: null,
    accountEnabled: true,
    appId: p.appId,
    appDisplayName: managed ? null : p.displayName,
    appOwnerOrganizationId: managed ? null : p.tenantId,
    displayName: p.displayName,
    servicePrincipalType: managed ? 'ManagedIdentity' : 'Application',
    servicePrincipalNames: servicePrincipalNames(p),
    alternativeNames: managed && p.resourceId ? [`isExplicit=${userAssigned ? 'True' : 'False'}`, p.resourceId] : [],
    createdDateTime: p.createdAt,
    tags: [],
  };
}

/** One query value from the raw URL (OData names such as `$filter` kept as sent). */
function queryValue(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  for (const [key, value] of new URLSearchParams(url.slice(q + 1))) if (key.toLowerCase() === name.toLowerCase()) return value;
  return undefined;
}

function sendError(reply: FastifyReply, request: FastifyRequest, error: GraphError) {
  return reply.code(error.status).type('application/json; charset=utf-8').send({
    error: { code: error.code, message: error.message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': request.id } },
  });
}
