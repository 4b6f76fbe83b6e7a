/**
 * The legacy VM-extension protocol behind `MSI_ENDPOINT` (the one az 2.45's `az login --identity`
 * uses through msrestazure `get_msi_token`, and msal's Cloud Shell source): `POST {MSI_ENDPOINT}`,
 * header `Metadata: true`, form body `resource=<App ID URI>` and at most one of `client_id`,
 * `object_id`, `msi_res_id`. The answer is IMDS's token body (every value a string). The old extension
 * listened on `http://localhost:50342/oauth2/token`; the agent serves the same path on its own port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { AgentLogger } from './logger.js';
import { isWireError, parseQuery, readResource, readSelector, type SelectorParams } from './query.js';
import { headerValue } from './raw-headers.js';
import { serveLater, sendToken, memoizeRenderer } from './serve-token.js';
import type { TokenCache } from './token-cache.js';
import { imdsTokenBody, invalidRequest, sendError } from './wire.js';

export const MSI_EXTENSION_TOKEN_PATH = '/oauth2/token';

const SELECTORS: SelectorParams = { client_id: 'clientId', object_id: 'objectId', msi_res_id: 'resourceId', mi_res_id: 'resourceId' };
/** A form with a resource and one id fits in far less. */
const MAX_BODY_BYTES = 8192;

export interface MsiExtensionOptions {
  cache: TokenCache;
  clock: Clock;
  logger: AgentLogger;
}

export function createMsiExtensionHandler(options: MsiExtensionOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { cache, clock, logger } = options;
  const render = memoizeRenderer((token, resource, nowMs) => imdsTokenBody(token, resource, nowMs));
  return (req, res) => {
    const metadata = headerValue(req.rawHeaders, 'metadata');
    if (metadata === undefined || metadata.toLowerCase() !== 'true') {
      req.resume();
      return sendError(res, invalidRequest('Required metadata header not specified'));
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      req.resume();
      return sendError(res, invalidRequest('The request body must be application/x-www-form-urlencoded, with resource=<App ID URI>'));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        if (!refused) sendError(res, { ...invalidRequest('The request body is too large'), status: 413 });
        refused = true;
        return;
      }
      if (!refused) chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (refused) return;
      // The form reads like a query string: same decoding, same refusal of repeated parameters.
      const params = parseQuery(`?${Buffer.concat(chunks).toString('latin1')}`);
      if (isWireError(params)) return sendError(res, params);
      const selector = readSelector(params, SELECTORS);
      if (isWireError(selector)) return sendError(res, selector);
      const resource = readResource(params);
      if (isWireError(resource)) return sendError(res, resource);
      const result = cache.acquire(selector, resource);
      if (result instanceof Promise) return serveLater(res, result, (token) => imdsTokenBody(token, resource, clock.now()), logger);
      sendToken(res, render(result, resource, clock.now()));
    });
  };
}
