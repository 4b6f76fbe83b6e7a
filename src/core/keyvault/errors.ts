/**
 * Key Vault's data-plane errors: `{"error":{"code","message","innererror":{"code"}}}` with Azure's
 * codes (Key Vault REST "Common error codes"; observed bodies of `az keyvault` and the SDKs).
 */
export type KeyVaultErrorCode =
  'Unauthorized' | 'Forbidden' | 'BadParameter' | 'SecretNotFound' | 'KeyNotFound' | 'Conflict' | 'NotFound' | 'MethodNotAllowed' | 'KeyDisabled' | 'Throttled';

const STATUS: Record<KeyVaultErrorCode, number> = {
  Unauthorized: 401,
  Forbidden: 403,
  BadParameter: 400,
  SecretNotFound: 404,
  KeyNotFound: 404,
  Conflict: 409,
  NotFound: 404,
  MethodNotAllowed: 405,
  KeyDisabled: 403,
  Throttled: 429,
};

export class KeyVaultError extends Error {
  readonly code: KeyVaultErrorCode;
  readonly status: number;
  readonly inner: string | undefined;
  constructor(code: KeyVaultErrorCode, message: string, inner?: string) {
    super(message);
    this.name = 'KeyVaultError';
    this.code = code;
    this.status = STATUS[code];
    this.inner = inner;
  }
}

export function isKeyVaultError(value: unknown): value is KeyVaultError {
  return value instanceof KeyVaultError;
}

export const notFound = (kind: 'secret' | 'key', name: string, version?: string) =>
  new KeyVaultError(
    kind === 'secret' ? 'SecretNotFound' : 'KeyNotFound',
    `A ${kind} with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault. If you recently deleted this ${kind} you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );

export const deletedNotFound = (kind: 'secret' | 'key', name: string) =>
  new KeyVaultError(kind === 'secret' ? 'SecretNotFound' : 'KeyNotFound', `Deleted ${kind} not found: ${name}`);

export const badParameter = (message: string) => new KeyVaultError('BadParameter', message);
