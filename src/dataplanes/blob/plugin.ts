/**
 * The Blob and Data Lake Gen2 data plane as a Fastify plugin, for `@azure/storage-blob` and
 * `@azure/storage-file-datalake` used unmodified. Requests arrive path-style
 * (`/{account}/{container}/{blob}` on the server's origin) or host-style (`{account}.blob|dfs.<suffix>`,
 * rewritten by app.ts to `/.keyless-dataplane/{blob|dfs}/{account}/…`). Each request goes through:
 * request ids → account lookup → operation → authentication (bearer or Shared Key) → authorization
 * (RBAC action or data action at the container / blob service scope) → handler. Errors are Azure
 * Storage's: XML on the blob API, JSON on the Data Lake API, `x-ms-error-code` on both.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { BlobService, Conditions } from '../../core/blob/blob-service.js';
import { BlobError, isBlobError } from '../../core/blob/errors.js';
import type { Clock } from '../../core/clock.js';
import { RESERVED_ACCOUNT_NAMES, STORAGE_ACCOUNT_NAME, type DataPlaneAddressing } from '../../core/dataplanes/addressing.js';
import type { DataPlaneDirectory, StorageAccountView } from '../../core/dataplanes/directory.js';
import type { AccessTokenVerifier, VerifiedCaller } from '../../core/ports.js';
import { bearerToken, BearerError, verifyBearer, type DataAuthorizer } from '../auth.js';
import { handleOperation, type BlobRequestContext } from './handlers/index.js';
import { ADD_BLOB_ACTION, classifyOperation, operationScope, type BlobOperation } from './operations.js';
import { sharedKeyAccount, verifySharedKey } from './shared-key.js';
import { errorXml } from './xml.js';

/** The service version Keyless answers with (`x-ms-version`). */
export const STORAGE_SERVICE_VERSION = '2025-01-05';
/** The audience of Azure Storage tokens. */
export const STORAGE_AUDIENCES = ['https://storage.azure.com/', 'https://storage.azure.com'] as const;
/** Request bodies (one block, one append, one single-shot upload) above this are refused with 413. */
export const STORAGE_BODY_LIMIT = 100 * 1024 * 1024;
/** The path prefix app.ts rewrites host-style requests to. */
export const HOST_STYLE_PREFIX = '/.keyless-dataplane';

export interface BlobPlaneDeps {
  blobs: BlobService;
  directory: DataPlaneDirectory;
  addressing: DataPlaneAddressing;
  verifier: AccessTokenVerifier;
  authorizer: DataAuthorizer;
  /** The account's keys (key1, key2) for Shared Key. */
  accountKeys(account: string): Promise<Buffer[]>;
  clock: Clock;
  /** The token authority's origin, named in `WWW-Authenticate`. */
  authorityHost(): string;
}

interface Target {
  account: string;
  endpoint: 'blob' | 'dfs';
  hostStyle: boolean;
  /** The URL as the client sent it (for Shared Key). */
  rawUrl: string;
  /** Decoded path segments below the account. */
  container: string | undefined;
  blob: string | undefined;
  query: URLSearchParams;
}

/** Splits `/{container}/{blob…}` (raw, percent-encoded) below the account. */
function splitPath(rawPath: string): { container: string | undefined; blob: string | undefined } {
  const path = rawPath.replace(/^\/+/, '');
  if (path === '') return { container: undefined, blob: undefined };
  const slash = path.indexOf('/');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new BlobError('InvalidResourceName', 'The path is not valid percent-encoded UTF-8.');
    }
  };
  if (slash < 0) return { container: decode(path), blob: undefined };
  const blob = path.slice(slash + 1);
  return { container: decode(path.slice(0, slash)), blob: blob === '' ? undefined : decode(blob) };
}

function parseTarget(request: FastifyRequest): Target | undefined {
  const raw = request.originalUrl ?? request.url;
  const url = request.url;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  if (path.startsWith(`${HOST_STYLE_PREFIX}/`)) {
    const [, , endpoint, account] = path.split('/', 4) as [string, string, 'blob' | 'dfs', string];
    const below = path.slice(HOST_STYLE_PREFIX.length + endpoint.length + account.length + 2);
    return { account, endpoint, hostStyle: true, rawUrl: raw, query, ...splitPath(below) };
  }
  const segments = path.split('/');
  const account = segments[1] ?? '';
  if (!STORAGE_ACCOUNT_NAME.test(account) || RESERVED_ACCOUNT_NAMES.has(account)) return undefined;
  return { account, endpoint: 'blob', hostStyle: false, rawUrl: raw, query, ...splitPath(path.slice(account.length + 1)) };
}

declare module 'fastify' {
  interface FastifyRequest {
    storageDfs?: boolean;
  }
}

export function blobPlanePlugin(deps: BlobPlaneDeps): FastifyPluginAsync {
  const audiences = (account: string) => [
    ...STORAGE_AUDIENCES,
    deps.addressing.storageEndpoint(account, 'blob'),
    deps.addressing.storageEndpoint(account, 'dfs'),
    deps.addressing.pathStyleAccountUrl(account),
  ];

  async function authenticate(request: FastifyRequest, target: Target, account: StorageAccountView): Promise<VerifiedCaller | 'shared-key'> {
    const authorization = request.headers.authorization;
    const shared = sharedKeyAccount(authorization);
    if (shared) {
      if (!account.allowSharedKeyAccess) throw new BlobError('KeyBasedAuthenticationNotPermitted');
      if (shared.account.toLowerCase() !== account.name.toLowerCase())
        throw new BlobError('AuthenticationFailed', `The Shared Key names account '${shared.account.slice(0, 64)}', not '${account.name}'.`);
      // Path-style URLs carry the account in the path as well: the SDKs sign `/{account}/{account}/…`.
      verifySharedKey({
        method: request.method,
        headers: request.headers,
        rawUrl: target.rawUrl.replace(/^https?:\/\/[^/]+/, ''),
        account: shared.account,
        signature: shared.signature,
        keys: await deps.accountKeys(account.name),
        now: deps.clock.now(),
      });
      return 'shared-key';
    }
    const token = bearerToken(authorization);
    if (token === undefined) throw new BearerError('missing', 'No Authorization header.');
    const caller = await verifyBearer(deps.verifier, token, audiences(account.name));
    if (caller.tenantId.toLowerCase() !== account.tenantId.toLowerCase()) {
      throw new BearerError(
        'invalid',
        `Issuer validation failed: the token is from tenant '${caller.tenantId}', the storage account belongs to tenant '${account.tenantId}'.`,
      );
    }
    return caller;
  }

  async function authorize(caller: VerifiedCaller, account: StorageAccountView, target: Target, operation: BlobOperation): Promise<void> {
    const scope = operationScope(account.id, operation.level === 'account' ? undefined : target.container);
    if (deps.authorizer.can(caller, operation.action, scope, operation.data)) return;
    // Creating a blob that does not exist needs only `add/action` (Storage Blob Data Contributor and Owner hold both).
    if (operation.mayCreate && deps.authorizer.can(caller, ADD_BLOB_ACTION, scope, true) && target.container && target.blob) {
      const existing = await deps.blobs.getBlob(account.name, target.container, target.blob).catch(() => undefined);
      if (!existing) return;
    }
    throw new BlobError('AuthorizationPermissionMismatch');
  }

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-ms-request-id', request.id).header('x-ms-version', STORAGE_SERVICE_VERSION);
    const clientRequestId = request.headers['x-ms-client-request-id'];
    if (typeof clientRequestId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(clientRequestId)) reply.header('x-ms-client-request-id', clientRequestId);
    const target = parseTarget(request);
    if (!target) return notFound(request, reply);
    request.storageDfs = target.endpoint === 'dfs';
    const account = await deps.directory.findStorageAccount(target.account);
    const get = (name: string) => target.query.get(name) ?? undefined;
    const operation = classifyOperation(request.method, target.container !== undefined, target.blob !== undefined, get, target.endpoint === 'dfs');
    // The dfs endpoint answers every error in Data Lake's JSON, whichever operation the request names (found by test/fuzz/).
    request.storageDfs = operation.dfs || target.endpoint === 'dfs';
    if (!account) throw new BlobError('ResourceNotFound', `The storage account '${target.account}' does not exist.`);
    const caller = await authenticate(request, target, account);
    if (caller !== 'shared-key') await authorize(caller, account, target, operation);
    const ctx: BlobRequestContext = {
      request,
      reply,
      operation,
      account: account.name,
      container: target.container,
      blob: target.blob,
      query: get,
      conditions: readConditions(request),
      serviceEndpoint: target.hostStyle
        ? deps.addressing.storageEndpoint(account.name, target.endpoint)
        : `${deps.addressing.pathStyleAccountUrl(account.name)}/`,
    };
    return handleOperation(deps.blobs, ctx);
  };

  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: STORAGE_BODY_LIMIT }, (_req, body, done) => done(null, body));

    app.setErrorHandler(async (error, request, reply) => {
      // Failures before the handler ran (the body's framing, its size) on the dfs endpoint are Data Lake's too.
      const dfs = request.storageDfs === true || request.url.startsWith(`${HOST_STYLE_PREFIX}/dfs/`);
      if (error instanceof BearerError) {
        const code = error.reason === 'missing' ? 'NoAuthenticationInformation' : 'InvalidAuthenticationInfo';
        const tenant = await tenantFor(request);
        reply.header('www-authenticate', `Bearer authorization_uri=${deps.authorityHost()}/${tenant}/oauth2/authorize resource_id=${STORAGE_AUDIENCES[1]}`);
        return sendError(request, reply, new BlobError(code, error.reason === 'missing' ? undefined : error.message), dfs);
      }
      if (isBlobError(error)) return sendError(request, reply, error, dfs);
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 413)
        return sendError(request, reply, new BlobError('RequestBodyTooLarge', `Keyless accepts at most ${STORAGE_BODY_LIMIT} bytes in one request.`), dfs);
      if (status !== undefined && status >= 400 && status < 500)
        return sendError(request, reply, new BlobError('InvalidHeaderValue', (error as Error).message), dfs);
      request.log.error({ err: error }, 'storage request failed');
      reply.code(500).header('x-ms-error-code', 'InternalError');
      return request.method === 'HEAD'
        ? reply.send()
        : reply.type('application/xml').send(errorXml('InternalError', 'The Keyless server encountered an internal error. Please retry the request.'));
    });

    const methods = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST'];
    const options = { bodyLimit: STORAGE_BODY_LIMIT, exposeHeadRoute: false };
    for (const url of [`${HOST_STYLE_PREFIX}/blob/*`, `${HOST_STYLE_PREFIX}/dfs/*`, '/:account', '/:account/*'])
      app.route({ method: methods, url, ...options, handler: handle });
  };

  /** The tenant named in a 401 challenge: the account's, when the account exists. */
  async function tenantFor(request: FastifyRequest): Promise<string> {
    const target = parseTarget(request);
    const account = target ? await deps.directory.findStorageAccount(target.account).catch(() => undefined) : undefined;
    return account?.tenantId ?? 'common';
  }
}

function readConditions(request: FastifyRequest): Conditions | undefined {
  const h = (name: string) => {
    const v = request.headers[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const date = (name: string) => {
    const v = h(name);
    if (v === undefined) return undefined;
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new BlobError('InvalidHeaderValue', `The ${name} header is not an HTTP date.`);
    return t;
  };
  const c: Conditions = {};
  const ifMatch = h('if-match');
  if (ifMatch) c.ifMatch = ifMatch;
  const ifNoneMatch = h('if-none-match');
  if (ifNoneMatch) c.ifNoneMatch = ifNoneMatch;
  const since = date('if-modified-since');
  if (since !== undefined) c.ifModifiedSince = since;
  const unmodified = date('if-unmodified-since');
  if (unmodified !== undefined) c.ifUnmodifiedSince = unmodified;
  return Object.keys(c).length > 0 ? c : undefined;
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: BlobError, dfs: boolean) {
  const message = `${error.message}\nRequestId:${request.id}\nTime:${new Date().toISOString()}`;
  reply.code(error.status).header('x-ms-error-code', error.code);
  if (request.method === 'HEAD') return reply.send();
  if (dfs)
    return reply
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ error: { code: error.code, message: error.detail ? `${message}\n${error.detail}` : message } }));
  const authentication = error.code === 'InvalidAuthenticationInfo' || error.code === 'AuthenticationFailed';
  const detail = error.detail ? { name: authentication ? 'AuthenticationErrorDetail' : 'Detail', value: error.detail } : undefined;
  return reply.type('application/xml').send(errorXml(error.code, message, detail));
}

/** A path-style URL whose first segment cannot be an account: the server's generic 404. */
function notFound(request: FastifyRequest, reply: FastifyReply) {
  return reply
    .code(404)
    .type('application/json; charset=utf-8')
    .send({
      error: { code: 'NotFound', message: `No Keyless endpoint serves ${request.method} '${request.url.split('?')[0]}'.` },
    });
}
