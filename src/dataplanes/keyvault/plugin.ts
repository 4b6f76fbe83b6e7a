/**
 * The Key Vault data plane for `@azure/keyvault-secrets` and `@azure/keyvault-keys` with default
 * options and for az: requests to `{vault}.vault.<suffix>` (rewritten by app.ts to
 * `/.keyless-dataplane/vault/{vault}/…`). Steps: request ids → vault lookup → the challenge (an
 * unauthenticated request gets 401 with `WWW-Authenticate: Bearer authorization="<authority>/<tenant>",
 * resource="https://vault.<suffix>[:port]"`) → token of the vault's tenant for a Key Vault audience →
 * RBAC data action (`enableRbacAuthorization`) or access policy → handler. Errors are Key Vault's JSON
 * `{"error":{"code","message","innererror":{"code"}}}`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { DataPlaneAddressing } from '../../core/dataplanes/addressing.js';
import type { DataPlaneDirectory, VaultView } from '../../core/dataplanes/directory.js';
import { badParameter, isKeyVaultError, KeyVaultError } from '../../core/keyvault/errors.js';
import { policyAllows, VAULT_OPERATIONS, type VaultOperation } from '../../core/keyvault/permissions.js';
import type { VaultService } from '../../core/keyvault/vault-service.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../../core/ports.js';
import { bearerToken, BearerError, verifyBearer, type DataAuthorizer } from '../auth.js';
import { routeVaultRequest, type VaultRequest } from './routes.js';

/** Key Vault's public audience (tokens for `https://vault.azure.net/.default`). */
export const VAULT_AUDIENCES = ['https://vault.azure.net', 'https://vault.azure.net/'] as const;
const PREFIX = '/.keyless-dataplane/vault/';
const BODY_LIMIT = 256 * 1024;

export interface KeyVaultPlaneDeps {
  vaults: VaultService;
  directory: DataPlaneDirectory;
  addressing: DataPlaneAddressing;
  verifier: AccessTokenVerifier;
  authorizer: DataAuthorizer;
  authorityHost(): string;
}

declare module 'fastify' {
  interface FastifyRequest {
    keyVaultTenant?: string;
  }
}

export function keyVaultPlugin(deps: KeyVaultPlaneDeps): FastifyPluginAsync {
  const audiences = () => [...VAULT_AUDIENCES, deps.addressing.vaultResource(), `${deps.addressing.vaultResource()}/`];

  async function authenticate(request: FastifyRequest, vault: VaultView): Promise<VerifiedCaller> {
    let token: string | undefined;
    try {
      token = bearerToken(request.headers.authorization);
    } catch {
      throw new BearerError('malformed', 'AKV10000: Request is missing a Bearer or PoP token.');
    }
    if (token === undefined) throw new BearerError('missing', 'AKV10000: Request is missing a Bearer or PoP token.');
    const caller = await verifyBearer(deps.verifier, token, audiences());
    if (caller.tenantId.toLowerCase() !== vault.tenantId.toLowerCase()) {
      throw new BearerError(
        'invalid',
        `AKV10032: Invalid issuer. The token is from tenant '${caller.tenantId}'; vault '${vault.name}' belongs to tenant '${vault.tenantId}'.`,
      );
    }
    return caller;
  }

  function authorize(caller: VerifiedCaller, vault: VaultView, operation: VaultOperation, objectScope: string | undefined): void {
    const need = VAULT_OPERATIONS[operation];
    const who = `appid=${caller.appId};oid=${caller.objectId};iid=${caller.tenantId}`;
    if (vault.enableRbacAuthorization) {
      const scope = objectScope ? `${vault.id}/${objectScope}` : vault.id;
      if (deps.authorizer.can(caller, need.dataAction, scope, true)) return;
      throw new KeyVaultError(
        'Forbidden',
        [
          'Caller is not authorized to perform action on resource.',
          'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
          `Caller: ${who}`,
          `Action: '${need.dataAction}'`,
          `Resource: '${scope.toLowerCase()}'`,
          'Assignment: (not found)',
          'DenyAssignmentId: null',
          'DecisionReason: null ',
          `Vault: ${vault.name};location=${vault.location}`,
          '',
        ].join('\r\n'),
        'ForbiddenByRbac',
      );
    }
    const [kind, permission] = need.policy;
    if (policyAllows(vault.accessPolicies, caller, kind, permission)) return;
    throw new KeyVaultError(
      'Forbidden',
      `The user, group or application '${who}' does not have ${kind} ${permission} permission on key vault '${vault.name};location=${vault.location}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
      'ForbiddenByPolicy',
    );
  }

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('x-ms-request-id', request.id)
      .header('x-ms-keyvault-service-version', '1.9.0.0')
      .header('x-ms-keyvault-network-info', `addr=${request.ip};act_addr_fam=InterNetwork;`);
    const clientRequestId = request.headers['x-ms-client-request-id'];
    if (typeof clientRequestId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(clientRequestId)) reply.header('x-ms-client-request-id', clientRequestId);
    const url = request.url;
    const q = url.indexOf('?');
    const path = (q < 0 ? url : url.slice(0, q)).slice(PREFIX.length);
    const slash = path.indexOf('/');
    const vaultName = slash < 0 ? path : path.slice(0, slash);
    const vault = await deps.directory.findVault(vaultName);
    if (!vault) throw new KeyVaultError('NotFound', `The vault '${vaultName}' does not exist.`);
    request.keyVaultTenant = vault.tenantId;
    const caller = await authenticate(request, vault);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    if (!query.get('api-version')) throw badParameter("The 'api-version' query parameter is required.");
    const host = String(request.headers.host ?? '').toLowerCase();
    const vr: VaultRequest = {
      method: request.method.toUpperCase(),
      segments: slash < 0 ? [] : path.slice(slash + 1).split('/'),
      query,
      body: parseBody(request.body),
      origin: `https://${host}`,
      vault: { vault: vault.name.toLowerCase(), softDeleteRetentionInDays: vault.softDeleteRetentionInDays },
      recoveryLevel: vault.enablePurgeProtection ? 'Recoverable' : 'Recoverable+Purgeable',
      recoverableDays: vault.softDeleteRetentionInDays,
      purgeProtected: vault.enablePurgeProtection,
      authorize: (operation, objectScope) => authorize(caller, vault, operation, objectScope),
    };
    const result = await routeVaultRequest(deps.vaults, vr);
    reply.code(result.status).header('cache-control', 'no-cache');
    if (result.body === undefined) return reply.send();
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(result.body));
  };

  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
    app.setErrorHandler(async (error, request, reply) => {
      if (error instanceof BearerError) {
        const tenant = request.keyVaultTenant ?? 'common';
        // The challenge the SDKs answer: authority of the vault's tenant, and a resource whose host is a parent of the vault's.
        reply.header('www-authenticate', `Bearer authorization="${deps.authorityHost()}/${tenant}", resource="${deps.addressing.vaultResource()}"`);
        return send(reply, 401, { code: 'Unauthorized', message: error.reason === 'missing' ? error.message : `AKV10022: ${error.message}` });
      }
      if (isKeyVaultError(error))
        return send(reply, error.status, { code: error.code, message: error.message, ...(error.inner ? { innererror: { code: error.inner } } : {}) });
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 413) return send(reply, 413, { code: 'BadParameter', message: `The request body is larger than ${BODY_LIMIT} bytes.` });
      if (status !== undefined && status >= 400 && status < 500) return send(reply, 400, { code: 'BadParameter', message: (error as Error).message });
      request.log.error({ err: error }, 'key vault request failed');
      return send(reply, 500, { code: 'InternalServerError', message: 'The Keyless server encountered an internal error. Please retry the request.' });
    });
    app.route({ method: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST'], url: `${PREFIX}*`, bodyLimit: BODY_LIMIT, exposeHeadRoute: false, handler: handle });
  };
}

function parseBody(raw: unknown): Record<string, unknown> {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badParameter('The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badParameter('The request body must be a JSON object.');
  return value as Record<string, unknown>;
}

function send(reply: FastifyReply, status: number, error: Record<string, unknown>) {
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify({ error }));
}
