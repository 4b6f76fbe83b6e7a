/**
 * Which Blob / Data Lake operation a request is, and the RBAC permission Azure checks for it
 * ("Authorize access to blobs using Microsoft Entra ID", permissions for calling data operations):
 * container operations are authorized by the container *actions* (`…/containers/read|write|delete`,
 * which Owner and Contributor also hold), blob operations by the blob *data actions*
 * (`…/containers/blobs/read|write|delete|add/action`), which only the Storage Blob Data roles hold.
 */
import { BlobError } from '../../core/blob/errors.js';

const CONTAINERS = 'Microsoft.Storage/storageAccounts/blobServices/containers';
const BLOBS = `${CONTAINERS}/blobs`;

export type BlobOperationName =
  | 'ListContainers'
  | 'GetAccountInfo'
  | 'CreateContainer'
  | 'GetContainerProperties'
  | 'DeleteContainer'
  | 'SetContainerMetadata'
  | 'ListBlobs'
  | 'PutBlob'
  | 'PutBlock'
  | 'PutBlockList'
  | 'GetBlockList'
  | 'GetBlob'
  | 'GetBlobProperties'
  | 'DeleteBlob'
  | 'SetBlobProperties'
  | 'SetBlobMetadata'
  | 'CreateFilesystem'
  | 'DeleteFilesystem'
  | 'GetFilesystemProperties'
  | 'ListPaths'
  | 'CreatePath'
  | 'AppendData'
  | 'FlushData'
  | 'DeletePath'
  | 'GetPathProperties';

export interface BlobOperation {
  name: BlobOperationName;
  /** The permission checked with RBAC. */
  action: string;
  /** True: a data action (`dataActions`); false: an action. */
  data: boolean;
  /** Creates the blob when it does not exist yet: `blobs/add/action` then suffices instead of `write`. */
  mayCreate?: boolean;
  /** The Data Lake (dfs) API: JSON error bodies. */
  dfs: boolean;
  /** What the operation needs in the path. */
  level: 'account' | 'container' | 'blob';
}

const op = (name: BlobOperationName, action: string, data: boolean, level: BlobOperation['level'], extra: Partial<BlobOperation> = {}): BlobOperation => ({
  name,
  action,
  data,
  level,
  dfs: false,
  ...extra,
});

/**
 * Classifies a request by method, path depth and query (`restype`, `comp`, `resource`, `action`).
 * Throws UnsupportedOperation for what Keyless does not implement (leases, snapshots, SAS, …).
 */
export function classifyOperation(
  method: string,
  hasContainer: boolean,
  hasBlob: boolean,
  q: (name: string) => string | undefined,
  dfsHost: boolean,
): BlobOperation {
  const restype = q('restype')?.toLowerCase();
  const comp = q('comp')?.toLowerCase();
  const resource = q('resource')?.toLowerCase();
  const action = q('action')?.toLowerCase();
  const m = method.toUpperCase();
  const unsupported = () =>
    new BlobError(
      'UnsupportedOperation',
      `Keyless does not implement ${m} with ${[restype && `restype=${restype}`, comp && `comp=${comp}`, resource && `resource=${resource}`, action && `action=${action}`].filter(Boolean).join(', ') || 'these parameters'} on this path.`,
    );
  const dfs = dfsHost || resource !== undefined || action !== undefined;
  const D = { dfs: true };

  if (!hasContainer) {
    if (m === 'GET' && comp === 'list') return op('ListContainers', `${CONTAINERS}/read`, false, 'account');
    if ((m === 'GET' || m === 'HEAD') && restype === 'account' && comp === 'properties') return op('GetAccountInfo', `${CONTAINERS}/read`, false, 'account');
    throw unsupported();
  }
  if (!hasBlob) {
    if (resource === 'filesystem') {
      if (m === 'PUT') return op('CreateFilesystem', `${CONTAINERS}/write`, false, 'container', D);
      if (m === 'DELETE') return op('DeleteFilesystem', `${CONTAINERS}/delete`, false, 'container', D);
      if (m === 'HEAD') return op('GetFilesystemProperties', `${CONTAINERS}/read`, false, 'container', D);
      if (m === 'GET') return op('ListPaths', `${BLOBS}/read`, true, 'container', D);
      throw unsupported();
    }
    if (restype === 'container') {
      if (m === 'PUT' && comp === undefined) return op('CreateContainer', `${CONTAINERS}/write`, false, 'container', { dfs });
      if (m === 'PUT' && comp === 'metadata') return op('SetContainerMetadata', `${CONTAINERS}/write`, false, 'container');
      if ((m === 'GET' || m === 'HEAD') && (comp === undefined || comp === 'metadata'))
        return op('GetContainerProperties', `${CONTAINERS}/read`, false, 'container');
      if (m === 'DELETE' && comp === undefined) return op('DeleteContainer', `${CONTAINERS}/delete`, false, 'container');
      if (m === 'GET' && comp === 'list') return op('ListBlobs', `${BLOBS}/read`, true, 'container');
    }
    throw unsupported();
  }
  // A path below a container.
  if (dfs) {
    if (m === 'PUT' && (resource === 'file' || resource === 'directory')) return op('CreatePath', `${BLOBS}/write`, true, 'blob', { ...D, mayCreate: true });
    if (m === 'PATCH' && action === 'append') return op('AppendData', `${BLOBS}/write`, true, 'blob', D);
    if (m === 'PATCH' && action === 'flush') return op('FlushData', `${BLOBS}/write`, true, 'blob', D);
    if (m === 'DELETE') return op('DeletePath', `${BLOBS}/delete`, true, 'blob', D);
    if (m === 'HEAD' || (m === 'GET' && action === undefined && resource === undefined)) {
      return m === 'HEAD' ? op('GetPathProperties', `${BLOBS}/read`, true, 'blob', D) : op('GetBlob', `${BLOBS}/read`, true, 'blob', D);
    }
    throw unsupported();
  }
  if (m === 'PUT' && comp === undefined) return op('PutBlob', `${BLOBS}/write`, true, 'blob', { mayCreate: true });
  if (m === 'PUT' && comp === 'block') return op('PutBlock', `${BLOBS}/write`, true, 'blob', { mayCreate: true });
  if (m === 'PUT' && comp === 'blocklist') return op('PutBlockList', `${BLOBS}/write`, true, 'blob', { mayCreate: true });
  if (m === 'GET' && comp === 'blocklist') return op('GetBlockList', `${BLOBS}/read`, true, 'blob');
  if (m === 'GET' && comp === undefined) return op('GetBlob', `${BLOBS}/read`, true, 'blob');
  if (m === 'HEAD' && comp === undefined) return op('GetBlobProperties', `${BLOBS}/read`, true, 'blob');
  if (m === 'DELETE' && comp === undefined) return op('DeleteBlob', `${BLOBS}/delete`, true, 'blob');
  if (m === 'PUT' && comp === 'properties') return op('SetBlobProperties', `${BLOBS}/write`, true, 'blob');
  if (m === 'PUT' && comp === 'metadata') return op('SetBlobMetadata', `${BLOBS}/write`, true, 'blob');
  if ((m === 'GET' || m === 'HEAD') && comp === 'metadata') return op('GetBlobProperties', `${BLOBS}/read`, true, 'blob');
  throw unsupported();
}

/** `blobs/add/action`: creating a blob that does not exist yet (Storage Blob Data Contributor holds it). */
export const ADD_BLOB_ACTION = `${BLOBS}/add/action`;

/** The RBAC scope of an operation: the account's blob service, or one container in it. */
export function operationScope(accountId: string, container: string | undefined): string {
  const service = `${accountId}/blobServices/default`;
  return container === undefined ? service : `${service}/containers/${container}`;
}
