/**
 * The App Service / Functions style endpoint (azure-wire-contracts.md §1.2), used by SDKs when
 * `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set: api-version 2019-08-01, the secret in
 * `X-IDENTITY-HEADER`, the object id as `principal_id` (docs) or `object_id` (msal-node 5.6.0).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentLogger } from './logger.js';
import { isWireError, parseQuery, readResource, readSelector, type SelectorParams } from './query.js';
import { memoizeRenderer, sendToken, serveLater } from './serve-token.js';
import type { TokenCache } from './token-cache.js';
import { appServiceTokenBody, invalidRequest, sendError } from './wire.js';

export const APP_SERVICE_TOKEN_PATH = '/msi/token';
export const APP_SERVICE_API_VERSION = '2019-08-01';

const APP_SERVICE_SELECTORS: SelectorParams = { client_id: 'clientId', principal_id: 'objectId', object_id: 'objectId', mi_res_id: 'resourceId' };

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export interface AppServiceHandlerOptions {
  cache: TokenCache;
  logger: AgentLogger;
  /** The value `IDENTITY_HEADER` carries. */
  secret: string;
}

export function createAppServiceHandler(options: AppServiceHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { cache, logger } = options;
  const expected = sha256(options.secret);
  // The App Service body holds no relative time, so one rendering serves every hit on a token.
  const render = memoizeRenderer((token, resource) => appServiceTokenBody(token, resource));
  return (req, res) => {
    const header = req.headers['x-identity-header'];
    if (typeof header !== 'string' || header === '') {
      return sendError(res, { status: 401, error: 'invalid_request', description: 'Required X-IDENTITY-HEADER header not specified' });
    }
    // Digests have equal length, so the comparison takes the same time whatever the caller sent.
    if (!timingSafeEqual(sha256(header), expected)) {
      return sendError(res, { status: 403, error: 'invalid_request', description: 'The X-IDENTITY-HEADER header does not match IDENTITY_HEADER' });
    }
    const params = parseQuery(req.url ?? '');
    if (isWireError(params)) return sendError(res, params);
    const version = params.get('api-version');
    if (version !== APP_SERVICE_API_VERSION) {
      return sendError(
        res,
        invalidRequest(
          version
            ? `Invalid api-version '${version.slice(0, 40)}'. This endpoint accepts ${APP_SERVICE_API_VERSION}`
            : 'Required api-version parameter not specified',
        ),
      );
    }
    const selector = readSelector(params, APP_SERVICE_SELECTORS);
    if (isWireError(selector)) return sendError(res, selector);
    const resource = readResource(params);
    if (isWireError(resource)) return sendError(res, resource);
    const result = cache.acquire(selector, resource);
    if (result instanceof Promise) return serveLater(res, result, (token) => appServiceTokenBody(token, resource), logger);
    sendToken(res, render(result, resource, 0));
  };
}
