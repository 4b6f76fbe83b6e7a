/**
 * Get Blob (whole or a range, 206 with `Content-Range`) and Get Blob / Path Properties (HEAD: the
 * headers only, 304 when the conditions say not modified).
 */
import { evaluateConditions, type BlobService } from '../../../core/blob/blob-service.js';
import { requireBlob, type BlobRequestContext } from './context.js';
import { header, md5Of, rangeOf } from './request.js';
import { blobHeaders } from './response.js';

export async function getBlobProperties(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const reply = ctx.reply;
  const b = await blobs.getBlob(ctx.account, container, blob, ctx.operation.dfs);
  if (evaluateConditions(b, ctx.conditions, true) === 'not-modified') return reply.code(304).send();
  blobHeaders(reply, b);
  if (b.contentMd5) reply.header('content-md5', b.contentMd5);
  if (ctx.operation.dfs) reply.header('x-ms-resource-type', b.resourceType);
  if (b.resourceType === 'directory') reply.header('x-ms-meta-hdi_isfolder', 'true');
  return reply
    .code(200)
    .header('content-type', b.contentType ?? 'application/octet-stream')
    .header('content-length', String(b.size))
    .send();
}

export async function getBlob(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const reply = ctx.reply;
  const range = rangeOf(ctx.request);
  const result = await blobs.readBlob(ctx.account, container, blob, range, ctx.conditions);
  if (result.notModified) return reply.code(304).send();
  const b = result.blob;
  blobHeaders(reply, b);
  reply.header('content-type', b.contentType ?? 'application/octet-stream');
  if (result.range) {
    reply.code(206).header('content-range', `bytes ${result.range.offset}-${result.range.offset + result.range.count - 1}/${b.size}`);
    if (b.contentMd5) reply.header('x-ms-blob-content-md5', b.contentMd5);
    if (header(ctx.request, 'x-ms-range-get-content-md5') === 'true') reply.header('content-md5', md5Of(result.content));
  } else {
    reply.code(200);
    if (b.contentMd5) reply.header('content-md5', b.contentMd5);
  }
  return reply.send(result.content);
}
