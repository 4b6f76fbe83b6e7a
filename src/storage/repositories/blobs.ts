/**
 * Containers, blobs (with their bytes) and staged blocks. Names are case-sensitive (Azure's rule for
 * blobs; container names are lower-case anyway); lists are in byte order of the name, paged by name.
 */
import { sql } from 'kysely';
import type { BlobHttpHeaders, BlobRecord, BlobRepository, BlockInfo, ContainerRecord } from '../../core/blob/model.js';
import type { StorageAccountKeyRepository } from '../../core/dataplanes/storage-keys.js';
import type { BlobContainerTable, BlobTable } from '../schema.js';
import { countOf, fromJson, insertOnce, toJson, type DbSource } from './shared.js';

type BlobRow = Omit<BlobTable, 'content'>;

function toContainer(row: BlobContainerTable): ContainerRecord {
  return {
    account: row.account_key,
    name: row.name,
    metadata: fromJson(row.metadata),
    etag: row.etag,
    lastModified: row.last_modified,
    createdAt: row.created_at,
  };
}

function toBlob(row: BlobRow): BlobRecord {
  return {
    account: row.account_key,
    container: row.container,
    name: row.name,
    resourceType: row.resource_type as BlobRecord['resourceType'],
    size: Number(row.size),
    metadata: fromJson(row.metadata),
    committedBlocks: fromJson<BlockInfo[]>(row.committed_blocks),
    ...fromJson<BlobHttpHeaders>(row.http_headers),
    etag: row.etag,
    lastModified: row.last_modified,
    createdAt: row.created_at,
  };
}

function blobRow(b: BlobRecord): BlobRow {
  const headers: BlobHttpHeaders = {
    contentType: b.contentType,
    contentEncoding: b.contentEncoding,
    contentLanguage: b.contentLanguage,
    contentDisposition: b.contentDisposition,
    cacheControl: b.cacheControl,
    contentMd5: b.contentMd5,
  };
  return {
    account_key: b.account.toLowerCase(),
    container: b.container,
    name: b.name,
    resource_type: b.resourceType,
    size: b.size,
    metadata: toJson(b.metadata),
    committed_blocks: toJson(b.committedBlocks),
    http_headers: toJson(headers),
    etag: b.etag,
    last_modified: b.lastModified,
    created_at: b.createdAt,
  };
}

const BLOB_COLUMNS = [
  'account_key',
  'container',
  'name',
  'resource_type',
  'size',
  'metadata',
  'committed_blocks',
  'http_headers',
  'etag',
  'last_modified',
  'created_at',
] as const;

/** The smallest string greater than every string starting with `prefix` (for a key range). */
function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

export function createBlobRepository(db: DbSource): BlobRepository {
  const blobKey = (account: string, container: string) => (q: any) => q.where('account_key', '=', account.toLowerCase()).where('container', '=', container);
  return {
    async getContainer(account, name) {
      const row = await db()
        .selectFrom('blob_containers')
        .selectAll()
        .where('account_key', '=', account.toLowerCase())
        .where('name', '=', name)
        .executeTakeFirst();
      return row && toContainer(row);
    },
    async listContainers(account, request) {
      let q = db().selectFrom('blob_containers').selectAll().where('account_key', '=', account.toLowerCase());
      if (request.prefix) q = q.where('name', '>=', request.prefix).where('name', '<', prefixEnd(request.prefix));
      if (request.after !== undefined) q = q.where('name', '>', request.after);
      const rows = await q
        .orderBy('name')
        .limit(request.limit + 1)
        .execute();
      const items = rows.slice(0, request.limit).map(toContainer);
      return rows.length > request.limit ? { items, next: items[items.length - 1]!.name } : { items };
    },
    async insertContainer(c) {
      await insertOnce(
        db()
          .insertInto('blob_containers')
          .values({
            account_key: c.account.toLowerCase(),
            name: c.name,
            metadata: toJson(c.metadata),
            etag: c.etag,
            last_modified: c.lastModified,
            created_at: c.createdAt,
          }),
        `The container '${c.name}' already exists.`,
      );
    },
    async updateContainer(c) {
      const r = await db()
        .updateTable('blob_containers')
        .set({ metadata: toJson(c.metadata), etag: c.etag, last_modified: c.lastModified })
        .where('account_key', '=', c.account.toLowerCase())
        .where('name', '=', c.name)
        .executeTakeFirst();
      return countOf(r) > 0;
    },
    async deleteContainer(account, name) {
      const key = account.toLowerCase();
      await db().deleteFrom('blob_blocks').where('account_key', '=', key).where('container', '=', name).execute();
      await db().deleteFrom('blobs').where('account_key', '=', key).where('container', '=', name).execute();
      const r = await db().deleteFrom('blob_containers').where('account_key', '=', key).where('name', '=', name).executeTakeFirst();
      return countOf(r) > 0;
    },
    async deleteAccount(account) {
      const key = account.toLowerCase();
      await db().deleteFrom('blob_blocks').where('account_key', '=', key).execute();
      const blobs = await db().deleteFrom('blobs').where('account_key', '=', key).executeTakeFirst();
      await db().deleteFrom('blob_containers').where('account_key', '=', key).execute();
      return countOf(blobs);
    },

    async getBlob(account, container, name) {
      const row = await blobKey(
        account,
        container,
      )(
        db()
          .selectFrom('blobs')
          .select([...BLOB_COLUMNS]),
      )
        .where('name', '=', name)
        .executeTakeFirst();
      return row && toBlob(row as BlobRow);
    },
    async readContent(account, container, name, range) {
      const q = blobKey(account, container)(db().selectFrom('blobs')).where('name', '=', name);
      // substr counts from 1 on both engines, for blob and bytea alike.
      const row = range
        ? await q.select(sql<Buffer>`substr(content, ${range.offset + 1}, ${range.count})`.as('content')).executeTakeFirst()
        : await q.select('content').executeTakeFirst();
      return row ? Buffer.from(row.content as Uint8Array) : Buffer.alloc(0);
    },
    async putBlob(b, content) {
      const row = { ...blobRow(b), content };
      // The key columns are what the conflict is on: everything else is updated.
      const { account_key: _key, container: _container, name: _name, ...changes } = row;
      await db()
        .insertInto('blobs')
        .values(row)
        .onConflict((oc) => oc.columns(['account_key', 'container', 'name']).doUpdateSet(changes))
        .execute();
    },
    async updateBlob(b) {
      const { account_key, container, name, ...changes } = blobRow(b);
      const r = await db()
        .updateTable('blobs')
        .set(changes)
        .where('account_key', '=', account_key)
        .where('container', '=', container)
        .where('name', '=', name)
        .executeTakeFirst();
      return countOf(r) > 0;
    },
    async deleteBlob(account, container, name) {
      const r = await blobKey(account, container)(db().deleteFrom('blobs')).where('name', '=', name).executeTakeFirst();
      return countOf(r) > 0;
    },
    async deleteBlobsWithPrefix(account, container, prefix) {
      await blobKey(account, container)(db().deleteFrom('blob_blocks')).where('blob_name', '>=', prefix).where('blob_name', '<', prefixEnd(prefix)).execute();
      const r = await blobKey(
        account,
        container,
      )(db().deleteFrom('blobs'))
        .where('name', '>=', prefix)
        .where('name', '<', prefixEnd(prefix))
        .executeTakeFirst();
      return countOf(r);
    },
    async listBlobs(account, container, request) {
      let q = blobKey(
        account,
        container,
      )(
        db()
          .selectFrom('blobs')
          .select([...BLOB_COLUMNS]),
      );
      if (request.prefix) q = q.where('name', '>=', request.prefix).where('name', '<', prefixEnd(request.prefix));
      if (request.after !== undefined) q = q.where('name', '>', request.after);
      const rows = (await q
        .orderBy('name')
        .limit(request.limit + 1)
        .execute()) as BlobRow[];
      const items = rows.slice(0, request.limit).map(toBlob);
      return rows.length > request.limit ? { items, next: items[items.length - 1]!.name } : { items };
    },

    async putBlock(account, container, blob, blockId, content) {
      const row = {
        account_key: account.toLowerCase(),
        container,
        blob_name: blob,
        block_id: blockId,
        staged_at: new Date().toISOString(),
        size: content.length,
        content,
      };
      await db()
        .insertInto('blob_blocks')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['account_key', 'container', 'blob_name', 'block_id']).doUpdateSet({ staged_at: row.staged_at, size: row.size, content }),
        )
        .execute();
    },
    async listBlocks(account, container, blob) {
      const rows = (await blobKey(
        account,
        container,
      )(db().selectFrom('blob_blocks').select(['block_id', 'size', 'staged_at']))
        .where('blob_name', '=', blob)
        .orderBy('staged_at')
        .orderBy('block_id')
        .execute()) as { block_id: string; size: number | string }[];
      return rows.map((r) => ({ id: r.block_id, size: Number(r.size) }));
    },
    async readBlocks(account, container, blob, ids) {
      const out = new Map<string, Buffer>();
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += 500) {
        const rows = (await blobKey(
          account,
          container,
        )(db().selectFrom('blob_blocks').select(['block_id', 'content']))
          .where('blob_name', '=', blob)
          .where('block_id', 'in', unique.slice(i, i + 500))
          .execute()) as { block_id: string; content: Uint8Array }[];
        for (const r of rows) out.set(r.block_id, Buffer.from(r.content));
      }
      return out;
    },
    async deleteBlocks(account, container, blob) {
      const r = await blobKey(account, container)(db().deleteFrom('blob_blocks')).where('blob_name', '=', blob).executeTakeFirst();
      return countOf(r);
    },
  };
}

export function createStorageAccountKeyRepository(db: DbSource): StorageAccountKeyRepository {
  return {
    async list(account) {
      const rows = await db().selectFrom('storage_account_keys').selectAll().where('account_key', '=', account).orderBy('key_name').execute();
      return rows.map((r) => ({ account: r.account_key, keyName: r.key_name as 'key1' | 'key2', sealedValue: r.sealed_value, createdAt: r.created_at }));
    },
    async put(r) {
      const row = { account_key: r.account, key_name: r.keyName, sealed_value: r.sealedValue, created_at: r.createdAt };
      await db()
        .insertInto('storage_account_keys')
        .values(row)
        .onConflict((oc) => oc.columns(['account_key', 'key_name']).doUpdateSet({ sealed_value: row.sealed_value, created_at: row.created_at }))
        .execute();
    },
    async deleteAccount(account) {
      return countOf(await db().deleteFrom('storage_account_keys').where('account_key', '=', account).executeTakeFirst());
    },
  };
}
