/**
 * What the HDInsight service does with a cluster's user-assigned identities, as that identity:
 * - Data Lake Storage Gen2: creates the cluster's file system and its default directories with a
 *   storage token of the identity (audience `https://storage.azure.com/`);
 * - Kafka BYOK / customer-managed keys: reads the key, wraps a fresh data-encryption key with it and
 *   unwraps it back, with a Key Vault token of the identity (audience `https://vault.azure.net`);
 *   only the wrapped form is kept; rotation unwraps with the old key and wraps with the new one.
 * Every call goes to the data planes through `ServiceCalls.dataPlane`: the same routes, token
 * verification and RBAC (or access-policy) decision as a customer's request, so removing the
 * identity's role makes these operations fail with the storage or Key Vault error, as in Azure.
 * (docs/adr/0014-hdinsight.md)
 */
import { randomBytes } from 'node:crypto';
import type { ServiceCalls, DataPlaneAnswer } from '../../core/tokens/service-identity.js';
import { HdInsightError } from './errors.js';

export const STORAGE_AUDIENCE = 'https://storage.azure.com/';
export const VAULT_AUDIENCE = 'https://vault.azure.net';
/** The Data Lake service version the service sends. */
const DFS_VERSION = '2023-11-03';
const KEY_VAULT_API = '7.4';
/** Directories HDInsight lays out in a new cluster's default file system. */
export const DEFAULT_DIRECTORIES = ['user', 'tmp', 'hdp'] as const;

/** The error's code and message from a data plane's JSON (Data Lake, Key Vault) or XML (Blob) body. */
export function planeError(answer: DataPlaneAnswer): string {
  const header = answer.headers['x-ms-error-code'];
  try {
    const parsed = JSON.parse(answer.body) as { error?: { code?: string; message?: string } };
    if (parsed.error?.code) return `${answer.status} ${parsed.error.code}: ${String(parsed.error.message ?? '').split('\n')[0]}`;
  } catch {
    /* not JSON */
  }
  const xml = /<Code>([^<]*)<\/Code>/.exec(answer.body);
  return `${answer.status} ${typeof header === 'string' ? header : (xml?.[1] ?? 'Error')}`;
}

/** Stored form of the data-encryption key: wrapped by the vault key, never in clear. */
export interface WrappedDataKey {
  kid: string;
  alg: string;
  value: string;
}

export interface KeyAddress {
  vaultUri: string;
  keyName: string;
  keyVersion?: string;
}

export function vaultOf(vaultUri: string): { name: string; host: string } {
  let url: URL;
  try {
    url = new URL(vaultUri);
  } catch {
    throw new HdInsightError('BadRequest', `The vaultUri '${vaultUri.slice(0, 200)}' is not a valid URL (e.g. https://myvault.vault.azure.net).`);
  }
  const name = url.hostname.split('.')[0]!;
  if (url.protocol !== 'https:' || !name)
    throw new HdInsightError('BadRequest', `The vaultUri '${vaultUri.slice(0, 200)}' is not a Key Vault URI (e.g. https://myvault.vault.azure.net).`);
  return { name, host: url.host };
}

/** The CMK failure text recorded from HDInsight (hdinsight-wire §7.2 #2), with what the vault answered. */
export function keyAccessFailed(key: KeyAddress, why: string): HdInsightError {
  return new HdInsightError(
    'BadRequest',
    `Please make sure to use only RSA or RSA-HSM keys. Error accessing key vault or appropriate key permissions are not set on the given disk encryption key, key vault: ${key.vaultUri}. key name:${key.keyName}. key version: ${key.keyVersion ?? ''}. (Key Vault answered: ${why})`,
  );
}

export function createClusterService(calls: ServiceCalls) {
  async function vaultCall(
    token: string,
    vault: { name: string; host: string },
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<DataPlaneAnswer> {
    return calls.dataPlane({
      method,
      url: `/.keyless-dataplane/vault/${encodeURIComponent(vault.name)}/${path}?api-version=${KEY_VAULT_API}`,
      headers: { authorization: `Bearer ${token}`, host: vault.host, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** The key's id after checking it exists, is RSA and the identity may read it. */
  async function readKey(token: string, key: KeyAddress): Promise<string> {
    const vault = vaultOf(key.vaultUri);
    const got = await vaultCall(
      token,
      vault,
      'GET',
      `keys/${encodeURIComponent(key.keyName)}${key.keyVersion ? `/${encodeURIComponent(key.keyVersion)}` : ''}`,
    );
    if (got.status !== 200) throw keyAccessFailed(key, planeError(got));
    const bundle = JSON.parse(got.body) as { key?: { kid?: string; kty?: string } };
    if (!bundle.key?.kid || !['RSA', 'RSA-HSM'].includes(String(bundle.key.kty))) throw keyAccessFailed(key, `the key type is '${String(bundle.key?.kty)}'`);
    return bundle.key.kid;
  }

  async function wrap(token: string, key: KeyAddress, kid: string, alg: string, plain: Buffer): Promise<WrappedDataKey> {
    const vault = vaultOf(key.vaultUri);
    const path = new URL(kid).pathname.replace(/^\//, '');
    const wrapped = await vaultCall(token, vault, 'POST', `${path}/wrapkey`, { alg, value: plain.toString('base64url') });
    if (wrapped.status !== 200) throw keyAccessFailed(key, planeError(wrapped));
    const value = (JSON.parse(wrapped.body) as { value: string }).value;
    return { kid, alg, value };
  }

  async function unwrap(token: string, key: KeyAddress, data: WrappedDataKey): Promise<Buffer> {
    const vault = vaultOf(key.vaultUri);
    const path = new URL(data.kid).pathname.replace(/^\//, '');
    const answer = await vaultCall(token, vault, 'POST', `${path}/unwrapkey`, { alg: data.alg, value: data.value });
    if (answer.status !== 200) throw keyAccessFailed(key, planeError(answer));
    return Buffer.from((JSON.parse(answer.body) as { value: string }).value, 'base64url');
  }

  return {
    /** Creates the file system (an existing one is kept) and the default directories, as the identity. */
    async createFileSystem(token: string, input: { account: string; fileSystem: string; identityId: string; accountId: string }): Promise<void> {
      const headers = { authorization: `Bearer ${token}`, 'x-ms-version': DFS_VERSION };
      const base = `/${input.account}/${encodeURIComponent(input.fileSystem)}`;
      const created = await calls.dataPlane({ method: 'PUT', url: `${base}?resource=filesystem`, headers });
      const failed = (answer: DataPlaneAnswer) =>
        new HdInsightError(
          'StoragePermissionsBlockedForMsi',
          `The Managed Identity could not use the storage account: ${planeError(answer)}. Please verify that 'Storage Blob Data Owner' role is assigned to the Managed Identity for the storage account. Storage: ${input.accountId}, Managed Identity: ${input.identityId}`,
        );
      if (created.status !== 201 && created.status !== 409) throw failed(created);
      for (const dir of DEFAULT_DIRECTORIES) {
        const made = await calls.dataPlane({ method: 'PUT', url: `${base}/${dir}?resource=directory`, headers });
        if (made.status !== 201 && made.status !== 200) throw failed(made);
      }
    },

    /** Checks the key and wraps a fresh 256-bit data-encryption key with it; the clear key is dropped. */
    async wrapNewDataKey(token: string, key: KeyAddress, alg: string): Promise<WrappedDataKey> {
      const kid = await readKey(token, key);
      const dek = randomBytes(32);
      try {
        const wrapped = await wrap(token, key, kid, alg, dek);
        // The service must also be able to unwrap (every node start does): prove it now.
        const back = await unwrap(token, key, wrapped);
        if (!back.equals(dek)) throw keyAccessFailed(key, 'the unwrapped key differs');
        return wrapped;
      } finally {
        dek.fill(0);
      }
    },

    /** Rotation: unwrap with the current key, wrap with the new one (both as the identity). */
    async rewrap(token: string, current: { key: KeyAddress; wrapped: WrappedDataKey }, next: KeyAddress, alg: string): Promise<WrappedDataKey> {
      const dek = await unwrap(token, current.key, current.wrapped);
      try {
        const kid = await readKey(token, next);
        return await wrap(token, next, kid, alg, dek);
      } finally {
        dek.fill(0);
      }
    },
  };
}

export type ClusterService = ReturnType<typeof createClusterService>;
