/**
 * Calls to the ARM API as az makes them: bearer token of the signed-in principal, one api-version per
 * resource type, ARM's error envelope turned into a {@link ServiceError}, `nextLink` paging, and
 * long-running operations polled through `Azure-AsyncOperation` (else `Location`) honouring
 * `Retry-After`, with az's `- Running ..` progress line on a terminal.
 */
import type { ArmErrorBody } from '../../contract/arm.js';
import { API_VERSIONS, type ApiVersionKey } from './api-versions.js';
import { ServiceError } from './errors.js';
import type { Profile } from './profile.js';
import { startProgress } from './progress.js';
import { getToken } from './tokens.js';
import { send, useCa, type HttpResponse } from './transport.js';

export type Method = 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'POST';

export interface ArmRequest {
  /** api-version by resource type (see api-versions.ts) or a literal version. */
  apiVersion: ApiVersionKey | (string & {});
  body?: unknown;
  /** Extra query parameters, e.g. `$filter`. */
  query?: Record<string, string | undefined>;
  /** Statuses that are not errors although >= 400 (e.g. 404 for `group exists`). */
  allow?: number[];
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'cancelled']);

/** ARM's error body → ServiceError (falls back to the HTTP status when the body is not ARM's). */
export function toServiceError(res: HttpResponse): ServiceError {
  const error = (res.json as Partial<ArmErrorBody> | undefined)?.error;
  if (error && typeof error.code === 'string') return new ServiceError(error.code, String(error.message ?? ''), res.status, error.target);
  return new ServiceError(`HTTP${res.status}`, res.text.slice(0, 500) || `Operation returned an invalid status code ${res.status}`, res.status);
}

export class ArmClient {
  constructor(
    private readonly profile: Profile,
    readonly subscriptionId: string,
  ) {
    useCa(profile.server.caFile);
  }

  /** The server's ARM origin. */
  get endpoint(): string {
    return this.profile.server.armEndpoint;
  }

  private url(path: string, req: Pick<ArmRequest, 'apiVersion' | 'query'>): URL {
    const url = new URL(path, this.endpoint);
    const version = (API_VERSIONS as Record<string, string>)[req.apiVersion] ?? req.apiVersion;
    url.searchParams.set('api-version', version);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  /** One authenticated call to an absolute URL (paging links, operation status URLs). */
  async sendUrl(method: Method, url: URL, body?: unknown): Promise<HttpResponse> {
    const token = await getToken(this.profile);
    const headers: Record<string, string> = { authorization: `Bearer ${token.accessToken}` };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    return send({ method, url, headers, ...(payload === undefined ? {} : { body: payload }) });
  }

  /** One call; >= 400 (unless allowed) throws the ARM error. */
  async call(method: Method, path: string, req: ArmRequest): Promise<HttpResponse> {
    const res = await this.sendUrl(method, this.url(path, req), req.body);
    if (res.status >= 400 && !req.allow?.includes(res.status)) throw toServiceError(res);
    return res;
  }

  async get<T = unknown>(path: string, req: ArmRequest): Promise<T> {
    return (await this.call('GET', path, req)).json as T;
  }

  /** Every item of a collection, following `nextLink`. */
  async list<T = unknown>(path: string, req: ArmRequest): Promise<T[]> {
    const items: T[] = [];
    let res = await this.call('GET', path, req);
    for (;;) {
      const page = res.json as { value?: T[]; nextLink?: string } | undefined;
      items.push(...(page?.value ?? []));
      if (!page?.nextLink) return items;
      res = await this.sendUrl('GET', new URL(page.nextLink, this.endpoint));
      if (res.status >= 400) throw toServiceError(res);
    }
  }

  /**
   * A call that may start a long-running operation. With `noWait` the 201/202 answer is returned as
   * is (az prints nothing); otherwise polls to the end and returns the final resource (PUT/PATCH: a
   * GET of `path`; DELETE: undefined; POST: the `Location` result).
   */
  async lro<T = unknown>(method: Method, path: string, req: ArmRequest & { noWait?: boolean }): Promise<T | undefined> {
    const first = await this.call(method, path, req);
    const asyncUrl = header(first, 'azure-asyncoperation');
    const location = header(first, 'location');
    if (req.noWait || (first.status !== 202 && !(first.status === 201 && asyncUrl))) return first.json as T | undefined;
    const progress = startProgress();
    try {
      if (asyncUrl) {
        let res = first;
        for (;;) {
          await sleep(retryAfterMs(res));
          res = await this.sendUrl('GET', new URL(asyncUrl, this.endpoint));
          if (res.status >= 400) throw toServiceError(res);
          const status = String((res.json as { status?: unknown } | undefined)?.status ?? '').toLowerCase();
          if (!TERMINAL.has(status)) continue;
          if (status !== 'succeeded')
            throw toServiceError({
              ...res,
              status: res.status,
              json: { error: (res.json as { error?: unknown }).error ?? { code: 'OperationFailed', message: `The operation ended as ${status}.` } },
            });
          break;
        }
        if (method === 'DELETE') return undefined;
        if (method === 'POST' && location) return (await this.sendUrl('GET', new URL(location, this.endpoint))).json as T;
        return this.get<T>(path, req);
      }
      if (location) {
        let res = first;
        do {
          await sleep(retryAfterMs(res));
          res = await this.sendUrl('GET', new URL(location, this.endpoint));
        } while (res.status === 202);
        if (res.status >= 400) throw toServiceError(res);
        if (method === 'PUT' || method === 'PATCH') return this.get<T>(path, req);
        return res.json as T | undefined;
      }
      return first.json as T | undefined;
    } finally {
      progress.stop();
    }
  }
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `Retry-After` in seconds (ARM sends seconds), bounded to 0.2–10 s; 1 s when absent. */
function retryAfterMs(res: HttpResponse): number {
  const raw = Number(header(res, 'retry-after'));
  const seconds = Number.isFinite(raw) ? raw : 1;
  return Math.min(10_000, Math.max(200, seconds * 1000));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
