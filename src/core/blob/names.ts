/**
 * Azure's naming rules for containers and blobs ("Naming and referencing containers, blobs, and
 * metadata"): containers 3–63 characters of lower-case letters, digits and single hyphens, starting
 * and ending with a letter or digit (`$root`, `$web`, `$logs` too); blob names 1–1024 characters.
 */
import { BlobError } from './errors.js';

const CONTAINER = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;
const SPECIAL_CONTAINERS = new Set(['$root', '$web', '$logs']);
export const MAX_BLOB_NAME = 1024;
/** Metadata names are C# identifiers (Azure's rule). */
const METADATA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkContainerName(name: string): string {
  if (SPECIAL_CONTAINERS.has(name)) return name;
  if (name.length < 3 || name.length > 63) throw new BlobError('OutOfRangeInput', `The container name '${name.slice(0, 80)}' must be 3 to 63 characters long.`);
  if (!CONTAINER.test(name))
    throw new BlobError(
      'InvalidResourceName',
      `The container name '${name}' may contain only lower-case letters, digits and single hyphens, and must start and end with a letter or digit.`,
    );
  return name;
}

export function checkBlobName(name: string): string {
  if (name.length === 0 || name.length > MAX_BLOB_NAME) throw new BlobError('OutOfRangeInput', `A blob name must be 1 to ${MAX_BLOB_NAME} characters long.`);
  // Control characters cannot travel in a URL path unencoded and Azure refuses them.
  if (/[\u0000-\u001f\u007f\\]/.test(name)) throw new BlobError('InvalidResourceName', 'The blob name contains a control character or a backslash.');
  return name;
}

/** A Data Lake path: no empty, `.` or `..` segments (hierarchical namespace rule). */
export function checkPathName(name: string): string {
  checkBlobName(name);
  if (name.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new BlobError('InvalidResourceName', `The path '${name.slice(0, 200)}' has an empty, '.' or '..' segment.`);
  }
  return name;
}

export function checkMetadata(metadata: Record<string, string>): Record<string, string> {
  let size = 0;
  for (const [k, v] of Object.entries(metadata)) {
    if (!METADATA_NAME.test(k)) throw new BlobError('InvalidHeaderValue', `The metadata name '${k.slice(0, 80)}' is not a valid C# identifier.`);
    size += k.length + v.length;
  }
  if (size > 8192) throw new BlobError('InvalidHeaderValue', 'Metadata may total at most 8 KiB.');
  return metadata;
}

/** Block ids: base64, at most 64 bytes decoded (Azure's rule). */
export function checkBlockId(id: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(id) || id.length === 0 || Buffer.from(id, 'base64').length > 64) {
    throw new BlobError('InvalidBlockId', `The block id '${id.slice(0, 100)}' is not base64 of at most 64 bytes.`);
  }
  return id;
}
