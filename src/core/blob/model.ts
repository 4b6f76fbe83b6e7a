/**
 * Blob storage records and the repository the blob service needs. Contents are bytes kept in the
 * database (docs/adr/0011-data-planes.md); metadata is what Get Properties returns.
 */
import type { Page } from '../model.js';

export interface ContainerRecord {
  /** Account name, lower-case. */
  account: string;
  name: string;
  metadata: Record<string, string>;
  etag: string;
  lastModified: string;
  createdAt: string;
}

/** HTTP properties a client sets on a blob (`x-ms-blob-content-*`). */
export interface BlobHttpHeaders {
  contentType: string | null;
  contentEncoding: string | null;
  contentLanguage: string | null;
  contentDisposition: string | null;
  cacheControl: string | null;
  /** Base64 MD5 of the whole content, when known. */
  contentMd5: string | null;
}

export interface BlobRecord extends BlobHttpHeaders {
  account: string;
  container: string;
  name: string;
  /** `file` for blobs and Data Lake files, `directory` for Data Lake directories. */
  resourceType: 'file' | 'directory';
  size: number;
  metadata: Record<string, string>;
  /** The committed block list (id, size) for Get Block List; empty for single-shot uploads. */
  committedBlocks: BlockInfo[];
  etag: string;
  lastModified: string;
  createdAt: string;
}

export interface BlockInfo {
  /** The block id as the client sent it (base64). */
  id: string;
  size: number;
}

export interface ListRequest {
  prefix?: string;
  /** Names strictly after this one. */
  after?: string;
  limit: number;
}

/** Bytes of a blob, whole or a range. */
export interface ByteRange {
  offset: number;
  count: number;
}

export interface BlobRepository {
  getContainer(account: string, name: string): Promise<ContainerRecord | undefined>;
  listContainers(account: string, request: ListRequest): Promise<Page<ContainerRecord>>;
  insertContainer(container: ContainerRecord): Promise<void>;
  updateContainer(container: ContainerRecord): Promise<boolean>;
  /** Deletes the container with its blobs and staged blocks. */
  deleteContainer(account: string, name: string): Promise<boolean>;
  /** Deletes every container, blob and block of an account (the account was deleted). */
  deleteAccount(account: string): Promise<number>;

  getBlob(account: string, container: string, name: string): Promise<BlobRecord | undefined>;
  /** The content, or the part `range` names (the range lies within the blob). */
  readContent(account: string, container: string, name: string, range?: ByteRange): Promise<Buffer>;
  /** Creates or replaces the blob with this content. */
  putBlob(blob: BlobRecord, content: Buffer): Promise<void>;
  /** Changes properties and metadata only. */
  updateBlob(blob: BlobRecord): Promise<boolean>;
  deleteBlob(account: string, container: string, name: string): Promise<boolean>;
  /** Deletes the blobs whose names start with `prefix` (a Data Lake directory's content). */
  deleteBlobsWithPrefix(account: string, container: string, prefix: string): Promise<number>;
  listBlobs(account: string, container: string, request: ListRequest): Promise<Page<BlobRecord>>;

  /** Stages (or replaces) one uncommitted block. */
  putBlock(account: string, container: string, blob: string, blockId: string, content: Buffer): Promise<void>;
  /** The staged blocks of a blob, in staging order. */
  listBlocks(account: string, container: string, blob: string): Promise<BlockInfo[]>;
  /** The contents of the named staged blocks, in the order asked. */
  readBlocks(account: string, container: string, blob: string, ids: readonly string[]): Promise<Map<string, Buffer>>;
  deleteBlocks(account: string, container: string, blob: string): Promise<number>;
}
