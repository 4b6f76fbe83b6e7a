/** What a Blob / Data Lake operation handler receives: the request, its reply, and what the plugin read from them. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BlobService, Conditions } from '../../../core/blob/blob-service.js';
import type { BlobOperation } from '../operations.js';

export interface BlobRequestContext {
  request: FastifyRequest;
  reply: FastifyReply;
  operation: BlobOperation;
  account: string;
  container: string | undefined;
  blob: string | undefined;
  query(name: string): string | undefined;
  conditions: Conditions | undefined;
  /** `https://…/` as ServiceEndpoint in listings. */
  serviceEndpoint: string;
}

/** One operation's handler: reads the wire, calls the blob service, answers. */
export type OperationHandler = (blobs: BlobService, ctx: BlobRequestContext) => Promise<unknown>;

/** The container and blob of a blob-level operation (the plugin's routing guarantees both). */
export function requireBlob(ctx: BlobRequestContext): { container: string; blob: string } {
  return { container: ctx.container!, blob: ctx.blob! };
}
