/**
 * Azure Storage's error codes the blob service produces, with their status and Azure's message
 * (Blob service error codes, learn.microsoft.com/rest/api/storageservices/blob-service-error-codes).
 * The blob and Data Lake surfaces render them as XML or JSON.
 */
export const BLOB_ERROR_CODES = {
  ContainerNotFound: [404, 'The specified container does not exist.'],
  ContainerAlreadyExists: [409, 'The specified container already exists.'],
  BlobNotFound: [404, 'The specified blob does not exist.'],
  BlobAlreadyExists: [409, 'The specified blob already exists.'],
  ResourceNotFound: [404, 'The specified resource does not exist.'],
  InvalidResourceName: [400, 'The specifed resource name contains invalid characters.'],
  OutOfRangeInput: [400, 'One of the request inputs is out of range.'],
  InvalidRange: [416, 'The range specified is invalid for the current size of the resource.'],
  ConditionNotMet: [412, 'The condition specified using HTTP conditional header(s) is not met.'],
  InvalidBlockList: [400, 'The specified block list is invalid.'],
  InvalidBlockId: [400, 'The specified blob or block content is invalid.'],
  InvalidXmlDocument: [400, 'XML specified is not syntactically valid.'],
  InvalidHeaderValue: [400, 'The value for one of the HTTP headers is not in the correct format.'],
  InvalidQueryParameterValue: [400, 'Value for one of the query parameters specified in the request URI is invalid.'],
  MissingRequiredHeader: [400, "An HTTP header that's mandatory for this request is not specified."],
  Md5Mismatch: [400, 'The MD5 value specified in the request did not match with the MD5 value calculated by the server.'],
  RequestBodyTooLarge: [413, 'The request body is too large and exceeds the maximum permissible limit.'],
  UnsupportedOperation: [400, 'The requested operation is not supported by Keyless.'],
  // Data Lake Gen2 (dfs endpoint)
  FilesystemNotFound: [404, 'The specified filesystem does not exist.'],
  FilesystemAlreadyExists: [409, 'The specified filesystem already exists.'],
  PathNotFound: [404, 'The specified path does not exist.'],
  PathAlreadyExists: [409, 'The specified path already exists.'],
  DirectoryNotEmpty: [409, 'The recursive query parameter value must be true to delete a non-empty directory.'],
  InvalidFlushPosition: [
    400,
    'The uploaded data is not contiguous or the position query parameter value is not equal to the length of the file after appending the uploaded data.',
  ],
  // Authentication and authorization
  NoAuthenticationInformation: [401, 'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.'],
  InvalidAuthenticationInfo: [401, 'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.'],
  AuthenticationFailed: [
    403,
    'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
  ],
  AuthorizationPermissionMismatch: [403, 'This request is not authorized to perform this operation using this permission.'],
  KeyBasedAuthenticationNotPermitted: [403, 'Key based authentication is not permitted on this storage account.'],
} as const satisfies Record<string, readonly [number, string]>;

export type BlobErrorCode = keyof typeof BLOB_ERROR_CODES;

export class BlobError extends Error {
  readonly code: BlobErrorCode;
  readonly status: number;
  /** Shown as `AuthenticationErrorDetail` (401/403 from authentication) or appended to the message. */
  readonly detail: string | undefined;

  constructor(code: BlobErrorCode, detail?: string) {
    super(BLOB_ERROR_CODES[code][1]);
    this.name = 'BlobError';
    this.code = code;
    this.status = BLOB_ERROR_CODES[code][0];
    this.detail = detail;
  }
}

export function isBlobError(value: unknown): value is BlobError {
  return value instanceof BlobError;
}
