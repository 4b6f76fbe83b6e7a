/**
 * One handler per Blob / Data Lake operation: read the wire (headers, query, body), call the blob
 * service, answer with Azure's status, headers and body.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { emptyHeaders, type BlobService, type Conditions } from '../../core/blob/blob-service.js';
import { BlobError } from '../../core/blob/errors.js';
import type { BlobHttpHeaders, BlobRecord, ContainerRecord } from '../../core/blob/model.js';
import type { BlobOperation } from './operations.js';
import { el, httpDate, parseBlockList, XML_HEAD, escapeXml } from './xml.js';

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

const quote = (etag: string) => `"${etag}"`;
const MAX_RESULTS = 5000;

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function body(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

/** `x-ms-meta-*` request headers as metadata. */
function metadataOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith('x-ms-meta-') && typeof value === 'string') out[name.slice('x-ms-meta-'.length)] = value;
  }
  return out;
}

/** Blob HTTP headers from `x-ms-blob-content-*` (Put Block List, Set Properties, flush: `x-ms-content-*`) or the plain ones (Put Blob). */
function httpHeadersOf(request: FastifyRequest, prefix: 'x-ms-blob-' | 'x-ms-' | '', fallback: BlobHttpHeaders = emptyHeaders()): BlobHttpHeaders {
  const get = (name: string) => header(request, `${prefix}${name}`) ?? (prefix === 'x-ms-blob-' ? undefined : undefined);
  const pick = (name: string, key: keyof BlobHttpHeaders) => get(name) ?? (prefix === '' ? null : fallback[key]);
  return {
    contentType: pick('content-type', 'contentType'),
    contentEncoding: pick('content-encoding', 'contentEncoding'),
    contentLanguage: pick('content-language', 'contentLanguage'),
    contentDisposition: pick('content-disposition', 'contentDisposition'),
    cacheControl: pick('cache-control', 'cacheControl'),
    contentMd5: pick('content-md5', 'contentMd5'),
  };
}

function writeMetadataHeaders(reply: FastifyReply, metadata: Record<string, string>): void {
  for (const [k, v] of Object.entries(metadata)) reply.header(`x-ms-meta-${k}`, v);
}

function blobHeaders(reply: FastifyReply, b: BlobRecord): void {
  reply
    .header('etag', quote(b.etag))
    .header('last-modified', httpDate(b.lastModified))
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

function containerHeaders(reply: FastifyReply, c: ContainerRecord): void {
  reply
    .header('etag', quote(c.etag))
    .header('last-modified', httpDate(c.lastModified))
    .header('x-ms-lease-status', 'unlocked')
    .header('x-ms-lease-state', 'available')
    .header('x-ms-has-immutability-policy', 'false')
    .header('x-ms-has-legal-hold', 'false')
    .header('x-ms-default-encryption-scope', '$account-encryption-key')
    .header('x-ms-deny-encryption-scope-override', 'false');
  writeMetadataHeaders(reply, c.metadata);
}

/** `bytes=a-b` / `bytes=a-` from `x-ms-range` or `Range`. */
function rangeOf(request: FastifyRequest): { start: number; end?: number } | undefined {
  const raw = header(request, 'x-ms-range') ?? header(request, 'range');
  if (!raw) return undefined;
  const m = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(raw.trim());
  if (!m) throw new BlobError('InvalidHeaderValue', `The range '${raw.slice(0, 60)}' is not 'bytes=start-end'.`);
  const start = Number(m[1]);
  return m[2] === '' ? { start } : { start, end: Number(m[2]) };
}

function maxResults(q: (n: string) => string | undefined, name = 'maxresults'): number {
  const raw = q(name);
  if (raw === undefined) return MAX_RESULTS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BlobError('InvalidQueryParameterValue', `${name} must be a whole number of at least 1.`);
  return Math.min(n, MAX_RESULTS);
}

const encodeMarker = (name: string) => Buffer.from(`k1:${name}`, 'utf8').toString('base64url');
function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined || marker === '') return undefined;
  const text = /^[A-Za-z0-9_-]+$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
  if (!text.startsWith('k1:')) throw new BlobError('InvalidQueryParameterValue', 'The marker is not one this server returned.');
  return text.slice(3);
}

function md5Of(content: Buffer): string {
  return createHash('md5').update(content).digest('base64');
}

function checkMd5(request: FastifyRequest, content: Buffer): string {
  const computed = md5Of(content);
  const sent = header(request, 'content-md5');
  if (sent !== undefined && sent !== computed) throw new BlobError('Md5Mismatch');
  return computed;
}

function requireBlob(ctx: BlobRequestContext): { container: string; blob: string } {
  return { container: ctx.container!, blob: ctx.blob! };
}

function sendXml(reply: FastifyReply, status: number, xml: string) {
  return reply.code(status).type('application/xml').send(xml);
}

function listBlobsXml(
  ctx: BlobRequestContext,
  items: (BlobRecord | { prefix: string })[],
  args: { prefix: string; delimiter: string | undefined; marker: string | undefined; max: number; next: string | undefined; metadata: boolean },
): string {
  const parts = items.map((item) => {
    if ('prefix' in item) return `<BlobPrefix>${el('Name', item.prefix)}</BlobPrefix>`;
    const b = item;
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
    const meta = args.metadata
      ? `<Metadata>${Object.entries(b.metadata)
          .map(([k, v]) => el(k, v))
          .join('')}</Metadata>`
      : '';
    return `<Blob>${el('Name', b.name)}<Properties>${props}</Properties>${meta}</Blob>`;
  });
  return (
    `${XML_HEAD}<EnumerationResults ServiceEndpoint="${escapeXml(ctx.serviceEndpoint)}" ContainerName="${escapeXml(ctx.container!)}">` +
    `${el('Prefix', args.prefix)}${el('Marker', args.marker)}${el('MaxResults', args.max)}${args.delimiter ? el('Delimiter', args.delimiter) : ''}` +
    `<Blobs>${parts.join('')}</Blobs>${el('NextMarker', args.next)}</EnumerationResults>`
  );
}

async function listBlobs(blobs: BlobService, ctx: BlobRequestContext) {
  const prefix = ctx.query('prefix') ?? '';
  const delimiter = ctx.query('delimiter') || undefined;
  const max = maxResults(ctx.query);
  const marker = ctx.query('marker');
  const include = (ctx.query('include') ?? '').toLowerCase().split(',');
  let after = decodeMarker(marker);
  const items: (BlobRecord | { prefix: string })[] = [];
  let next: string | undefined;
  outer: for (;;) {
    const page = await blobs.listBlobs(ctx.account, ctx.container!, { prefix, ...(after === undefined ? {} : { after }), limit: max });
    for (const b of page.items) {
      if (items.length === max) {
        next = encodeMarker(after!);
        break outer;
      }
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
    if (!page.next) break;
  }
  return sendXml(ctx.reply, 200, listBlobsXml(ctx, items, { prefix, delimiter, marker, max, next, metadata: include.includes('metadata') }));
}

async function listContainers(blobs: BlobService, ctx: BlobRequestContext) {
  const prefix = ctx.query('prefix') ?? '';
  const max = maxResults(ctx.query);
  const marker = ctx.query('marker');
  const include = (ctx.query('include') ?? '').toLowerCase().split(',');
  const after = decodeMarker(marker);
  const page = await blobs.listContainers(ctx.account, { prefix, ...(after === undefined ? {} : { after }), limit: max });
  const parts = page.items.map(
    (c) =>
      `<Container>${el('Name', c.name)}<Properties>${el('Last-Modified', httpDate(c.lastModified))}${el('Etag', quote(c.etag))}` +
      `${el('LeaseStatus', 'unlocked')}${el('LeaseState', 'available')}${el('DefaultEncryptionScope', '$account-encryption-key')}${el('DenyEncryptionScopeOverride', false)}` +
      `${el('HasImmutabilityPolicy', false)}${el('HasLegalHold', false)}</Properties>` +
      `${
        include.includes('metadata')
          ? `<Metadata>${Object.entries(c.metadata)
              .map(([k, v]) => el(k, v))
              .join('')}</Metadata>`
          : ''
      }</Container>`,
  );
  const xml =
    `${XML_HEAD}<EnumerationResults ServiceEndpoint="${escapeXml(ctx.serviceEndpoint)}">${el('Prefix', prefix)}${el('Marker', marker)}${el('MaxResults', max)}` +
    `<Containers>${parts.join('')}</Containers>${el('NextMarker', page.next ? encodeMarker(page.next) : undefined)}</EnumerationResults>`;
  return sendXml(ctx.reply, 200, xml);
}

async function listPaths(blobs: BlobService, ctx: BlobRequestContext) {
  const recursiveRaw = ctx.query('recursive');
  if (recursiveRaw === undefined || !/^(true|false)$/i.test(recursiveRaw))
    throw new BlobError('InvalidQueryParameterValue', "The 'recursive' query parameter must be true or false.");
  const directory = (ctx.query('directory') ?? '').replace(/^\/+|\/+$/g, '') || undefined;
  const max = maxResults(ctx.query, 'maxResults');
  const after = decodeMarker(ctx.query('continuation'));
  const page = await blobs.listPaths(ctx.account, ctx.container!, directory, recursiveRaw.toLowerCase() === 'true', {
    ...(after === undefined ? {} : { after }),
    limit: max,
  });
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

async function getBlob(blobs: BlobService, ctx: BlobRequestContext, head: boolean) {
  const { container, blob } = requireBlob(ctx);
  const reply = ctx.reply;
  if (head) {
    const b = await blobs.getBlob(ctx.account, container, blob, ctx.operation.dfs);
    const { evaluateConditions } = await import('../../core/blob/blob-service.js');
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

/** Runs the operation the request was classified as. */
export async function handleOperation(blobs: BlobService, ctx: BlobRequestContext): Promise<unknown> {
  const { reply, request, account } = ctx;
  const created = (etag: string, lastModified: string, status = 201) =>
    reply
      .code(status)
      .header('etag', quote(etag))
      .header('last-modified', httpDate(lastModified))
      .header('x-ms-request-server-encrypted', 'true')
      .header('content-length', '0')
      .send();
  switch (ctx.operation.name) {
    case 'ListContainers':
      return listContainers(blobs, ctx);
    case 'GetAccountInfo':
      return reply.code(200).header('x-ms-sku-name', 'Standard_LRS').header('x-ms-account-kind', 'StorageV2').header('content-length', '0').send();
    case 'CreateContainer':
    case 'CreateFilesystem': {
      const c = await blobs.createContainer(account, ctx.container!, metadataOf(request), ctx.operation.dfs);
      return created(c.etag, c.lastModified);
    }
    case 'GetContainerProperties':
    case 'GetFilesystemProperties': {
      const c = await blobs.getContainer(account, ctx.container!, ctx.operation.dfs);
      containerHeaders(reply, c);
      return reply.code(200).header('content-length', '0').send();
    }
    case 'SetContainerMetadata': {
      const c = await blobs.setContainerMetadata(account, ctx.container!, metadataOf(request));
      return reply.code(200).header('etag', quote(c.etag)).header('last-modified', httpDate(c.lastModified)).header('content-length', '0').send();
    }
    case 'DeleteContainer':
    case 'DeleteFilesystem':
      await blobs.deleteContainer(account, ctx.container!, ctx.conditions, ctx.operation.dfs);
      return reply.code(202).header('content-length', '0').send();
    case 'ListBlobs':
      return listBlobs(blobs, ctx);
    case 'ListPaths':
      return listPaths(blobs, ctx);
    case 'PutBlob': {
      const { container, blob } = requireBlob(ctx);
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
      const b = await blobs.putBlob(account, container, blob, content, headers, metadataOf(request), ctx.conditions);
      reply.header('content-md5', md5);
      return created(b.etag, b.lastModified);
    }
    case 'PutBlock': {
      const { container, blob } = requireBlob(ctx);
      const content = body(request);
      const md5 = checkMd5(request, content);
      await blobs.putBlock(account, container, blob, ctx.query('blockid') ?? '', content);
      return reply.code(201).header('content-md5', md5).header('x-ms-request-server-encrypted', 'true').header('content-length', '0').send();
    }
    case 'PutBlockList': {
      const { container, blob } = requireBlob(ctx);
      const list = parseBlockList(body(request).toString('utf8'));
      const b = await blobs.putBlockList(account, container, blob, list, httpHeadersOf(request, 'x-ms-blob-'), metadataOf(request), ctx.conditions);
      return created(b.etag, b.lastModified);
    }
    case 'GetBlockList': {
      const { container, blob } = requireBlob(ctx);
      const which = (ctx.query('blocklisttype') ?? 'committed').toLowerCase();
      if (!['committed', 'uncommitted', 'all'].includes(which))
        throw new BlobError('InvalidQueryParameterValue', 'blocklisttype must be committed, uncommitted or all.');
      const r = await blobs.getBlockList(account, container, blob, which as 'committed');
      const blocks = (list: { id: string; size: number }[]) => list.map((x) => `<Block>${el('Name', x.id)}${el('Size', x.size)}</Block>`).join('');
      if (r.blob)
        reply.header('etag', quote(r.blob.etag)).header('last-modified', httpDate(r.blob.lastModified)).header('x-ms-blob-content-length', String(r.blob.size));
      return sendXml(
        reply,
        200,
        `${XML_HEAD}<BlockList><CommittedBlocks>${blocks(r.committed)}</CommittedBlocks><UncommittedBlocks>${blocks(r.uncommitted)}</UncommittedBlocks></BlockList>`,
      );
    }
    case 'GetBlob':
      return getBlob(blobs, ctx, false);
    case 'GetBlobProperties':
    case 'GetPathProperties':
      return getBlob(blobs, ctx, true);
    case 'DeleteBlob': {
      const { container, blob } = requireBlob(ctx);
      await blobs.deleteBlob(account, container, blob, ctx.conditions);
      return reply.code(202).header('x-ms-delete-type-permanent', 'true').header('content-length', '0').send();
    }
    case 'SetBlobProperties': {
      const { container, blob } = requireBlob(ctx);
      const current = await blobs.getBlob(account, container, blob);
      const b = await blobs.setBlobProperties(account, container, blob, { headers: httpHeadersOf(request, 'x-ms-blob-', current) }, ctx.conditions);
      return reply.code(200).header('etag', quote(b.etag)).header('last-modified', httpDate(b.lastModified)).header('content-length', '0').send();
    }
    case 'SetBlobMetadata': {
      const { container, blob } = requireBlob(ctx);
      const b = await blobs.setBlobProperties(account, container, blob, { metadata: metadataOf(request) }, ctx.conditions);
      return reply
        .code(200)
        .header('etag', quote(b.etag))
        .header('last-modified', httpDate(b.lastModified))
        .header('x-ms-request-server-encrypted', 'true')
        .header('content-length', '0')
        .send();
    }
    case 'CreatePath': {
      const { container, blob } = requireBlob(ctx);
      const kind = ctx.query('resource')!.toLowerCase() as 'file' | 'directory';
      const b = await blobs.createPath(
        account,
        container,
        blob.replace(/\/+$/, ''),
        kind,
        httpHeadersOf(request, 'x-ms-'),
        propertiesOf(request),
        ctx.conditions,
      );
      return created(b.etag, b.lastModified);
    }
    case 'AppendData': {
      const { container, blob } = requireBlob(ctx);
      const position = positionOf(ctx);
      const content = body(request);
      checkMd5(request, content);
      await blobs.appendData(account, container, blob, position, content);
      return reply.code(202).header('x-ms-request-server-encrypted', 'true').header('content-length', '0').send();
    }
    case 'FlushData': {
      const { container, blob } = requireBlob(ctx);
      const current = await blobs.getBlob(account, container, blob, true);
      const b = await blobs.flushData(account, container, blob, positionOf(ctx), httpHeadersOf(request, 'x-ms-', current), ctx.conditions);
      return created(b.etag, b.lastModified, 200);
    }
    case 'DeletePath': {
      const { container, blob } = requireBlob(ctx);
      await blobs.deletePath(account, container, blob.replace(/\/+$/, ''), (ctx.query('recursive') ?? '').toLowerCase() === 'true', ctx.conditions);
      return reply.code(200).header('content-length', '0').send();
    }
  }
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
