/**
 * Data Lake path operations: List Paths (JSON), Create (file or directory), Append Data, Flush Data,
 * Delete (recursive for directories). `x-ms-properties` are kept as metadata, as Azure does.
 */
import type { FastifyRequest } from 'fastify';
import type { BlobService } from '../../../core/blob/blob-service.js';
import { BlobError } from '../../../core/blob/errors.js';
import { httpDate } from '../xml.js';
import { requireBlob, type BlobRequestContext } from './context.js';
import { decodeMarker, encodeMarker, maxResults, pageAfter } from './paging.js';
import { body, checkMd5, header, httpHeadersOf } from './request.js';
import { quote, sendEmpty, sendWritten } from './response.js';

export async function listPaths(blobs: BlobService, ctx: BlobRequestContext) {
  const recursiveRaw = ctx.query('recursive');
  if (recursiveRaw === undefined || !/^(true|false)$/i.test(recursiveRaw))
    throw new BlobError('InvalidQueryParameterValue', "The 'recursive' query parameter must be true or false.");
  const directory = (ctx.query('directory') ?? '').replace(/^\/+|\/+$/g, '') || undefined;
  const max = maxResults(ctx.query, 'maxResults');
  const after = decodeMarker(ctx.query('continuation'));
  const page = await blobs.listPaths(ctx.account, ctx.container!, directory, recursiveRaw.toLowerCase() === 'true', pageAfter(after, max));
  if (page.next) ctx.reply.header('x-ms-continuation', encodeMarker(page.next));
  const paths = page.items.map((b) => ({
    name: b.name,
    ...(b.resourceType === 'directory' ? { isDirectory: 'true' } : {}),
    lastModified: httpDate(b.lastModified),
    etag: quote(b.etag),
    contentLength: String(b.size),
    owner: '$superuser',
    group: '$superuser',
    permissions: b.resourceType === 'directory' ? 'rwxr-x---' : 'rw-r-----',
  }));
  return ctx.reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify({ paths }));
}

export async function createPath(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const kind = ctx.query('resource')!.toLowerCase() as 'file' | 'directory';
  const b = await blobs.createPath(
    ctx.account,
    container,
    blob.replace(/\/+$/, ''),
    kind,
    httpHeadersOf(ctx.request, 'x-ms-'),
    propertiesOf(ctx.request),
    ctx.conditions,
  );
  return sendWritten(ctx.reply, b);
}

export async function appendData(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const position = positionOf(ctx);
  const content = body(ctx.request);
  checkMd5(ctx.request, content);
  await blobs.appendData(ctx.account, container, blob, position, content);
  return sendEmpty(ctx.reply.header('x-ms-request-server-encrypted', 'true'), 202);
}

export async function flushData(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const current = await blobs.getBlob(ctx.account, container, blob, true);
  const b = await blobs.flushData(ctx.account, container, blob, positionOf(ctx), httpHeadersOf(ctx.request, 'x-ms-', current), ctx.conditions);
  return sendWritten(ctx.reply, b, 200);
}

export async function deletePath(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  await blobs.deletePath(ctx.account, container, blob.replace(/\/+$/, ''), (ctx.query('recursive') ?? '').toLowerCase() === 'true', ctx.conditions);
  return sendEmpty(ctx.reply, 200);
}

function positionOf(ctx: BlobRequestContext): number {
  const raw = ctx.query('position');
  const n = Number(raw);
  if (raw === undefined || !Number.isSafeInteger(n) || n < 0)
    throw new BlobError('InvalidQueryParameterValue', "The 'position' query parameter must be a whole number of bytes.");
  return n;
}

/** Data Lake `x-ms-properties`: `name=base64value,…`, kept as metadata as Azure does. */
function propertiesOf(request: FastifyRequest): Record<string, string> {
  const raw = header(request, 'x-ms-properties');
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new BlobError('InvalidHeaderValue', "x-ms-properties must be 'name=base64value' pairs.");
    out[pair.slice(0, eq).trim()] = Buffer.from(pair.slice(eq + 1).trim(), 'base64').toString('utf8');
  }
  return out;
}
