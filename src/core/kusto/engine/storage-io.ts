/**
 * The flows' calls to the Blob data plane (download, upload, list) and the Kusto errors its refusals
 * become: a 401/403 is Kusto's `Download_Forbidden` (or Upload/List), a 404 `Download_SourceNotFound`.
 */
import { KustoError } from '../errors.js';
import type { Table } from '../query-engine.js';
import type { EngineContext } from './context.js';
import { writeRecords } from './records.js';
import { redact } from './storage-ref.js';

type StorageAction = 'download' | 'upload' | 'list';

function storageFailure(url: string, status: number, code: string | undefined, action: StorageAction): KustoError {
  if (status === 401 || status === 403) {
    return new KustoError(
      'download-forbidden',
      action === 'download'
        ? `Download_Forbidden: Failed to download source from Azure storage. Access forbidden. Blob: '${redact(url)}' (${status} ${code ?? ''}).`
        : `${action === 'upload' ? 'Upload' : 'List'}_Forbidden: Access to Azure storage was forbidden for '${redact(url)}' (${status} ${code ?? ''}).`,
    );
  }
  if (status === 404)
    return new KustoError('bad-request', `Download_SourceNotFound: Failed to ${action} '${redact(url)}': the blob or container does not exist.`);
  return new KustoError('bad-request', `Failed to ${action} '${redact(url)}': storage answered ${status} ${code ?? ''}.`);
}

/** A blob's text, at most `maxBlob` bytes. */
export async function downloadText(ctx: EngineContext, url: string, token: string | undefined): Promise<string> {
  const res = await ctx.deps.storage.get(url, token);
  if (res.status !== 200 && res.status !== 206) throw storageFailure(url, res.status, res.code, 'download');
  if (res.body.length > ctx.maxBlob) throw new KustoError('too-large', `The blob '${redact(url)}' is larger than ${ctx.maxBlob} bytes.`);
  return res.body.toString('utf8');
}

/** Blob names below a container or folder URL. */
export async function listBlobNames(ctx: EngineContext, url: string, token: string | undefined): Promise<string[]> {
  const listing = await ctx.deps.storage.list(url, token);
  if (listing.status !== 200) throw storageFailure(url, listing.status, listing.code, 'list');
  return listing.names;
}

/** Writes a query result as a new blob `{prefix}_{guid}.{format}` below `url`; returns its URL. */
export async function writeResultBlob(
  ctx: EngineContext,
  url: string,
  token: string | undefined,
  file: { prefix: string; format: string; header: boolean },
  result: Table,
): Promise<string> {
  const target = `${url.replace(/\/+$/, '')}/${file.prefix}_${ctx.deps.ids.newGuid()}.${file.format}`;
  const body = writeRecords(file.format, result, file.header);
  const res = await ctx.deps.storage.put(target, token, Buffer.from(body, 'utf8'), file.format === 'csv' ? 'text/csv' : 'application/json');
  if (res.status !== 201 && res.status !== 200) throw storageFailure(target, res.status, res.code, 'upload');
  return target;
}
