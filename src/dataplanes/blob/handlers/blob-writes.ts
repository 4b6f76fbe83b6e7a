/**
 * Block blob writes: Put Blob, Put Block, Put Block List, Get Block List, Set Blob Properties,
 * Set Blob Metadata, Delete Blob.
 */
import type { BlobService } from '../../../core/blob/blob-service.js';
import { BlobError } from '../../../core/blob/errors.js';
import { el, parseBlockList, XML_HEAD } from '../xml.js';
import { requireBlob, type BlobRequestContext } from './context.js';
import { body, checkMd5, header, httpHeadersOf, metadataOf } from './request.js';
import { sendEmpty, sendWritten, sendXml, versionHeaders } from './response.js';

export async function putBlob(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const request = ctx.request;
  const type = header(request, 'x-ms-blob-type');
  if (type !== 'BlockBlob')
    throw new BlobError(
      type === undefined ? 'MissingRequiredHeader' : 'UnsupportedOperation',
      type === undefined ? "Put Blob needs 'x-ms-blob-type: BlockBlob'." : `Keyless stores block blobs only, not '${type.slice(0, 40)}'.`,
    );
  const content = body(request);
  const md5 = checkMd5(request, content);
  const headers = {
    ...httpHeadersOf(request, 'x-ms-blob-'),
    contentType: header(request, 'x-ms-blob-content-type') ?? header(request, 'content-type') ?? null,
    contentMd5: header(request, 'x-ms-blob-content-md5') ?? md5,
  };
  const b = await blobs.putBlob(ctx.account, container, blob, content, headers, metadataOf(request), ctx.conditions);
  ctx.reply.header('content-md5', md5);
  return sendWritten(ctx.reply, b);
}

export async function putBlock(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const content = body(ctx.request);
  const md5 = checkMd5(ctx.request, content);
  await blobs.putBlock(ctx.account, container, blob, ctx.query('blockid') ?? '', content);
  return sendEmpty(ctx.reply.header('content-md5', md5).header('x-ms-request-server-encrypted', 'true'), 201);
}

export async function putBlockList(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const list = parseBlockList(body(ctx.request).toString('utf8'));
  const b = await blobs.putBlockList(ctx.account, container, blob, list, httpHeadersOf(ctx.request, 'x-ms-blob-'), metadataOf(ctx.request), ctx.conditions);
  return sendWritten(ctx.reply, b);
}

export async function getBlockList(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const which = (ctx.query('blocklisttype') ?? 'committed').toLowerCase();
  if (!['committed', 'uncommitted', 'all'].includes(which))
    throw new BlobError('InvalidQueryParameterValue', 'blocklisttype must be committed, uncommitted or all.');
  const r = await blobs.getBlockList(ctx.account, container, blob, which as 'committed');
  const blocks = (list: { id: string; size: number }[]) => list.map((x) => `<Block>${el('Name', x.id)}${el('Size', x.size)}</Block>`).join('');
  if (r.blob) versionHeaders(ctx.reply, r.blob).header('x-ms-blob-content-length', String(r.blob.size));
  return sendXml(
    ctx.reply,
    200,
    `${XML_HEAD}<BlockList><CommittedBlocks>${blocks(r.committed)}</CommittedBlocks><UncommittedBlocks>${blocks(r.uncommitted)}</UncommittedBlocks></BlockList>`,
  );
}

export async function setBlobProperties(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const current = await blobs.getBlob(ctx.account, container, blob);
  const b = await blobs.setBlobProperties(ctx.account, container, blob, { headers: httpHeadersOf(ctx.request, 'x-ms-blob-', current) }, ctx.conditions);
  return sendEmpty(versionHeaders(ctx.reply, b), 200);
}

export async function setBlobMetadata(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  const b = await blobs.setBlobProperties(ctx.account, container, blob, { metadata: metadataOf(ctx.request) }, ctx.conditions);
  return sendWritten(ctx.reply, b, 200);
}

export async function deleteBlob(blobs: BlobService, ctx: BlobRequestContext) {
  const { container, blob } = requireBlob(ctx);
  await blobs.deleteBlob(ctx.account, container, blob, ctx.conditions);
  return sendEmpty(ctx.reply.header('x-ms-delete-type-permanent', 'true'), 202);
}
