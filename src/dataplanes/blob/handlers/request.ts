/**
 * Reading a Blob / Data Lake request: headers, body, metadata (`x-ms-meta-*`), blob HTTP headers,
 * ranges, and the body's MD5 checked against `Content-MD5`.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { emptyHeaders } from '../../../core/blob/blob-service.js';
import { BlobError } from '../../../core/blob/errors.js';
import type { BlobHttpHeaders } from '../../../core/blob/model.js';

/** A request header's value; absent and empty are both undefined. */
export function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function body(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

/** `x-ms-meta-*` request headers as metadata. */
export function metadataOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith('x-ms-meta-') && typeof value === 'string') out[name.slice('x-ms-meta-'.length)] = value;
  }
  return out;
}

/**
 * Blob HTTP headers from `x-ms-blob-content-*` (Put Block List, Set Properties, flush: `x-ms-content-*`)
 * or the plain ones (Put Blob): a header not sent keeps `fallback`'s value (with the plain ones, null).
 */
export function httpHeadersOf(request: FastifyRequest, prefix: 'x-ms-blob-' | 'x-ms-' | '', fallback: BlobHttpHeaders = emptyHeaders()): BlobHttpHeaders {
  const pick = (name: string, key: keyof BlobHttpHeaders) => header(request, `${prefix}${name}`) ?? (prefix === '' ? null : fallback[key]);
  return {
    contentType: pick('content-type', 'contentType'),
    contentEncoding: pick('content-encoding', 'contentEncoding'),
    contentLanguage: pick('content-language', 'contentLanguage'),
    contentDisposition: pick('content-disposition', 'contentDisposition'),
    cacheControl: pick('cache-control', 'cacheControl'),
    contentMd5: pick('content-md5', 'contentMd5'),
  };
}

/** `bytes=a-b` / `bytes=a-` from `x-ms-range` or `Range`. */
export function rangeOf(request: FastifyRequest): { start: number; end?: number } | undefined {
  const raw = header(request, 'x-ms-range') ?? header(request, 'range');
  if (!raw) return undefined;
  const m = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(raw.trim());
  if (!m) throw new BlobError('InvalidHeaderValue', `The range '${raw.slice(0, 60)}' is not 'bytes=start-end'.`);
  const start = Number(m[1]);
  return m[2] === '' ? { start } : { start, end: Number(m[2]) };
}

export function md5Of(content: Buffer): string {
  return createHash('md5').update(content).digest('base64');
}

/** The body's MD5 (base64), refused with `Md5Mismatch` when the client sent another. */
export function checkMd5(request: FastifyRequest, content: Buffer): string {
  const computed = md5Of(content);
  const sent = header(request, 'content-md5');
  if (sent !== undefined && sent !== computed) throw new BlobError('Md5Mismatch');
  return computed;
}
