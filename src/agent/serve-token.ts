/** The last step every surface shares: answer with the token, or with the mapped error. */
import type { ServerResponse } from 'node:http';
import type { AgentLogger } from './logger.js';
import { isUpstreamError, type UpstreamToken } from './upstream.js';
import { sendError, sendJson, toWireError } from './wire.js';

/**
 * Writes `render(token)` as a 200, synchronously when the cache had the token (the hot path),
 * else once the upstream call settles. Unexpected failures are logged without request data.
 */
export function serveToken(
  res: ServerResponse,
  result: UpstreamToken | Promise<UpstreamToken>,
  render: (token: UpstreamToken) => string,
  logger: AgentLogger,
): void {
  if (!(result instanceof Promise)) {
    sendJson(res, 200, render(result));
    return;
  }
  result.then(
    (token) => sendJson(res, 200, render(token)),
    (error: unknown) => {
      if (!isUpstreamError(error)) logger.error({ err: error instanceof Error ? error.message : String(error) }, 'token request failed');
      else if (error.code === 'Unavailable' || error.code === 'HostUnauthorized') logger.warn({ code: error.code }, 'Keyless server refused or unreachable');
      sendError(res, toWireError(error));
    },
  );
}
