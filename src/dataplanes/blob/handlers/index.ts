/**
 * One handler per Blob / Data Lake operation: read the wire (headers, query, body), call the blob
 * service, answer with Azure's status, headers and body. The handlers are grouped by what they act
 * on: the account (service-operations), containers, blob listings, blob reads and writes, Data Lake paths.
 */
import type { BlobService } from '../../../core/blob/blob-service.js';
import type { BlobOperationName } from '../operations.js';
import { listBlobs } from './blob-listing.js';
import { getBlob, getBlobProperties } from './blob-reads.js';
import { deleteBlob, getBlockList, putBlob, putBlock, putBlockList, setBlobMetadata, setBlobProperties } from './blob-writes.js';
import { createContainer, deleteContainer, getContainerProperties, setContainerMetadata } from './container-operations.js';
import type { BlobRequestContext, OperationHandler } from './context.js';
import { appendData, createPath, deletePath, flushData, listPaths } from './path-operations.js';
import { getAccountInfo, listContainers } from './service-operations.js';

export type { BlobRequestContext } from './context.js';

const HANDLERS: Record<BlobOperationName, OperationHandler> = {
  ListContainers: listContainers,
  GetAccountInfo: getAccountInfo,
  CreateContainer: createContainer,
  CreateFilesystem: createContainer,
  GetContainerProperties: getContainerProperties,
  GetFilesystemProperties: getContainerProperties,
  SetContainerMetadata: setContainerMetadata,
  DeleteContainer: deleteContainer,
  DeleteFilesystem: deleteContainer,
  ListBlobs: listBlobs,
  ListPaths: listPaths,
  PutBlob: putBlob,
  PutBlock: putBlock,
  PutBlockList: putBlockList,
  GetBlockList: getBlockList,
  GetBlob: getBlob,
  GetBlobProperties: getBlobProperties,
  GetPathProperties: getBlobProperties,
  DeleteBlob: deleteBlob,
  SetBlobProperties: setBlobProperties,
  SetBlobMetadata: setBlobMetadata,
  CreatePath: createPath,
  AppendData: appendData,
  FlushData: flushData,
  DeletePath: deletePath,
};

/** Runs the operation the request was classified as. */
export async function handleOperation(blobs: BlobService, ctx: BlobRequestContext): Promise<unknown> {
  return HANDLERS[ctx.operation.name](blobs, ctx);
}
