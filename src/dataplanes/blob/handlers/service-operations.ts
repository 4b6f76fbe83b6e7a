/** Account-level operations: List Containers, Get Account Information. */
import type { BlobService } from '../../../core/blob/blob-service.js';
import { el, escapeXml, httpDate, XML_HEAD } from '../xml.js';
import type { BlobRequestContext } from './context.js';
import { decodeMarker, encodeMarker, includes, maxResults, pageAfter } from './paging.js';
import { metadataXml, quote, sendEmpty, sendXml } from './response.js';

export async function listContainers(blobs: BlobService, ctx: BlobRequestContext) {
  const prefix = ctx.query('prefix') ?? '';
  const max = maxResults(ctx.query);
  const marker = ctx.query('marker');
  const metadata = includes(ctx, 'metadata');
  const page = await blobs.listContainers(ctx.account, { prefix, ...pageAfter(decodeMarker(marker), max) });
  const parts = page.items.map(
    (c) =>
      `<Container>${el('Name', c.name)}<Properties>${el('Last-Modified', httpDate(c.lastModified))}${el('Etag', quote(c.etag))}` +
      `${el('LeaseStatus', 'unlocked')}${el('LeaseState', 'available')}${el('DefaultEncryptionScope', '$account-encryption-key')}${el('DenyEncryptionScopeOverride', false)}` +
      `${el('HasImmutabilityPolicy', false)}${el('HasLegalHold', false)}</Properties>` +
      `${metadata ? metadataXml(c.metadata) : ''}</Container>`,
  );
  const xml =
    `${XML_HEAD}<EnumerationResults ServiceEndpoint="${escapeXml(ctx.serviceEndpoint)}">${el('Prefix', prefix)}${el('Marker', marker)}${el('MaxResults', max)}` +
    `<Containers>${parts.join('')}</Containers>${el('NextMarker', page.next ? encodeMarker(page.next) : undefined)}</EnumerationResults>`;
  return sendXml(ctx.reply, 200, xml);
}

export async function getAccountInfo(_blobs: BlobService, ctx: BlobRequestContext) {
  return sendEmpty(ctx.reply.header('x-ms-sku-name', 'Standard_LRS').header('x-ms-account-kind', 'StorageV2'), 200);
}
