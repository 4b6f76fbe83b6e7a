/**
 * The ARM control plane as a Fastify plugin. Fastify only receives the request and reads the body;
 * the ARM dispatcher (route registry + pipeline) does the rest so that routing follows ARM's rules
 * (case-insensitive segments, `//`, percent-encoding, ARM errors for unknown routes and methods).
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ArmRequestOutcome } from '../../core/activity/activity-events.js';
import type { Clock } from '../../core/clock.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../../core/ports.js';
import type { SubscriptionService } from '../../core/resources/subscription-service.js';
import { ArmError, mapArmError } from './arm-error.js';
import {
  ARM_AUDIENCES,
  applyReadConditions,
  assignRequestIds,
  authenticate,
  checkApiVersion,
  matchRoute,
  normalizeRequest,
  parseConditions,
  readBody,
  resolveSubscription,
  wwwAuthenticate,
} from './pipeline.js';
import { createArmRouteRegistry, isArmMethod } from './route-registry.js';
import { keepVisibleItems, type ArmAuthorizer, type ArmContext, type ArmProvider, type ArmResponse } from './route.js';

export interface ArmDeps {
  /** Resolves the `{subscriptionId}` of a route (it must exist in the caller's tenant). */
  subscriptions: Pick<SubscriptionService, 'get'>;
  verifier: AccessTokenVerifier;
  clock: Clock;
  /** The listener's https origin (known only after listen), for `nextLink`, `Location`, `Azure-AsyncOperation`. */
  baseUrl(): string;
  /** The token authority for `WWW-Authenticate`; defaults to {@link baseUrl} (one listener serves both). */
  authorityHost?(): string;
  /** The tenant named in `WWW-Authenticate` (`authorization_uri="<authority>/<tenant>"`). */
  defaultTenantId: string;
  /** The resource providers (src/providers/index.ts builds them), each a folder under src/providers/. */
  providers: readonly ArmProvider[];
  /**
   * Token audiences accepted besides Azure's ARM audiences: the SDKs ask for `${endpoint}/.default`
   * by default, so a client pointed at this server's endpoint gets tokens for that URL.
   */
  extraAudiences?(): readonly string[];
  /** RBAC check run before the handler; absent = every authenticated caller is allowed. */
  authorize?: ArmAuthorizer;
  /**
   * Called once per answered request that named a subscription of the caller's tenant, after the
   * answer is sent (the Activity Log, docs/adr/0016-activity-log.md). Must return at once and never throw.
   */
  audit?: (outcome: ArmRequestOutcome) => void;
}

/** The ARM collections at the root of the URL space; everything ARM serves lies below one of them. */
const ROOTS = ['subscriptions', 'tenants', 'providers'];

declare module 'fastify' {
  interface FastifyRequest {
    armCorrelationId?: string;
    armCaller?: VerifiedCaller;
    /** What the Activity Log needs once the answer is sent (set when the subscription resolved). */
    armAudit?: { action: string; path: string; tenantId: string; subscriptionId: string; authorized: boolean; startedAt: number };
    armError?: { code: string; message: string };
  }
}

export function armPlugin(deps: ArmDeps): FastifyPluginAsync {
  const registry = createArmRouteRegistry();
  for (const provider of deps.providers) registry.add(provider);
  const audiences = () => (deps.extraAudiences ? [...ARM_AUDIENCES, ...deps.extraAudiences()] : ARM_AUDIENCES);
  const authority = () => `${(deps.authorityHost ?? deps.baseUrl)()}/${deps.defaultTenantId}`;

  return async (app: FastifyInstance) => {
    // The body arrives as bytes whatever its declared type; the pipeline decodes and checks it.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    // 1. request ids, on every response including errors.
    app.addHook('onRequest', async (request, reply) => {
      const ids = assignRequestIds(request.id, request.headers);
      request.armCorrelationId = ids.correlationId;
      reply.header('x-ms-request-id', ids.requestId).header('x-ms-correlation-request-id', ids.correlationId);
    });
    // 2. authentication, before the body is read.
    app.addHook('onRequest', async (request) => {
      request.armCaller = await authenticate(request.headers.authorization, deps.verifier, audiences());
    });

    // 11. the Activity Log, once the answer has gone out.
    const audit = deps.audit;
    if (audit) {
      app.addHook('onResponse', async (request, reply) => {
        const seen = request.armAudit;
        const caller = request.armCaller;
        if (!seen || !caller) return;
        const clientRequestId = request.headers['x-ms-client-request-id'];
        try {
          audit({
            tenantId: seen.tenantId,
            subscriptionId: seen.subscriptionId,
            method: request.method,
            path: seen.path,
            action: seen.action,
            callerObjectId: caller.objectId,
            claims: caller.claims,
            correlationId: request.armCorrelationId ?? request.id,
            requestId: String(reply.getHeader('x-ms-request-id') ?? request.id),
            clientRequestId: typeof clientRequestId === 'string' ? clientRequestId.slice(0, 200) : undefined,
            clientIp: request.ip,
            status: reply.statusCode,
            ...(request.armError ? { error: request.armError } : {}),
            reachedHandler: seen.authorized,
            startedAt: seen.startedAt,
            finishedAt: deps.clock.now(),
          });
        } catch (error) {
          request.log.error({ err: error }, 'activity log record failed');
        }
      });
    }

    app.setErrorHandler(async (error, request, reply) => {
      const mapped = mapArmError(error, request.log, request.id);
      request.armError = { code: mapped.body.error.code, message: mapped.body.error.message };
      if (mapped.status === 401) reply.header('www-authenticate', wwwAuthenticate(authority(), mapped.body.error.message));
      reply.headers(mapped.headers);
      return sendJson(reply, request, mapped.status, mapped.body);
    });

    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const response = await dispatch(request);
      reply.headers(response.headers ?? {});
      if (response.body === undefined || request.method === 'HEAD') return reply.code(response.status).send();
      return sendJson(reply, request, response.status, response.body);
    };

    const dispatch = async (request: FastifyRequest): Promise<ArmResponse> => {
      const method = request.method.toUpperCase();
      const normalized = normalizeRequest(request.raw.url ?? request.url);
      if (!isArmMethod(method)) throw new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
      const caller = request.armCaller!;
      const { route, params } = matchRoute(registry, method, normalized); // 3. route
      const apiVersion = checkApiVersion(route, normalized.query); // 4. api-version
      const subscription = await resolveSubscription(params, caller, deps.subscriptions); // 5. scope
      const action = route.actionFor?.(params) ?? route.action;
      if (subscription) {
        request.armAudit = {
          action,
          path: normalized.path,
          tenantId: subscription.tenantId,
          subscriptionId: subscription.id,
          authorized: false,
          startedAt: deps.clock.now(),
        };
      }
      const grant = await deps.authorize?.({
        caller,
        action,
        scope: normalized.path,
        operationId: route.operationId,
        method,
      }); // 6. RBAC
      if (request.armAudit) request.armAudit.authorized = true;
      const conditions = parseConditions(request.headers); // 7. preconditions
      const body = readBody(route, request.body as Buffer | undefined, request.headers['content-type']); // 8. body
      const ctx: ArmContext<unknown> = {
        method,
        path: normalized.path,
        params,
        apiVersion,
        body,
        caller,
        subscription,
        conditions,
        query: (name) => normalized.query.get(name.toLowerCase())?.[0],
        requestId: request.id,
        baseUrl: deps.baseUrl(),
        log: request.log,
      };
      const response = await route.handler(ctx); // 9. handler
      return applyReadConditions(method, keepVisibleItems(response, grant), conditions); // 10. list visibility, read preconditions
    };

    const methods = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST', 'OPTIONS'] as const;
    for (const root of ROOTS) {
      for (const url of [`/${root}`, `/${root}/*`]) app.route({ method: [...methods], url, exposeHeadRoute: false, handler: handle });
    }
  };
}

function sendJson(reply: FastifyReply, request: FastifyRequest, status: number, body: unknown) {
  reply.code(status);
  if (request.method === 'HEAD') return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
}
