/**
 * The agent's {@link AgentUpstream} over HTTPS to the Keyless server's agent API
 * (src/http/agent-api/), with the host key on every call and one keep-alive connection pool, trusting
 * the server's CA (from the data dir) explicitly rather than through NODE_EXTRA_CA_CERTS.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import {
  AGENT_API_PREFIX,
  DEFAULT_WATCH_MS,
  HOST_AUTH_SCHEME,
  type HostErrorCode,
  type IdentitiesResponse,
  type JoinResponse,
  type TokenResponse,
} from '../contract/agent-api.js';
import { UpstreamError, type AgentUpstream, type UpstreamErrorCode } from './upstream.js';

export interface HttpUpstreamOptions {
  /** The server's origin, e.g. `https://127.0.0.1:8443`. */
  serverUrl: string;
  /** `khk.<id>.<secret>`; never logged. */
  hostKey: string;
  /** PEM of the CA that issued the server's certificate; default: Node's trust store. */
  ca?: string;
  /** How long the server holds a watch open, ms (default 25 s). */
  watchTimeoutMs?: number;
  /** Per-request time limit for token calls, ms (default 15 s). */
  requestTimeoutMs?: number;
}

export interface HttpUpstream extends AgentUpstream {
  /** Closes pooled connections. */
  close(): void;
}

interface JsonResponse {
  status: number;
  body: unknown;
}

/** One JSON request; network failures reject with `Unavailable`. */
export function requestJson(
  url: URL,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: unknown; agent?: HttpAgent; ca?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: init.method,
        agent: init.agent,
        ...(init.ca && !init.agent ? { ca: init.ca } : {}),
        headers: {
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
          ...init.headers,
        },
        timeout: init.timeoutMs,
        signal: init.signal,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(unavailable(e)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (e) => reject(unavailable(e)));
    req.end(payload);
  });
}

function unavailable(cause: unknown): UpstreamError {
  return new UpstreamError('Unavailable', `The Keyless server could not be reached: ${(cause as Error).message ?? String(cause)}`, { cause });
}

/** The agent API's refusal codes (HostErrorCode) and what the agent makes of each; 401s are `HostUnauthorized`. */
const SERVER_CODES: Partial<Record<HostErrorCode, UpstreamErrorCode>> = {
  IdentityNotFound: 'IdentityNotFound',
  InvalidResource: 'InvalidResource',
  InvalidRequest: 'InvalidRequest',
};

/** The server's error, mapped to the agent's codes by code; 5xx and unexpected answers are `Unavailable`. */
export function toUpstreamError(response: JsonResponse): UpstreamError {
  const error = (response.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : '';
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`;
  const mapped: UpstreamErrorCode = response.status === 401 ? 'HostUnauthorized' : (SERVER_CODES[code as HostErrorCode] ?? 'Unavailable');
  return new UpstreamError(mapped, mapped === 'IdentityNotFound' ? 'Identity not found' : message);
}

/** Exchanges a one-time join token for a host key (`POST /keyless/agent/v1/join`). */
export async function exchangeJoinToken(serverUrl: string, joinToken: string, ca?: string): Promise<JoinResponse> {
  const response = await requestJson(new URL(`${AGENT_API_PREFIX}/join`, serverUrl), { method: 'POST', body: { joinToken }, ca, timeoutMs: 15_000 });
  if (response.status !== 200) throw toUpstreamError(response);
  return response.body as JoinResponse;
}

export function createHttpUpstream(options: HttpUpstreamOptions): HttpUpstream {
  const https = options.serverUrl.startsWith('https:');
  // Keep-alive: token misses and watches reuse connections instead of a TLS handshake each.
  const agent = https ? new HttpsAgent({ keepAlive: true, ca: options.ca, maxSockets: 16 }) : new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const headers = { authorization: `${HOST_AUTH_SCHEME} ${options.hostKey}` };
  const watchMs = options.watchTimeoutMs ?? DEFAULT_WATCH_MS;
  const url = (path: string) => new URL(`${AGENT_API_PREFIX}${path}`, options.serverUrl);

  return {
    async getToken({ identity, resource }) {
      const response = await requestJson(url('/token'), {
        method: 'POST',
        headers,
        agent,
        body: { identity, resource },
        timeoutMs: options.requestTimeoutMs ?? 15_000,
      });
      if (response.status !== 200) throw toUpstreamError(response);
      const t = response.body as TokenResponse;
      return {
        accessToken: t.accessToken,
        expiresOn: t.expiresOn,
        notBefore: t.notBefore,
        clientId: t.clientId,
        objectId: t.objectId,
        identityResourceId: t.identityResourceId,
      };
    },
    async watchIdentities(since, signal) {
      const query = new URLSearchParams({ timeoutMs: String(watchMs), ...(since ? { since } : {}) });
      const response = await requestJson(new URL(`${url('/identities')}?${query}`), {
        method: 'GET',
        headers,
        agent,
        timeoutMs: watchMs + 15_000,
        signal,
      });
      if (response.status !== 200) throw toUpstreamError(response);
      return response.body as IdentitiesResponse;
    },
    close() {
      agent.destroy();
    },
  };
}
