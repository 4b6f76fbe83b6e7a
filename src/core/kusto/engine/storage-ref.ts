/**
 * Storage connection strings as Kusto commands name them: `https://…/c/file.csv;managed_identity=system`,
 * their URL without credentials for messages, and blob URLs below a container or folder URL.
 */
import { KustoError } from '../errors.js';

export interface StorageRef {
  url: string;
  identity?: string;
  impersonate?: boolean;
}

/** `https://…/c/file.csv;managed_identity=system` → the URL and its credential suffix. */
export function parseStorageRef(text: string): StorageRef {
  const [url, ...options] = text.split(';');
  let parsed: URL;
  try {
    parsed = new URL(url!.trim());
  } catch {
    throw new KustoError('bad-request', `'${redact(text)}' is not a storage URL (https://<account>.blob.<suffix>/<container>/<path>).`);
  }
  if (parsed.protocol !== 'https:') throw new KustoError('bad-request', `Storage connection strings must use https; got '${parsed.protocol}'.`);
  const ref: StorageRef = { url: url!.trim() };
  for (const option of options) {
    const [k, v] = option.split('=', 2).map((s) => s.trim());
    if (k === undefined || k === '') continue;
    if (k.toLowerCase() === 'managed_identity') {
      if (!v) throw new KustoError('bad-request', "';managed_identity=' needs 'system' or the object id of a user-assigned identity.");
      ref.identity = v.toLowerCase();
    } else if (k.toLowerCase() === 'impersonate') {
      ref.impersonate = true;
    } else {
      throw new KustoError(
        'bad-request',
        `The storage connection string option '${k}' is not supported by Keyless; use ';managed_identity=system|<object id>'.`,
      );
    }
  }
  return ref;
}

/** A connection string without its credentials, for messages. */
export const redact = (text: string) => text.split(';')[0]!.split('?')[0]!;

/** Refuses `;impersonate`: Keyless flows act only as a managed identity. */
export function refuseImpersonation(ref: StorageRef): void {
  if (ref.impersonate) throw new KustoError('bad-request', "';impersonate' is not supported by Keyless; use ';managed_identity=system|<object id>'.");
}

/** Path-style URLs (an IP address or localhost) carry the account as their first segment. */
const isPathStyle = (u: URL) => /^(\d+\.\d+\.\d+\.\d+|localhost|\[.*\])$/.test(u.hostname);

/** The URL of blob `name` (a full name within the container) given a container or folder URL. */
export function blobUrl(base: string, name: string): string {
  const u = new URL(base);
  const segments = u.pathname.split('/').filter((s) => s !== '');
  // Path-style URLs carry the account first; the container follows.
  const containerDepth = isPathStyle(u) ? 2 : 1;
  const container = segments.slice(0, containerDepth).join('/');
  return `${u.origin}/${container}/${name.split('/').map(encodeURIComponent).join('/')}`;
}
