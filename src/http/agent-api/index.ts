/**
 * The agent API as a Fastify plugin: what `keyless agent` calls on the server.
 *   POST /keyless/agent/v1/join        {joinToken} → {hostKey, resourceId, tenantId}   (no auth: the token is the proof)
 *   POST /keyless/agent/v1/token       {identity, resource} → a managed-identity token
 *   GET  /keyless/agent/v1/identities?since=<version>&timeoutMs=<ms>  long-poll of the held identities
 *   POST /keyless/agent/v1/serviceAccountToken {namespace, name, audience?} → a projected service-account
 *        token of the node's cluster (AKS nodes with the OIDC issuer; issue 14)
 * Every call but `join` carries `Authorization: KeylessHost <host key>`; the host key is checked, and
 * the host resource read, on every call (docs/adr/0004-host-attestation.md). Errors are JSON
 * `{"error":{"code","message"}}` with the codes of src/core/hosts/host-errors.ts.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedHost, HostAttestation } from '../../core/hosts/host-attestation.js';
import { HostError, isHostError } from '../../core/hosts/host-errors.js';
import type { IdentityWatch } from '../../core/hosts/identity-watch.js';
import type { ManagedIdentityTokens } from '../../core/tokens/managed-identity.js';
import { unavailableCause } from '../../core/unavailable.js';
import type { ServiceAccountTokens } from '../../core/workload-identity/service-account-tokens.js';
import { parseTokenRequest, parseWatchQuery, readJoinRequest } from './requests.js';
import {
  AGENT_API_PREFIX,
  HOST_AUTH_SCHEME,
  type AgentApiErrorBody,
  type IdentitiesResponse,
  type JoinResponse,
  type TokenResponse,
} from '../../contract/agent-api.js';

export interface AgentApiDeps {
  hosts: HostAttestation;
  tokens: ManagedIdentityTokens;
  watch: IdentityWatch;
  /** Service-account tokens for AKS nodes (workload identity); absent: not routed. */
  serviceAccountTokens?: ServiceAccountTokens;
}

/** Small JSON bodies only; anything bigger is not an agent talking. */
const BODY_LIMIT = 16 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    keylessHost?: AuthenticatedHost;
  }
}

export function agentApiPlugin(deps: AgentApiDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.setErrorHandler(async (error, request, reply) => {
      if (isHostError(error)) return sendError(reply, error);
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        return sendError(
          reply,
          new HostError('InvalidRequest', status === 413 ? 'The request body is too large.' : 'The request body must be a JSON object.'),
          status,
        );
      }
      const unavailable = unavailableCause(error);
      if (unavailable) {
        // The agent maps any 5xx to `Unavailable` and keeps serving the tokens it holds.
        return reply
          .code(503)
          .header('retry-after', String(unavailable.retryAfterSeconds))
          .type('application/json; charset=utf-8')
          .send({ error: { code: 'ServiceUnavailable', message: unavailable.message } });
      }
      request.log.error({ err: error }, 'agent API request failed');
      return reply
        .code(500)
        .type('application/json; charset=utf-8')
        .send({ error: { code: 'InternalError', message: 'The Keyless server failed; try again.' } });
    });

    const authenticate = async (request: FastifyRequest) => {
      request.keylessHost = await deps.hosts.authenticate(hostKeyOf(request.headers.authorization));
    };

    app.post(`${AGENT_API_PREFIX}/join`, { bodyLimit: BODY_LIMIT }, async (request, reply) => {
      const { joinToken } = readJoinRequest(request.body);
      const joined: JoinResponse = await deps.hosts.exchangeJoinToken(joinToken);
      return reply.header('cache-control', 'no-store').send(joined);
    });

    app.post(`${AGENT_API_PREFIX}/token`, { bodyLimit: BODY_LIMIT, onRequest: authenticate }, async (request, reply) => {
      const { identity, resource } = parseTokenRequest(request.body);
      const issued = await deps.tokens.issue({ host: request.keylessHost!.resource, selector: identity, resource, clientIp: request.ip });
      const body: TokenResponse = {
        accessToken: issued.accessToken,
        expiresOn: issued.expiresOn,
        notBefore: issued.notBefore,
        clientId: issued.identity.principal.appId,
        objectId: issued.identity.principal.objectId,
        identityResourceId: issued.identity.resourceId,
      };
      return reply.header('cache-control', 'no-store').send(body);
    });

    const serviceAccounts = deps.serviceAccountTokens;
    if (serviceAccounts) {
      app.post(`${AGENT_API_PREFIX}/serviceAccountToken`, { bodyLimit: BODY_LIMIT, onRequest: authenticate }, async (request, reply) => {
        const body = request.body as Record<string, unknown> | undefined;
        if (
          typeof body !== 'object' ||
          body === null ||
          typeof body.namespace !== 'string' ||
          typeof body.name !== 'string' ||
          (body.audience !== undefined && typeof body.audience !== 'string')
        ) {
          throw new HostError('InvalidRequest', 'The body must be {"namespace": string, "name": string, "audience"?: string}.');
        }
        const issued = await serviceAccounts.issue(request.keylessHost!.resource, {
          namespace: body.namespace,
          name: body.name,
          ...(body.audience ? { audience: body.audience } : {}),
        });
        return reply.header('cache-control', 'no-store').send(issued);
      });
    }

    app.get(`${AGENT_API_PREFIX}/identities`, { onRequest: authenticate }, async (request, reply) => {
      const { since, timeoutMs } = parseWatchQuery(request.query as Record<string, unknown>);
      const host = request.keylessHost!;
      const gone = new AbortController();
      // The agent gave up (aborted its long-poll): stop reading on its behalf.
      reply.raw.once('close', () => gone.abort());
      const snapshot = await deps.watch.wait(
        () => deps.hosts.currentResource({ resourceId: host.resource.id, resourceCreatedAt: host.resource.createdAt }),
        since,
        { timeoutMs, signal: gone.signal },
      );
      if (!snapshot) throw new HostError('HostUnauthorized', `The host resource '${host.resource.id}' no longer exists; its host keys are revoked.`);
      const body: IdentitiesResponse = snapshot;
      return reply.header('cache-control', 'no-store').send(body);
    });
  };
}

function hostKeyOf(header: string | undefined): string {
  const match = /^(\S+)\s+(\S+)$/.exec(header ?? '');
  if (!match || match[1]!.toLowerCase() !== HOST_AUTH_SCHEME.toLowerCase()) {
    throw new HostError('HostUnauthorized', `Missing host credential: send 'Authorization: ${HOST_AUTH_SCHEME} <host key>'.`);
  }
  return match[2]!;
}

function sendError(reply: FastifyReply, error: HostError, status = error.status) {
  const body: AgentApiErrorBody = { error: { code: error.code, message: error.message } };
  if (status === 401) reply.header('www-authenticate', HOST_AUTH_SCHEME);
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
