/** Container (and Data Lake file system) operations: create, get properties, set metadata, delete. */
import type { BlobService } from '../../../core/blob/blob-service.js';
import type { BlobRequestContext } from './context.js';
import { metadataOf } from './request.js';
import { containerHeaders, sendEmpty, sendWritten, versionHeaders } from './response.js';

export async function createContainer(blobs: BlobService, ctx: BlobRequestContext) {
  const c = await blobs.createContainer(ctx.account, ctx.container!, metadataOf(ctx.request), ctx.operation.dfs);
  return sendWritten(ctx.reply, c);
}

export async function getContainerProperties(blobs: BlobService, ctx: BlobRequestContext) {
  const c = await blobs.getContainer(ctx.account, ctx.container!, ctx.operation.dfs);
  containerHeaders(ctx.reply, c);
  return sendEmpty(ctx.reply, 200);
}

export async function setContainerMetadata(blobs: BlobService, ctx: BlobRequestContext) {
  const c = await blobs.setContainerMetadata(ctx.account, ctx.container!, metadataOf(ctx.request));
  return sendEmpty(versionHeaders(ctx.reply, c), 200);
}

export async function deleteContainer(blobs: BlobService, ctx: BlobRequestContext) {
  await blobs.deleteContainer(ctx.account, ctx.container!, ctx.conditions, ctx.operation.dfs);
  return sendEmpty(ctx.reply, 202);
}
