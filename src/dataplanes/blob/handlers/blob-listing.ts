/**
 * List Blobs: names under `prefix`, folded at `delimiter` into `<BlobPrefix>` entries (each prefix
 * once: the scan skips past its names), `maxresults` entries a page, with each blob's properties.
 */
import type { BlobService } from '../../../core/blob/blob-service.js';
import type { BlobRecord } from '../../../core/blob/model.js';
import { el, escapeXml, httpDate, XML_HEAD } from '../xml.js';
import type { BlobRequestContext } from './context.js';
import { decodeMarker, encodeMarker, includes, maxResults, pageAfter } from './paging.js';
import { metadataXml, quote, sendXml } from './response.js';

type ListingItem = BlobRecord | { prefix: string };

interface ListingArgs {
  prefix: string;
  delimiter: string | undefined;
  marker: string | undefined;
  max: number;
  next: string | undefined;
  metadata: boolean;
}

export async function listBlobs(blobs: BlobService, ctx: BlobRequestContext) {
  const prefix = ctx.query('prefix') ?? '';
  const delimiter = ctx.query('delimiter') || undefined;
  const max = maxResults(ctx.query);
  const marker = ctx.query('marker');
  const metadata = includes(ctx, 'metadata');
  const { items, next } = await collectItems(blobs, ctx, { prefix, delimiter, max, after: decodeMarker(marker) });
  return sendXml(ctx.reply, 200, listBlobsXml(ctx, items, { prefix, delimiter, marker, max, next, metadata }));
}

/** Up to `max` blobs and prefixes after `after`, and the marker of the next page when there is more. */
async function collectItems(
  blobs: BlobService,
  ctx: BlobRequestContext,
  args: { prefix: string; delimiter: string | undefined; max: number; after: string | undefined },
): Promise<{ items: ListingItem[]; next: string | undefined }> {
  const { prefix, delimiter, max } = args;
  let after = args.after;
  const items: ListingItem[] = [];
  outer: for (;;) {
    const page = await blobs.listBlobs(ctx.account, ctx.container!, { prefix, ...pageAfter(after, max) });
    for (const b of page.items) {
      if (items.length === max) return { items, next: encodeMarker(after!) };
      const rest = b.name.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) {
        const p = prefix + rest.slice(0, cut + delimiter!.length);
        items.push({ prefix: p });
        // Skip every other name under this prefix.
        after = p + '\u{10FFFF}';
        continue outer;
      }
      items.push(b);
      after = b.name;
    }
    if (!page.next) return { items, next: undefined };
  }
}

function blobXml(b: BlobRecord, metadata: boolean): string {
  const props = [
    el('Creation-Time', httpDate(b.createdAt)),
    el('Last-Modified', httpDate(b.lastModified)),
    el('Etag', quote(b.etag)),
    el('Content-Length', b.size),
    el('Content-Type', b.contentType ?? 'application/octet-stream'),
    el('Content-Encoding', b.contentEncoding),
    el('Content-Language', b.contentLanguage),
    el('Content-CRC64', ''),
    el('Content-MD5', b.contentMd5),
    el('Cache-Control', b.cacheControl),
    el('Content-Disposition', b.contentDisposition),
    el('BlobType', 'BlockBlob'),
    el('AccessTier', 'Hot'),
    el('AccessTierInferred', true),
    el('LeaseStatus', 'unlocked'),
    el('LeaseState', 'available'),
    el('ServerEncrypted', true),
    ...(b.resourceType === 'directory' ? [el('ResourceType', 'directory')] : []),
  ].join('');
  return `<Blob>${el('Name', b.name)}<Properties>${props}</Properties>${metadata ? metadataXml(b.metadata) : ''}</Blob>`;
}

function listBlobsXml(ctx: BlobRequestContext, items: ListingItem[], args: ListingArgs): string {
  const parts = items.map((item) => ('prefix' in item ? `<BlobPrefix>${el('Name', item.prefix)}</BlobPrefix>` : blobXml(item, args.metadata)));
  return (
    `${XML_HEAD}<EnumerationResults ServiceEndpoint="${escapeXml(ctx.serviceEndpoint)}" ContainerName="${escapeXml(ctx.container!)}">` +
    `${el('Prefix', args.prefix)}${el('Marker', args.marker)}${el('MaxResults', args.max)}${args.delimiter ? el('Delimiter', args.delimiter) : ''}` +
    `<Blobs>${parts.join('')}</Blobs>${el('NextMarker', args.next)}</EnumerationResults>`
  );
}
