/**
 * The host agent: one plain-http listener on loopback (as Azure's IMDS is plain http) serving the
 * IMDS, App Service and (optionally) Azure Arc styles over one token cache and one watched identity
 * set. Built on node:http because the cached-token path is benchmarked against a bare node:http
 * server: the hot path is header checks, a query parse, two map lookups and a body rendered at most once a second.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock } from '../core/clock.js';
import { createAppServiceHandler, APP_SERVICE_TOKEN_PATH } from './app-service.js';
import { createArcChallenge, DEFAULT_ARC_KEY_DIR, type ArcChallenge } from './arc-challenge.js';
import { answerClientError } from '../http/limits.js';
import { createIdentitySet } from './identity-set.js';
import { createImdsHandler, IMDS_TOKEN_PATH } from './imds.js';
import { createMsiExtensionHandler, MSI_EXTENSION_TOKEN_PATH } from './msi-extension.js';
import { silentLogger, type AgentLogger } from './logger.js';
import type { AgentEndpoint, AgentMetrics } from './metrics.js';
import { pathOf } from './query.js';
import { hasAnyHeader } from './raw-headers.js';
import { createTokenCache } from './token-cache.js';
import type { AgentUpstream } from './upstream.js';
import { invalidRequest, sendError } from './wire.js';

export interface AgentOptions {
  upstream: AgentUpstream;
  /** Listen address. Default 127.0.0.1: the endpoints carry no caller authentication beyond locality. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** The App Service style secret (`IDENTITY_HEADER`); default 32 random bytes, base64url. */
  identityHeaderSecret?: string;
  /** Enables the Azure Arc challenge (api-version 2020-06-01 on the IMDS path). Default false. */
  arc?: boolean;
  /** Where Arc key files go; default `/var/opt/azcmagent/tokens`, the only path the SDKs accept. */
  arcKeyDir?: string;
  /** How long `start()` waits for the first identity set before listening anyway. Default 5 s. */
  readyTimeoutMs?: number;
  clock?: Clock;
  logger?: AgentLogger;
  /** Counts requests and token cache lookups (src/agent/metrics.ts); absent = nothing counted. */
  metrics?: AgentMetrics;
}

/** The variables a local process sets to use the agent (printed by `keyless agent`). */
export interface AgentEnv {
  AZURE_POD_IDENTITY_AUTHORITY_HOST: string;
  IDENTITY_ENDPOINT: string;
  IDENTITY_HEADER: string;
  /** The legacy VM-extension protocol (POST form): what az 2.45's `az login --identity` uses. */
  MSI_ENDPOINT: string;
}

export interface Agent {
  start(): Promise<{ port: number; arc: boolean }>;
  stop(): Promise<void>;
  /** IMDS style (first variable) and App Service style (the other two); valid after `start()`. */
  env(): AgentEnv;
  /** For Arc-style clients: `IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`; undefined when Arc is off. */
  arcEnv(): { IDENTITY_ENDPOINT: string; IMDS_ENDPOINT: string } | undefined;
}

// Azure's IMDS refuses proxied requests so that an SSRF through a local proxy cannot reach it.
const FORWARDED = invalidRequest('Requests with an X-Forwarded-For or Forwarded header are not accepted');
const PROXY_HEADERS = ['x-forwarded-for', 'forwarded'];
/** Local clients send their headers at once; a connection still sending them after this is closed. */
const HEADERS_TIMEOUT_MS = 60_000;

/** Answers a request node hands over as a raw socket (CONNECT) with IMDS's JSON error, then closes. */
function refuseRawSocket(status: number, reason: string, description: string): (req: IncomingMessage, socket: Duplex) => void {
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  const answer = `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  return (_req, socket) => {
    socket.on('error', () => undefined);
    // Node pauses the socket before handing it over: drain it so the client's end closes it, and close it regardless later.
    socket.resume();
    setTimeout(() => socket.destroy(), 5000).unref();
    socket.end(answer);
  };
}

export function createAgent(options: AgentOptions): Agent {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const secret = options.identityHeaderSecret ?? randomBytes(32).toString('base64url');
  const identities = createIdentitySet({ upstream: options.upstream, logger });
  const tokenCache = createTokenCache({ upstream: options.upstream, identities, clock, logger });
  const cache = options.metrics ? options.metrics.countCache(tokenCache) : tokenCache;
  const appService = createAppServiceHandler({ cache, logger, secret });
  let imds: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const msiExtension = createMsiExtensionHandler({ cache, clock, logger });
  let arc: ArcChallenge | undefined;
  let server: Server | undefined;
  let base = '';

  function route(req: IncomingMessage, res: ServerResponse): void {
    if (hasAnyHeader(req.rawHeaders, PROXY_HEADERS)) return sendError(res, FORWARDED);
    const path = pathOf(req.url ?? '/');
    if (path === MSI_EXTENSION_TOKEN_PATH) {
      if (req.method !== 'POST')
        return sendError(res, { status: 405, error: 'invalid_request', description: 'Only POST is allowed', headers: { allow: 'POST' } });
      return msiExtension(req, res);
    }
    const handler = path === IMDS_TOKEN_PATH ? imds : path === APP_SERVICE_TOKEN_PATH ? appService : undefined;
    if (!handler) return sendError(res, { status: 404, error: 'not_found', description: 'No such endpoint on the Keyless agent' });
    if (req.method !== 'GET') return sendError(res, { status: 405, error: 'invalid_request', description: 'Only GET is allowed', headers: { allow: 'GET' } });
    handler(req, res);
  }

  return {
    async start() {
      identities.start();
      const timeout = new Promise<'timeout'>((done) => setTimeout(done, options.readyTimeoutMs ?? 5000, 'timeout').unref());
      if ((await Promise.race([identities.ready(), timeout])) === 'timeout') logger.warn({}, 'no identity set from the Keyless server yet; serving anyway');
      if (options.arc) arc = await createArcChallenge({ keyDir: options.arcKeyDir ?? DEFAULT_ARC_KEY_DIR, clock, logger });
      imds = createImdsHandler({ cache, clock, logger, arc });
      // Timeouts are checked every second (node's default, 30 s, lets a stalled client hold a socket 90 s).
      server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
        if (options.metrics) options.metrics.observe(endpointOf(req.url ?? '/'), req, res);
        try {
          route(req, res);
        } catch (error) {
          logger.error({ err: (error as Error).message }, 'agent request failed');
          if (!res.headersSent) sendError(res, { status: 500, error: 'unknown', description: 'Internal error in the Keyless agent' });
        }
      });
      // A query or headers over node's 16 KiB limit (431), or headers too slow (408): IMDS's JSON error
      // body rather than node's empty answer, so SDKs show the reason.
      server.on(
        'clientError',
        answerClientError((_status, message) => ({ error: 'invalid_request', error_description: message })),
      );
      server.headersTimeout = HEADERS_TIMEOUT_MS;
      // CONNECT is handed over as a raw socket, and closed without a word when nothing listens: IMDS's
      // JSON error instead (found by test/fuzz/agent-endpoints.fuzz.test.ts). Upgrade requests need no
      // listener: unheard, node serves them as plain HTTP/1.1 (as `curl --http2` on http:// expects).
      // An `Expect` other than 100-continue: node answers 417 with no body unless someone listens.
      server.on('checkExpectation', (_req, res: ServerResponse) =>
        sendError(res, { status: 417, error: 'invalid_request', description: 'Only the 100-continue expectation is supported' }),
      );
      server.on('connect', refuseRawSocket(405, 'Method Not Allowed', 'CONNECT is not supported by the Keyless agent'));
      const listening = server;
      await new Promise<void>((done, fail) => {
        listening.once('error', fail);
        listening.listen(options.port ?? 0, host, () => done());
      });
      const { port } = listening.address() as AddressInfo;
      const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      base = `http://${urlHost}:${port}`;
      logger.info({ port, arc: arc !== undefined }, 'agent listening');
      return { port, arc: arc !== undefined };
    },
    async stop() {
      const listening = server;
      server = undefined;
      if (listening) {
        const closed = new Promise<void>((done) => listening.close(() => done()));
        listening.closeAllConnections();
        await closed;
      }
      await identities.stop();
      await arc?.close();
    },
    env() {
      if (!base) throw new Error('The agent is not started');
      return {
        AZURE_POD_IDENTITY_AUTHORITY_HOST: base,
        IDENTITY_ENDPOINT: `${base}${APP_SERVICE_TOKEN_PATH}`,
        IDENTITY_HEADER: secret,
        MSI_ENDPOINT: `${base}${MSI_EXTENSION_TOKEN_PATH}`,
      };
    },
    arcEnv() {
      if (!base || !arc) return undefined;
      return { IDENTITY_ENDPOINT: `${base}${IMDS_TOKEN_PATH}`, IMDS_ENDPOINT: base };
    },
  };
}

function endpointOf(url: string): AgentEndpoint {
  const path = pathOf(url);
  return path === IMDS_TOKEN_PATH ? 'imds' : path === APP_SERVICE_TOKEN_PATH ? 'app-service' : path === MSI_EXTENSION_TOKEN_PATH ? 'msi-extension' : 'other';
}
