/**
 * Connection-level limits of the HTTPS listener, and the two behaviours that make refusals reach
 * real clients (docs/adr/0010-reliability.md):
 *
 * - A response that is ready while the request body is still arriving (a 413, or a 401 decided from
 *   the headers alone) waits until the rest of the body has been read and thrown away, up to a bound.
 *   Answering at once and closing would leave unread bytes in the kernel's receive buffer; closing a
 *   socket with unread data sends a TCP reset, and a client still writing its body then sees
 *   EPIPE/ECONNRESET instead of the answer (Azure SDKs report a transport error, not
 *   `RequestEntityTooLarge`).
 * - Requests whose headers have not arrived within `headersTimeoutMs` (slow-loris) are closed with a
 *   408, checked every second rather than node's default 30 s; idle keep-alive sockets are closed after
 *   `keepAliveTimeoutMs`; a whole request must arrive within `requestTimeoutMs`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  /** Request bodies above this are refused with 413 (ARM's own limit is 4 MiB). */
  bodyLimitBytes: number;
  /** A request whose headers are not complete within this is closed with 408 (node's `headersTimeout`). */
  headersTimeoutMs: number;
  /** A request (headers and body) not received within this is closed with 408 (node's `requestTimeout`). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (node's `keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
  /**
   * How much of a refused body is read and discarded before answering. Beyond it the answer is sent
   * and the connection closed at once (a client sending that much after a refusal is not an SDK).
   */
  drainLimitBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  bodyLimitBytes: 4 * 1024 * 1024,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 75_000,
  drainLimitBytes: 64 * 1024 * 1024,
};

/** How often node checks headers and request timeouts (its default, 30 s, lets a slow-loris live 90 s). */
export const CONNECTION_CHECK_INTERVAL_MS = 1000;

/**
 * Registers, on the root instance (so every surface inherits it), the hook that finishes reading a
 * request body before its response is sent. Must be called before the surfaces are registered.
 */
export function drainBodiesBeforeAnswering(app: FastifyInstance, limits: Pick<HttpLimits, 'drainLimitBytes'>): void {
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
    const raw = request.raw;
    if (raw.complete || raw.readableEnded || raw.destroyed) return done(null, payload);
    drain(raw, limits.drainLimitBytes, (overflowed) => {
      if (overflowed) {
        // Give up on the rest: answer, then close the connection once the answer is out.
        reply.header('connection', 'close');
        reply.raw.once('finish', () => raw.socket?.destroy());
      }
      done(null, payload);
    });
  });
}

/** Reads and discards what remains of `raw`, then calls `finished(overflowed)` exactly once. */
function drain(raw: IncomingMessage, limit: number, finished: (overflowed: boolean) => void): void {
  let seen = 0;
  let called = false;
  const finish = (overflowed: boolean) => {
    if (called) return;
    called = true;
    raw.removeListener('data', onData);
    raw.removeListener('end', onEnd);
    raw.removeListener('close', onEnd);
    raw.removeListener('error', onEnd);
    if (overflowed) raw.pause();
    finished(overflowed);
  };
  const onData = (chunk: Buffer | string) => {
    seen += chunk.length;
    if (seen > limit) finish(true);
  };
  const onEnd = () => finish(false);
  raw.on('data', onData);
  raw.once('end', onEnd);
  raw.once('close', onEnd);
  raw.once('error', onEnd);
  raw.resume();
}

/** A JSON error body for failures node raises before any request object exists (`clientError`). */
export type ClientErrorBody = (status: number, message: string) => unknown;

/** What node's parser failures mean, in words a person understands. */
function describeClientError(error: NodeJS.ErrnoException): { status: number; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'The request headers (including the URL) are too large.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request was not received in time; the connection is closed.' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
    case 'HPE_INVALID_CHUNK_SIZE':
      return { status: 400, message: 'The request body is not valid chunked encoding.' };
    default:
      return { status: 400, message: 'The request is not valid HTTP/1.1.' };
  }
}

/**
 * A `clientError` listener (node:http and Fastify's `clientErrorHandler`): answers with a JSON body in
 * the surface's shape and closes the connection. Resets and already-closed sockets are left alone.
 */
export function answerClientError(body: ClientErrorBody): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, message } = describeClientError(error);
    const text = JSON.stringify(body(status, message));
    const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    // Node may already have written part of a response on this socket (a timeout mid-response).
    const bytesWritten = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (bytesWritten) {
      socket.destroy();
      return;
    }
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  };
}
