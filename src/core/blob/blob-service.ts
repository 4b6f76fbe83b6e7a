/**
 * The rules of Blob storage and Data Lake Gen2 paths over one repository: containers, single-shot
 * and block-list uploads, ranges, conditions, Data Lake append/flush and directories. Surfaces
 * (src/dataplanes/blob) parse the wire and call these; authentication and authorization happen
 * before. Every multi-step write runs in one store transaction, so a refusal writes nothing.
 */
import { randomBytes } from 'node:crypto';
import { isoTime, type Clock } from '../clock.js';
import type { Page } from '../model.js';
import { BlobError } from './errors.js';
import type { BlobHttpHeaders, BlobRecord, BlobRepository, BlockInfo, ByteRange, ContainerRecord, ListRequest } from './model.js';
import { checkBlobName, checkBlockId, checkContainerName, checkMetadata, checkPathName } from './names.js';

/** What a Keyless blob may hold: the storage SDKs upload up to 256 MiB in one request by default. */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;
/** At most this many blocks in one blob (Azure: 50,000). */
export const MAX_BLOCKS = 50_000;

/** HTTP conditional headers, parsed. */
export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: number;
  ifUnmodifiedSince?: number;
}

export type BlockListEntry = { kind: 'Latest' | 'Uncommitted' | 'Committed'; id: string };

export interface BlobStore {
  blobs: BlobRepository;
  transaction<T>(work: (tx: { blobs: BlobRepository }) => Promise<T>): Promise<T>;
}

/** A fresh ETag in Azure's form (`0x8D…`, quoted on the wire). */
export function newEtag(): string {
  return `0x8D${randomBytes(7).toString('hex').toUpperCase().slice(0, 13)}`;
}

const stripQuotes = (t: string) =>
  t
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');

/**
 * Checks conditions against the current state (undefined: absent). Reads get `not-modified` where
 * HTTP answers 304; writes and failed reads throw ConditionNotMet (412).
 */
export function evaluateConditions(
  current: { etag: string; lastModified: string } | undefined,
  c: Conditions | undefined,
  read: boolean,
): 'ok' | 'not-modified' {
  if (!c) return 'ok';
  const etag = current?.etag;
  if (c.ifMatch !== undefined) {
    const tags = c.ifMatch.split(',').map(stripQuotes);
    if (!current || !(tags.includes('*') || tags.includes(etag!))) throw new BlobError('ConditionNotMet');
  }
  if (c.ifNoneMatch !== undefined) {
    const tags = c.ifNoneMatch.split(',').map(stripQuotes);
    if (current && (tags.includes('*') || tags.includes(etag!))) {
      if (read && !tags.includes('*')) return 'not-modified';
      throw new BlobError(read ? 'ConditionNotMet' : 'BlobAlreadyExists');
    }
  }
  const modified = current ? Math.floor(Date.parse(current.lastModified) / 1000) * 1000 : undefined;
  if (c.ifUnmodifiedSince !== undefined && modified !== undefined && modified > c.ifUnmodifiedSince) throw new BlobError('ConditionNotMet');
  if (c.ifModifiedSince !== undefined && modified !== undefined && modified <= c.ifModifiedSince) {
    if (read) return 'not-modified';
    throw new BlobError('ConditionNotMet');
  }
  return 'ok';
}

export function emptyHeaders(): BlobHttpHeaders {
  return { contentType: null, contentEncoding: null, contentLanguage: null, contentDisposition: null, cacheControl: null, contentMd5: null };
}

export function createBlobService(deps: { store: BlobStore; clock: Clock }) {
  const { store } = deps;
  const now = () => isoTime(deps.clock.now());

  async function container(account: string, name: string, dfs = false): Promise<ContainerRecord> {
    const found = await store.blobs.getContainer(account, checkContainerName(name));
    if (!found) throw new BlobError(dfs ? 'FilesystemNotFound' : 'ContainerNotFound');
    return found;
  }

  async function blob(account: string, containerName: string, name: string, dfs = false): Promise<BlobRecord> {
    await container(account, containerName, dfs);
    const found = await store.blobs.getBlob(account, containerName, checkBlobName(name));
    if (!found) throw new BlobError(dfs ? 'PathNotFound' : 'BlobNotFound');
    return found;
  }

  function newBlob(
    account: string,
    containerName: string,
    name: string,
    size: number,
    headers: BlobHttpHeaders,
    metadata: Record<string, string>,
    existing?: BlobRecord,
  ): BlobRecord {
    const t = now();
    return {
      account,
      container: containerName,
      name,
      resourceType: 'file',
      size,
      metadata: checkMetadata(metadata),
      committedBlocks: [],
      ...headers,
      etag: newEtag(),
      lastModified: t,
      createdAt: existing?.createdAt ?? t,
    };
  }

  /** Creates the missing parent directories of a Data Lake path (hierarchical namespace). */
  async function ensureParents(tx: { blobs: BlobRepository }, account: string, containerName: string, path: string): Promise<void> {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const found = await tx.blobs.getBlob(account, containerName, dir);
      if (found?.resourceType === 'directory') continue;
      if (found) throw new BlobError('PathAlreadyExists', `'${dir}' is a file, not a directory.`);
      const record = newBlob(account, containerName, dir, 0, emptyHeaders(), { hdi_isfolder: 'true' });
      await tx.blobs.putBlob({ ...record, resourceType: 'directory' }, Buffer.alloc(0));
    }
  }

  return {
    // ---- containers / file systems ----
    async createContainer(account: string, name: string, metadata: Record<string, string>, dfs = false): Promise<ContainerRecord> {
      const t = now();
      const record: ContainerRecord = {
        account,
        name: checkContainerName(name),
        metadata: checkMetadata(metadata),
        etag: newEtag(),
        lastModified: t,
        createdAt: t,
      };
      try {
        await store.blobs.insertContainer(record);
      } catch (e) {
        if ((e as { code?: string }).code === 'Conflict') throw new BlobError(dfs ? 'FilesystemAlreadyExists' : 'ContainerAlreadyExists');
        throw e;
      }
      return record;
    },
    getContainer: (account: string, name: string, dfs = false) => container(account, name, dfs),
    listContainers: (account: string, request: ListRequest): Promise<Page<ContainerRecord>> => store.blobs.listContainers(account, request),
    async setContainerMetadata(account: string, name: string, metadata: Record<string, string>): Promise<ContainerRecord> {
      const found = await container(account, name);
      const updated = { ...found, metadata: checkMetadata(metadata), etag: newEtag(), lastModified: now() };
      await store.blobs.updateContainer(updated);
      return updated;
    },
    async deleteContainer(account: string, name: string, conditions?: Conditions, dfs = false): Promise<void> {
      const found = await container(account, name, dfs);
      evaluateConditions(found, conditions, false);
      await store.blobs.deleteContainer(account, found.name);
    },

    // ---- blobs ----
    getBlob: (account: string, containerName: string, name: string, dfs = false) => blob(account, containerName, name, dfs),
    async readBlob(account: string, containerName: string, name: string, range: { start: number; end?: number } | undefined, conditions?: Conditions) {
      const found = await blob(account, containerName, name);
      if (evaluateConditions(found, conditions, true) === 'not-modified') return { blob: found, notModified: true as const };
      let slice: ByteRange | undefined;
      if (range) {
        if (range.start >= found.size || (range.end !== undefined && range.end < range.start)) {
          if (!(found.size === 0 && range.start === 0)) throw new BlobError('InvalidRange');
        }
        const end = Math.min(range.end ?? found.size - 1, found.size - 1);
        slice = { offset: range.start, count: Math.max(0, end - range.start + 1) };
      }
      const content = await store.blobs.readContent(account, found.container, found.name, slice);
      return { blob: found, content, range: slice, notModified: false as const };
    },
    async putBlob(
      account: string,
      containerName: string,
      name: string,
      content: Buffer,
      headers: BlobHttpHeaders,
      metadata: Record<string, string>,
      conditions?: Conditions,
    ): Promise<BlobRecord> {
      await container(account, containerName);
      checkBlobName(name);
      if (content.length > MAX_BLOB_BYTES) throw new BlobError('RequestBodyTooLarge', `A Keyless blob holds at most ${MAX_BLOB_BYTES} bytes.`);
      return store.transaction(async (tx) => {
        const existing = await tx.blobs.getBlob(account, containerName, name);
        evaluateConditions(existing, conditions, false);
        if (existing?.resourceType === 'directory') throw new BlobError('PathAlreadyExists', `'${name}' is a directory.`);
        const record = newBlob(account, containerName, name, content.length, headers, metadata, existing);
        await tx.blobs.putBlob(record, content);
        await tx.blobs.deleteBlocks(account, containerName, name);
        return record;
      });
    },
    async setBlobProperties(
      account: string,
      containerName: string,
      name: string,
      change: { headers?: BlobHttpHeaders; metadata?: Record<string, string> },
      conditions?: Conditions,
    ): Promise<BlobRecord> {
      return store.transaction(async (tx) => {
        const found = await blob(account, containerName, name);
        evaluateConditions(found, conditions, false);
        const updated: BlobRecord = {
          ...found,
          ...(change.headers ?? {}),
          metadata: change.metadata ? checkMetadata(change.metadata) : found.metadata,
          etag: newEtag(),
          lastModified: now(),
        };
        await tx.blobs.updateBlob(updated);
        return updated;
      });
    },
    async deleteBlob(account: string, containerName: string, name: string, conditions?: Conditions): Promise<void> {
      await store.transaction(async (tx) => {
        const found = await blob(account, containerName, name);
        evaluateConditions(found, conditions, false);
        await tx.blobs.deleteBlob(account, containerName, found.name);
        await tx.blobs.deleteBlocks(account, containerName, found.name);
      });
    },
    async listBlobs(account: string, containerName: string, request: ListRequest): Promise<Page<BlobRecord>> {
      await container(account, containerName);
      return store.blobs.listBlobs(account, containerName, request);
    },

    // ---- blocks ----
    async putBlock(account: string, containerName: string, name: string, blockId: string, content: Buffer): Promise<void> {
      await container(account, containerName);
      checkBlobName(name);
      checkBlockId(blockId);
      const staged = await store.blobs.listBlocks(account, containerName, name);
      if (staged.length >= MAX_BLOCKS * 2) throw new BlobError('InvalidBlockList', `A blob may have at most ${MAX_BLOCKS * 2} uncommitted blocks.`);
      await store.blobs.putBlock(account, containerName, name, blockId, content);
    },
    async putBlockList(
      account: string,
      containerName: string,
      name: string,
      list: readonly BlockListEntry[],
      headers: BlobHttpHeaders,
      metadata: Record<string, string>,
      conditions?: Conditions,
    ): Promise<BlobRecord> {
      await container(account, containerName);
      checkBlobName(name);
      if (list.length > MAX_BLOCKS) throw new BlobError('InvalidBlockList', `A blob may have at most ${MAX_BLOCKS} blocks.`);
      return store.transaction(async (tx) => {
        const existing = await tx.blobs.getBlob(account, containerName, name);
        evaluateConditions(existing, conditions, false);
        const staged = await tx.blobs.readBlocks(
          account,
          containerName,
          name,
          list.map((b) => b.id),
        );
        const committed = new Map((existing?.committedBlocks ?? []).map((b) => [b.id, b]));
        // Blocks committed earlier are not kept apart from the content: they can be reused only
        // when they are still staged (the SDKs always commit freshly staged blocks).
        const parts: Buffer[] = [];
        const blocks: BlockInfo[] = [];
        for (const entry of list) {
          checkBlockId(entry.id);
          const data = entry.kind === 'Committed' ? undefined : staged.get(entry.id);
          if (!data) {
            const why =
              entry.kind === 'Committed' && committed.has(entry.id) ? 're-committing a committed block is not supported by Keyless' : 'it was not staged';
            throw new BlobError('InvalidBlockList', `Block '${entry.id}' cannot be committed: ${why}.`);
          }
          parts.push(data);
          blocks.push({ id: entry.id, size: data.length });
        }
        const content = Buffer.concat(parts);
        if (content.length > MAX_BLOB_BYTES) throw new BlobError('RequestBodyTooLarge', `A Keyless blob holds at most ${MAX_BLOB_BYTES} bytes.`);
        const record = { ...newBlob(account, containerName, name, content.length, headers, metadata, existing), committedBlocks: blocks };
        await tx.blobs.putBlob(record, content);
        await tx.blobs.deleteBlocks(account, containerName, name);
        return record;
      });
    },
    async getBlockList(account: string, containerName: string, name: string, which: 'committed' | 'uncommitted' | 'all') {
      await container(account, containerName);
      const found = await store.blobs.getBlob(account, containerName, checkBlobName(name));
      const staged = which === 'committed' ? [] : await store.blobs.listBlocks(account, containerName, name);
      if (!found && staged.length === 0) throw new BlobError('BlobNotFound');
      return {
        blob: found,
        committed: which === 'uncommitted' ? [] : (found?.committedBlocks ?? []),
        uncommitted: staged.filter((b) => !b.id.startsWith('dfs:')),
      };
    },

    // ---- Data Lake paths ----
    async createPath(
      account: string,
      fs: string,
      path: string,
      kind: 'file' | 'directory',
      headers: BlobHttpHeaders,
      metadata: Record<string, string>,
      conditions?: Conditions,
    ): Promise<BlobRecord> {
      await container(account, fs, true);
      checkPathName(path);
      return store.transaction(async (tx) => {
        const existing = await tx.blobs.getBlob(account, fs, path);
        evaluateConditions(existing, conditions, false);
        if (existing && existing.resourceType !== kind) throw new BlobError('PathAlreadyExists', `'${path}' exists as a ${existing.resourceType}.`);
        if (existing?.resourceType === 'directory') return existing;
        await ensureParents(tx, account, fs, path);
        const record = newBlob(account, fs, path, 0, headers, kind === 'directory' ? { ...metadata, hdi_isfolder: 'true' } : metadata, existing);
        await tx.blobs.putBlob({ ...record, resourceType: kind }, Buffer.alloc(0));
        await tx.blobs.deleteBlocks(account, fs, path);
        return { ...record, resourceType: kind };
      });
    },
    async appendData(account: string, fs: string, path: string, position: number, content: Buffer): Promise<void> {
      const found = await blob(account, fs, checkPathName(path), true);
      if (found.resourceType !== 'file') throw new BlobError('InvalidFlushPosition', `'${path}' is a directory.`);
      if (position + content.length > MAX_BLOB_BYTES) throw new BlobError('RequestBodyTooLarge', `A Keyless file holds at most ${MAX_BLOB_BYTES} bytes.`);
      await store.blobs.putBlock(account, fs, path, `dfs:${String(position).padStart(16, '0')}`, content);
    },
    async flushData(
      account: string,
      fs: string,
      path: string,
      position: number,
      headers: BlobHttpHeaders | undefined,
      conditions?: Conditions,
    ): Promise<BlobRecord> {
      return store.transaction(async (tx) => {
        const found = await blob(account, fs, checkPathName(path), true);
        evaluateConditions(found, conditions, false);
        const staged = (await tx.blobs.listBlocks(account, fs, path)).filter((b) => b.id.startsWith('dfs:')).sort((a, b) => a.id.localeCompare(b.id));
        const data = await tx.blobs.readBlocks(
          account,
          fs,
          path,
          staged.map((b) => b.id),
        );
        let offset = found.size;
        const parts = [await tx.blobs.readContent(account, fs, path)];
        for (const block of staged) {
          const at = Number(block.id.slice(4));
          if (at >= position) continue;
          if (at !== offset) throw new BlobError('InvalidFlushPosition');
          parts.push(data.get(block.id)!);
          offset += block.size;
        }
        if (offset !== position) throw new BlobError('InvalidFlushPosition');
        const content = Buffer.concat(parts);
        const record: BlobRecord = { ...found, ...(headers ?? {}), size: content.length, etag: newEtag(), lastModified: now() };
        await tx.blobs.putBlob(record, content);
        await tx.blobs.deleteBlocks(account, fs, path);
        return record;
      });
    },
    async listPaths(
      account: string,
      fs: string,
      directory: string | undefined,
      recursive: boolean,
      request: { after?: string; limit: number },
    ): Promise<Page<BlobRecord>> {
      await container(account, fs, true);
      if (directory) {
        const dir = await store.blobs.getBlob(account, fs, checkPathName(directory));
        if (!dir) throw new BlobError('PathNotFound');
      }
      const prefix = directory ? `${directory}/` : '';
      const items: BlobRecord[] = [];
      let after = request.after;
      // Non-recursive listings skip what lies deeper; read pages until the page is full.
      for (;;) {
        const page = await store.blobs.listBlobs(account, fs, { prefix, ...(after === undefined ? {} : { after }), limit: 1000 });
        for (const b of page.items) {
          after = b.name;
          if (!recursive && b.name.slice(prefix.length).includes('/')) continue;
          items.push(b);
          if (items.length === request.limit) return { items, next: b.name };
        }
        if (!page.next) return { items };
      }
    },
    async deletePath(account: string, fs: string, path: string, recursive: boolean, conditions?: Conditions): Promise<void> {
      await store.transaction(async (tx) => {
        const found = await blob(account, fs, checkPathName(path), true);
        evaluateConditions(found, conditions, false);
        if (found.resourceType === 'directory') {
          const children = await tx.blobs.listBlobs(account, fs, { prefix: `${path}/`, limit: 1 });
          if (children.items.length > 0 && !recursive) throw new BlobError('DirectoryNotEmpty');
          await tx.blobs.deleteBlobsWithPrefix(account, fs, `${path}/`);
        }
        await tx.blobs.deleteBlob(account, fs, path);
        await tx.blobs.deleteBlocks(account, fs, path);
      });
    },
  };
}

export type BlobService = ReturnType<typeof createBlobService>;
