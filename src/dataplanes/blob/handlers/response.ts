/**
 * Writing a Blob / Data Lake answer: a container's or blob's properties as headers, an empty answer,
 * a write's answer (new ETag and Last-Modified), XML bodies.
 */
import type { FastifyReply } from 'fastify';
import type { BlobRecord, ContainerRecord } from '../../../core/blob/model.js';
import { el, httpDate } from '../xml.js';

/** An ETag as the wire carries it (quoted). */
export const quote = (etag: string) => `"${etag}"`;

export function sendXml(reply: FastifyReply, status: number, xml: string) {
  return reply.code(status).type('application/xml').send(xml);
}

/** An answer without a body. */
export function sendEmpty(reply: FastifyReply, status: number) {
  return reply.code(status).header('content-length', '0').send();
}

/** `ETag` and `Last-Modified` of a container or blob. */
export function versionHeaders(reply: FastifyReply, record: { etag: string; lastModified: string }): FastifyReply {
  return reply.header('etag', quote(record.etag)).header('last-modified', httpDate(record.lastModified));
}

/** A write's answer: the new ETag and Last-Modified, encrypted at rest, no body. */
export function sendWritten(reply: FastifyReply, record: { etag: string; lastModified: string }, status = 201) {
  return sendEmpty(versionHeaders(reply, record).header('x-ms-request-server-encrypted', 'true'), status);
}

/** `<Metadata>` of a listing entry. */
export function metadataXml(metadata: Record<string, string>): string {
  return `<Metadata>${Object.entries(metadata)
    .map(([k, v]) => el(k, v))
    .join('')}</Metadata>`;
}

function writeMetadataHeaders(reply: FastifyReply, metadata: Record<string, string>): void {
  for (const [k, v] of Object.entries(metadata)) reply.header(`x-ms-meta-${k}`, v);
}

/** Get Blob / Get Blob Properties headers (block blobs, Hot tier, no lease). */
export function blobHeaders(reply: FastifyReply, b: BlobRecord): void {
  versionHeaders(reply, b)
    .header('x-ms-creation-time', httpDate(b.createdAt))
    .header('x-ms-blob-type', 'BlockBlob')
    .header('accept-ranges', 'bytes')
    .header('x-ms-server-encrypted', 'true')
    .header('x-ms-lease-status', 'unlocked')
    .header('x-ms-lease-state', 'available')
    .header('x-ms-access-tier', 'Hot')
    .header('x-ms-access-tier-inferred', 'true');
  if (b.contentEncoding) reply.header('content-encoding', b.contentEncoding);
  if (b.contentLanguage) reply.header('content-language', b.contentLanguage);
  if (b.contentDisposition) reply.header('content-disposition', b.contentDisposition);
  if (b.cacheControl) reply.header('cache-control', b.cacheControl);
  writeMetadataHeaders(reply, b.metadata);
}

/** Get Container Properties headers (no lease, no immutability, the account's encryption key). */
export function containerHeaders(reply: FastifyReply, c: ContainerRecord): void {
  versionHeaders(reply, c)
    .header('x-ms-lease-status', 'unlocked')
    .header('x-ms-lease-state', 'available')
    .header('x-ms-has-immutability-policy', 'false')
    .header('x-ms-has-legal-hold', 'false')
    .header('x-ms-default-encryption-scope', '$account-encryption-key')
    .header('x-ms-deny-encryption-scope-override', 'false');
  writeMetadataHeaders(reply, c.metadata);
}
