/** The last step every surface shares: answer with the token, or with the mapped error. */
import type { ServerResponse } from 'node:http';
import type { AgentLogger } from './logger.js';
import { isUpstreamError, type UpstreamToken } from './upstream.js';
import { sendError, sendJson, toWireError } from './wire.js';

/** Renders a token answer; `nowMs` matters only through whole seconds (`expires_in`). */
export type TokenRenderer = (token: UpstreamToken, resource: string, nowMs: number) => string;

/** A rendered answer and its byte length. */
export interface RenderedBody {
  body: string;
  length: number;
}

interface Memo extends RenderedBody {
  resource: string;
  second: number;
}

/**
 * Wraps `render` so that a cached token's answer is rendered once per second and then reused: the
 * body differs between requests only through `expires_in`, which counts whole seconds from now
 * (Azure IMDS, azure-wire-contracts.md §1.1). Keyed by the token object, which the cache hands out
 * unchanged while it holds the entry, so a refreshed or dropped token is never answered from here.
 */
export function memoizeRenderer(render: TokenRenderer): (token: UpstreamToken, resource: string, nowMs: number) => RenderedBody {
  const memos = new WeakMap<UpstreamToken, Memo>();
  return (token, resource, nowMs) => {
    const second = Math.floor(nowMs / 1000);
    const memo = memos.get(token);
    if (memo && memo.second === second && memo.resource === resource) return memo;
    const body = render(token, resource, nowMs);
    const fresh: Memo = { body, length: Buffer.byteLength(body), resource, second };
    memos.set(token, fresh);
    return fresh;
  };
}

/** Writes a rendered token answer as a 200. */
export function sendToken(res: ServerResponse, rendered: RenderedBody): void {
  sendJson(res, 200, rendered.body, undefined, rendered.length);
}

/**
 * Writes `render(token)` as a 200 once the upstream call settles (a cache miss), or the mapped error.
 * Unexpected failures are logged without request data. Cache hits are answered by the caller
 * synchronously with {@link sendToken}, with no promise or closure on that path.
 */
export function serveLater(res: ServerResponse, pending: Promise<UpstreamToken>, render: (token: UpstreamToken) => string, logger: AgentLogger): void {
  pending.then(
    (token) => sendJson(res, 200, render(token)),
    (error: unknown) => {
      if (!isUpstreamError(error)) logger.error({ err: error instanceof Error ? error.message : String(error) }, 'token request failed');
      else if (error.code === 'Unavailable' || error.code === 'HostUnauthorized') logger.warn({ code: error.code }, 'Keyless server refused or unreachable');
      sendError(res, toWireError(error));
    },
  );
}
