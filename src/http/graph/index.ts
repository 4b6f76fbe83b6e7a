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
import {
  isDirectoryError,
  type ApplicationRecord,
  type ApplicationService,
  type DirectoryError,
  type PasswordCredential,
} from '../../core/directory/applications.js';
import { servicePrincipalNames, type DirectoryReader } from '../../core/directory/directory-reader.js';
import { isDomainError } from '../../core/errors.js';
import { unavailableCause } from '../../core/unavailable.js';
import type { ServicePrincipal } from '../../core/model.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../../core/ports.js';
import { authenticate, wwwAuthenticate } from '../arm/pipeline.js';
import type { AppFederatedCredentialService } from '../../core/directory/app-federated-credentials.js';
import { registerFederatedCredentialRoutes } from './federated-credentials.js';
import { registerSignInRoutes, type SignInReadDeps } from './sign-ins.js';
import { GraphError, matchesFilter, parseFilterTerms, parseGetByIds, parsePrincipalFilter, readJsonObject } from './requests.js';

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
  /**
   * App registrations and service principal writes (`applications`, `servicePrincipals` create and
   * delete, `addPassword` / `removePassword`). Absent = the read-only surface.
   */
  applications?: ApplicationService;
  /** Applications' federated identity credentials (workload identity federation). Absent: not routed. */
  federatedCredentials?: AppFederatedCredentialService;
  /**
   * Audiences accepted besides Microsoft Graph's: az uses the cloud's `microsoftGraphResourceId` as
   * both Graph's URL and its token audience (src/core/cloud/cloud-metadata.ts), i.e. `<base>/graph/`.
   */
  extraAudiences?(): readonly string[];
  /** Sign-in events (`auditLogs/signIns`, directory administrators only). Absent: not routed. */
  signIns?: SignInReadDeps;
}

/** Graph requests carry small JSON bodies (1000 ids at most). */
const BODY_LIMIT = 128 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    graphCaller?: VerifiedCaller;
  }
}

/**
 * `version` `beta`: only what Keyless serves from Graph's beta endpoint (`auditLogs/signIns`), mounted
 * under `/beta`; other beta paths are left unrouted.
 */
export function graphPlugin(deps: GraphDeps, version: 'v1.0' | 'beta' = 'v1.0'): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const context = (fragment: string) => `${deps.baseUrl()}${app.prefix || GRAPH_PREFIX}/$metadata#${fragment}`;
    const audiences = () => [...GRAPH_AUDIENCES, ...(deps.extraAudiences?.() ?? [])];
    // Bodies arrive as bytes whatever their declared type; readJsonObject decodes them with Graph's errors.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

    app.addHook('onRequest', async (request, reply) => {
      reply.header('request-id', request.id);
      const clientRequestId = request.headers['client-request-id'];
      if (typeof clientRequestId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(clientRequestId)) reply.header('client-request-id', clientRequestId);
      request.graphCaller = await authenticate(request.headers.authorization, deps.verifier, audiences());
    });

    app.setErrorHandler(async (error, request, reply) => {
      if (error instanceof GraphError) return sendError(reply, request, error);
      const unavailable = unavailableCause(error);
      if (unavailable) {
        reply.header('retry-after', String(unavailable.retryAfterSeconds));
        return sendError(reply, request, new GraphError(503, 'serviceNotAvailable', unavailable.message));
      }
      if (isDirectoryError(error)) return sendError(reply, request, fromDirectoryError(error));
      if (isDomainError(error) && error.kind === 'unauthenticated') {
        // Graph answers every token failure with 401 InvalidAuthenticationToken and a challenge.
        reply.header('www-authenticate', wwwAuthenticate(`${deps.baseUrl()}/${deps.defaultTenantId}`, error.message));
        return sendError(reply, request, new GraphError(401, 'InvalidAuthenticationToken', error.message));
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        return sendError(
          reply,
          request,
          new GraphError(
            status === 413 ? 413 : 400,
            'Request_BadRequest',
            status === 413 ? 'The request body is too large.' : 'The request could not be read.',
          ),
        );
      }
      request.log.error({ err: error }, 'graph request failed');
      return sendError(reply, request, new GraphError(500, 'generalException', 'The Keyless server failed; try again.'));
    });

    if (version === 'beta') {
      if (deps.signIns) registerSignInRoutes(app, deps.signIns, context, deps.baseUrl);
      return;
    }
    if (deps.signIns) registerSignInRoutes(app, deps.signIns, context, deps.baseUrl);

    // Graph's answer for a path it does not serve under /v1.0 (or /graph/v1.0): the first segment after the prefix.
    const notServed = async (request: FastifyRequest, reply: FastifyReply) => {
      const segment =
        request.url
          .split('?')[0]!
          .slice((app.prefix || GRAPH_PREFIX).length)
          .split('/')
          .filter(Boolean)[0] ?? '';
      return sendError(reply, request, new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment.slice(0, 100)}'.`));
    };
    app.setNotFoundHandler(notServed);
    // A route, not only the not-found handler: the Blob data plane's path-style `/{account}/*` routes
    // would otherwise claim `/graph/v1.0/<unknown>` as a storage account named `graph` (found by test/fuzz/).
    app.all('/*', notServed);
    // And the prefix itself (`/graph/v1.0`, `/graph/v1.0/`, which `/*` does not match), reached by `/graph/v1.0/x/..` too.
    app.all('/', notServed);

    app.post('/directoryObjects/getByIds', async (request) => {
      const { ids, types } = parseGetByIds(readJsonObject(request.body as Buffer | undefined));
      const caller = request.graphCaller!;
      // Keyless's directory holds service principals only: other types ask for nothing here.
      const principals =
        types === undefined || types.includes('serviceprincipal') || types.includes('directoryobject')
          ? await deps.directory.getByIds(caller.tenantId, ids)
          : [];
      return { '@odata.context': context('directoryObjects'), value: principals.map(servicePrincipalBody) };
    });

    app.get('/servicePrincipals', async (request) => {
      const filterText = queryValue(request.url, '$filter');
      const tenantId = request.graphCaller!.tenantId;
      if (!deps.applications) {
        const filter = parsePrincipalFilter(filterText);
        const found =
          filter.by === 'appId'
            ? await deps.directory.getByAppId(tenantId, filter.value)
            : filter.by === 'id'
              ? await deps.directory.getByObjectId(tenantId, filter.value)
              : await deps.directory.getByServicePrincipalName(tenantId, filter.value);
        return { '@odata.context': context('servicePrincipals'), value: found ? [servicePrincipalBody(found)] : [] };
      }
      const terms = filterText === undefined || filterText.trim() === '' ? [] : parseFilterTerms(filterText);
      const all = (await deps.applications.listServicePrincipals(request.graphCaller!)).map(servicePrincipalBody);
      return { '@odata.context': context('servicePrincipals'), value: all.filter((p) => matchesFilter(p, terms)) };
    });

    app.get('/servicePrincipals/:id', async (request) => {
      const { id } = request.params as { id: string };
      const found = await deps.directory.getByObjectId(request.graphCaller!.tenantId, id);
      if (!found)
        throw new GraphError(
          404,
          'Request_ResourceNotFound',
          `Resource '${id.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present.`,
        );
      return { '@odata.context': context('servicePrincipals/$entity'), ...servicePrincipalBody(found) };
    });

    const service = deps.applications;
    if (!service) return;
    if (deps.federatedCredentials) registerFederatedCredentialRoutes(app, deps.federatedCredentials, context);

    const applicationWithPasswords = async (a: ApplicationRecord) => applicationBody(a, await service.passwordsOf(a));

    app.get('/applications', async (request) => {
      const filterText = queryValue(request.url, '$filter');
      const terms = filterText === undefined || filterText.trim() === '' ? [] : parseFilterTerms(filterText);
      const apps = await service.listApplications(request.graphCaller!);
      const bodies = await Promise.all(apps.map(applicationWithPasswords));
      return { '@odata.context': context('applications'), value: bodies.filter((a) => matchesFilter(a, terms)) };
    });

    app.post('/applications', async (request, reply) => {
      const body = readJsonObject(request.body as Buffer | undefined);
      rejectUnsupported(body, APPLICATION_WRITABLE);
      const created = await service.createApplication(request.graphCaller!, body);
      reply.code(201).header('location', `${deps.baseUrl()}${app.prefix}/directoryObjects/${created.objectId}/Microsoft.DirectoryServices.Application`);
      return { '@odata.context': context('applications/$entity'), ...applicationBody(created, []) };
    });

    app.get('/applications/:id', async (request) => {
      const found = await service.getApplication(request.graphCaller!, (request.params as { id: string }).id);
      return { '@odata.context': context('applications/$entity'), ...(await applicationWithPasswords(found)) };
    });

    app.patch('/applications/:id', async (request, reply) => {
      const body = readJsonObject(request.body as Buffer | undefined);
      rejectUnsupported(body, APPLICATION_WRITABLE);
      await service.updateApplication(request.graphCaller!, (request.params as { id: string }).id, body);
      return reply.code(204).send();
    });

    app.delete('/applications/:id', async (request, reply) => {
      await service.deleteApplication(request.graphCaller!, (request.params as { id: string }).id);
      return reply.code(204).send();
    });

    app.post('/applications/:id/addPassword', async (request) => {
      const raw = request.body as Buffer | undefined;
      const body = raw === undefined || raw.length === 0 ? {} : readJsonObject(raw);
      const credential = body.passwordCredential ?? {};
      if (typeof credential !== 'object' || credential === null || Array.isArray(credential))
        throw new GraphError(400, 'Request_BadRequest', "'passwordCredential' must be an object.");
      const c = credential as Record<string, unknown>;
      for (const name of ['startDateTime', 'endDateTime'] as const) {
        if (c[name] !== undefined && c[name] !== null && typeof c[name] !== 'string')
          throw new GraphError(400, 'Request_BadRequest', `'${name}' must be an ISO 8601 date and time.`);
      }
      const added = await service.addPassword(request.graphCaller!, (request.params as { id: string }).id, {
        displayName: c.displayName as string | null | undefined,
        startDateTime: (c.startDateTime ?? undefined) as string | undefined,
        endDateTime: (c.endDateTime ?? undefined) as string | undefined,
      });
      return { '@odata.context': context('microsoft.graph.passwordCredential'), ...passwordBody(added) };
    });

    app.post('/applications/:id/removePassword', async (request, reply) => {
      const body = readJsonObject(request.body as Buffer | undefined);
      await service.removePassword(request.graphCaller!, (request.params as { id: string }).id, body.keyId);
      return reply.code(204).send();
    });

    app.post('/servicePrincipals', async (request, reply) => {
      const body = readJsonObject(request.body as Buffer | undefined);
      if (body.accountEnabled === false)
        throw new GraphError(400, 'Request_BadRequest', 'Keyless does not keep disabled service principals: create it enabled, or delete it.');
      const created = await service.createServicePrincipal(request.graphCaller!, body);
      reply.code(201);
      return { '@odata.context': context('servicePrincipals/$entity'), ...servicePrincipalBody(created) };
    });

    app.delete('/servicePrincipals/:id', async (request, reply) => {
      await service.deleteServicePrincipal(request.graphCaller!, (request.params as { id: string }).id);
      return reply.code(204).send();
    });
  };
}

/**
 * Properties of an application Keyless stores (`displayName`); others are accepted only empty, as az
 * sends them, and refused otherwise rather than silently dropped.
 */
const APPLICATION_WRITABLE = new Set(['displayName']);

function rejectUnsupported(body: Record<string, unknown>, writable: ReadonlySet<string>): void {
  for (const [key, value] of Object.entries(body)) {
    if (writable.has(key) || key.startsWith('@odata.')) continue;
    const empty =
      value === null ||
      value === false ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'object' && value !== null && Object.values(value).every((v) => v === null || (Array.isArray(v) && v.length === 0)));
    if (!empty)
      throw new GraphError(
        400,
        'Request_BadRequest',
        `Keyless does not support the application property '${key.slice(0, 60)}' (only displayName; sign-in uses client secrets).`,
      );
  }
}

/** A directory failure as Graph answers it. */
function fromDirectoryError(e: DirectoryError): GraphError {
  const status = e.kind === 'forbidden' ? 403 : e.kind === 'not-found' ? 404 : e.kind === 'conflict' ? 400 : 400;
  return new GraphError(status, e.code, e.message);
}

/** Graph's `passwordCredential` (secretText only when just created). */
export function passwordBody(p: PasswordCredential): Record<string, unknown> {
  return {
    customKeyIdentifier: null,
    displayName: p.displayName,
    endDateTime: p.endDateTime,
    hint: p.hint,
    keyId: p.keyId,
    secretText: p.secretText ?? null,
    startDateTime: p.startDateTime,
  };
}

/** A Graph `application` (v1.0 shape; the collections Keyless does not keep are empty). */
export function applicationBody(a: ApplicationRecord, passwords: PasswordCredential[]): Record<string, unknown> {
  return {
    id: a.objectId,
    deletedDateTime: null,
    appId: a.appId,
    applicationTemplateId: null,
    createdDateTime: a.createdAt,
    description: null,
    displayName: a.displayName,
    groupMembershipClaims: null,
    identifierUris: [],
    isDeviceOnlyAuthSupported: null,
    isFallbackPublicClient: null,
    notes: null,
    publisherDomain: 'keyless.local',
    signInAudience: 'AzureADMyOrg',
    tags: [],
    tokenEncryptionKeyId: null,
    api: {
      acceptMappedClaims: null,
      knownClientApplications: [],
      requestedAccessTokenVersion: null,
      oauth2PermissionScopes: [],
      preAuthorizedApplications: [],
    },
    appRoles: [],
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    keyCredentials: [],
    optionalClaims: null,
    passwordCredentials: passwords.map((p) => passwordBody({ ...p, secretText: undefined })),
    publicClient: { redirectUris: [] },
    requiredResourceAccess: [],
    spa: { redirectUris: [] },
    web: { homePageUrl: null, logoutUrl: null, redirectUris: [], implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false } },
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
  return reply
    .code(error.status)
    .type('application/json; charset=utf-8')
    .send({
      error: { code: error.code, message: error.message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': request.id } },
    });
}
