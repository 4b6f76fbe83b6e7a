/**
 * Where a data-plane request is addressed (docs/adr/0011-data-planes.md):
 * - host-style, as Azure: `{account}.blob.<suffix>`, `{account}.dfs.<suffix>`, `{vault}.vault.<suffix>`
 *   (with a port when the server is not on 443), routed by the `Host` header;
 * - path-style, for storage only, on the server's own origin: `https://127.0.0.1:8443/{account}/…`
 *   (the storage SDKs read the account from the first path segment when the host is an IP or
 *   `localhost`). Key Vault cannot be path-style: its SDKs parse object ids as
 *   `{vault origin}/secrets/{name}/{version}`, so a vault needs an origin of its own.
 * Pure functions: no I/O.
 */

/** Which data plane a host-style name addresses. */
export type DataPlaneEndpoint = 'blob' | 'dfs' | 'vault';

export interface HostStyleTarget {
  endpoint: DataPlaneEndpoint;
  /** The account or vault name, lower-case. */
  name: string;
}

/** Storage account names: 3–24 lower-case letters and digits (Azure's rule). */
export const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
/** Vault names: 3–24 letters, digits and hyphens, starting with a letter, no trailing or double hyphen. */
export const VAULT_NAME = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){1,22}[a-zA-Z0-9]$/;

export interface DataPlaneAddressing {
  readonly suffix: string;
  /** The data plane a `Host` header names, or undefined for the server's own names. */
  hostStyle(hostHeader: string | undefined): HostStyleTarget | undefined;
  /** `https://{account}.{blob|dfs}.<suffix>[:port]/` as ARM's `primaryEndpoints` show it. */
  storageEndpoint(account: string, endpoint: 'blob' | 'dfs'): string;
  /** `https://{vault}.vault.<suffix>[:port]/` (the vault's `vaultUri`). */
  vaultUri(vault: string): string;
  /** `https://vault.<suffix>[:port]`: the resource Key Vault's challenge names (a parent domain of every vault's host). */
  vaultResource(): string;
  /** The path-style account URL on the server's own origin: `https://127.0.0.1:8443/{account}`. */
  pathStyleAccountUrl(account: string): string;
  /** TLS names the certificate must cover. */
  certificateNames(): string[];
}

/**
 * @param suffix the configured DNS suffix (`keyless.localhost`)
 * @param publicUrl the server's origin, read when URLs are built (the port is known after listen)
 */
export function createDataPlaneAddressing(suffix: string, publicUrl: () => string): DataPlaneAddressing {
  const lowerSuffix = suffix.toLowerCase();
  const tail = `.${lowerSuffix}`;
  const portPart = () => {
    const url = new URL(publicUrl());
    return url.port === '' || url.port === '443' ? '' : `:${url.port}`;
  };
  return {
    suffix: lowerSuffix,
    hostStyle(hostHeader) {
      if (!hostHeader) return undefined;
      const host = stripPort(hostHeader).toLowerCase().replace(/\.$/, '');
      if (!host.endsWith(tail)) return undefined;
      const labels = host.slice(0, -tail.length).split('.');
      if (labels.length !== 2) return undefined;
      const [name, kind] = labels as [string, string];
      if ((kind === 'blob' || kind === 'dfs') && STORAGE_ACCOUNT_NAME.test(name)) return { endpoint: kind, name };
      if (kind === 'vault' && VAULT_NAME.test(name)) return { endpoint: 'vault', name };
      return undefined;
    },
    storageEndpoint: (account, endpoint) => `https://${account}.${endpoint}.${lowerSuffix}${portPart()}/`,
    vaultUri: (vault) => `https://${vault.toLowerCase()}.vault.${lowerSuffix}${portPart()}/`,
    vaultResource: () => `https://vault.${lowerSuffix}${portPart()}`,
    pathStyleAccountUrl: (account) => `${publicUrl()}/${account}`,
    certificateNames: () => dataPlaneCertificateNames(lowerSuffix),
  };
}

/** The TLS names the data planes need under `suffix` (the listener's certificate covers them). */
export function dataPlaneCertificateNames(suffix: string): string[] {
  const s = suffix.toLowerCase();
  return [`*.blob.${s}`, `*.dfs.${s}`, `*.vault.${s}`, `vault.${s}`];
}

/** `host:port` or `[v6]:port` without the port. */
function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/**
 * First path segments the server's other surfaces own: a storage account with one of these names
 * could not be reached path-style, so the storage provider refuses them.
 */
export const RESERVED_ACCOUNT_NAMES: ReadonlySet<string> = new Set([
  'subscriptions',
  'providers',
  'tenants',
  'discovery',
  'common',
  'organizations',
  'consumers',
  'keyless',
  'metadata',
  'oauth2',
  'msi',
  // The Kusto data plane's path-style clusters (`/kusto/{cluster}`, docs/adr/0015-kusto.md).
  'kusto',
]);
