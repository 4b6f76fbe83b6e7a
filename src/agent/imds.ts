/**
 * The Azure IMDS token endpoint, `GET /metadata/identity/oauth2/token` (azure-wire-contracts.md §1.1),
 * and on the same path the Azure Arc challenge for api-version 2020-06-01 when Arc is enabled (§1.3).
 * Checks run in the order IMDS applies them: the Metadata header first (so the SDK probe, which has
 * neither header nor query, gets IMDS's 400), then api-version, the identity and the resource.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import { ARC_API_VERSION, type ArcChallenge } from './arc-challenge.js';
import type { AgentLogger } from './logger.js';
import { isWireError, parseQuery, readResource, readSelector, type SelectorParams } from './query.js';
import { memoizeRenderer, sendToken, serveLater } from './serve-token.js';
import { headerValue } from './raw-headers.js';
import type { TokenCache } from './token-cache.js';
import type { UpstreamToken } from './upstream.js';
import { arcEcho, imdsTokenBody, invalidRequest, sendError, type WireError } from './wire.js';

export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token';

/** IMDS and Arc name the resource-id selector `msi_res_id`; MSAL Java notes IMDS also takes `mi_res_id`. */
const IMDS_SELECTORS: SelectorParams = { client_id: 'clientId', object_id: 'objectId', msi_res_id: 'resourceId', mi_res_id: 'resourceId' };

const METADATA_REQUIRED = invalidRequest('Required metadata header not specified');
const API_VERSION = /^(\d{4}-\d{2}-\d{2})(-preview)?$/;
/** The first api-version of the identity endpoint; docs: "2018-02-01 or greater". */
const FIRST_API_VERSION = '2018-02-01';

const DAY_MS = 86_400_000;
let dayStart = 0;
let dayText = '';

/** `YYYY-MM-DD` of `nowMs` in UTC, formatted once per day (this runs on every request). */
function utcDate(nowMs: number): string {
  if (nowMs < dayStart || nowMs >= dayStart + DAY_MS) {
    dayStart = nowMs - (nowMs % DAY_MS);
    dayText = new Date(dayStart).toISOString().slice(0, 10);
  }
  return dayText;
}

/**
 * An api-version error, or undefined when IMDS accepts the version. Azure keeps a list of released
 * versions; rather than a list that would go stale, any date from 2018-02-01 up to today is accepted
 * (a version dated in the future cannot exist).
 */
export function checkImdsApiVersion(version: string | undefined, nowMs: number): WireError | undefined {
  if (version === undefined || version === '') return invalidRequest('Required api-version parameter not specified');
  const match = API_VERSION.exec(version);
  if (!match || match[1]! < FIRST_API_VERSION || match[1]! > utcDate(nowMs)) {
    return invalidRequest(`Invalid api-version '${version.slice(0, 40)}'. The identity endpoint accepts ${FIRST_API_VERSION} or later`);
  }
  return undefined;
}

export interface ImdsHandlerOptions {
  cache: TokenCache;
  clock: Clock;
  logger: AgentLogger;
  /** Present when the Arc style is enabled and its key directory is writable. */
  arc: ArcChallenge | undefined;
}

export function createImdsHandler(options: ImdsHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { cache, clock, logger, arc } = options;
  const imdsBody = (token: UpstreamToken, resource: string, nowMs: number) => imdsTokenBody(token, resource, nowMs);
  const arcBody = (token: UpstreamToken, resource: string, nowMs: number) => imdsTokenBody(token, resource, nowMs, arcEcho(token));
  const renderImds = memoizeRenderer(imdsBody);
  const renderArc = memoizeRenderer(arcBody);
  return (req, res) => {
    const metadata = headerValue(req.rawHeaders, 'metadata');
    if (metadata === undefined || metadata.toLowerCase() !== 'true') return sendError(res, METADATA_REQUIRED);
    const params = parseQuery(req.url ?? '');
    if (isWireError(params)) return sendError(res, params);
    const version = params.get('api-version');
    const badVersion = checkImdsApiVersion(version, clock.now());
    if (badVersion) return sendError(res, badVersion);
    const selector = readSelector(params, IMDS_SELECTORS);
    if (isWireError(selector)) return sendError(res, selector);
    const resource = readResource(params);
    if (isWireError(resource)) return sendError(res, resource);
    const isArc = arc !== undefined && version === ARC_API_VERSION;
    if (isArc && !arc.verify(req.headers.authorization)) {
      // No secret yet: the challenge. A wrong or spent secret: refused, as himds does.
      if (req.headers.authorization === undefined) {
        arc.challenge().then(
          (answer) => sendError(res, answer),
          () => sendError(res, { status: 500, error: 'unknown', description: 'Could not create the challenge key file' }),
        );
        return;
      }
      return sendError(res, { status: 401, error: 'invalid_client', description: 'The Basic secret does not match a live challenge' });
    }
    const result = cache.acquire(selector, resource);
    if (result instanceof Promise) {
      const body = isArc ? arcBody : imdsBody;
      return serveLater(res, result, (token) => body(token, resource, clock.now()), logger);
    }
    sendToken(res, (isArc ? renderArc : renderImds)(result, resource, clock.now()));
  };
}
