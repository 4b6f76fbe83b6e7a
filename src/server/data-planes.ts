/**
 * Wiring of the data planes (docs/adr/0011-data-planes.md), called by the composition root: the
 * addressing under the configured DNS suffix, the directory of accounts and vaults, storage account
 * keys (sealed), the blob service, and the shared bearer + RBAC helper.
 */
import type { Clock } from '../core/clock.js';
import { createBlobService } from '../core/blob/blob-service.js';
import { createDataPlaneAddressing, type DataPlaneAddressing } from '../core/dataplanes/addressing.js';
import { createDataPlaneDirectory, type DataPlaneDirectory } from '../core/dataplanes/directory.js';
import { createStorageAccountKeys, type StorageAccountKeys, type ValueSealing } from '../core/dataplanes/storage-keys.js';
import type { AccessTokenVerifier, Store } from '../core/ports.js';
import type { AccessService } from '../core/rbac/access-service.js';
import { createDataAuthorizer } from '../dataplanes/auth.js';
import { createDataPlanes, type DataPlanes } from '../dataplanes/index.js';
import { createVaultService } from '../core/keyvault/vault-service.js';

export interface DataPlaneWiring {
  dataPlanes: DataPlanes;
  addressing: DataPlaneAddressing;
  directory: DataPlaneDirectory;
  storageKeys: StorageAccountKeys;
  /** Cloud-metadata suffixes (`storage`, `keyVaultDns`), with the port when it is not 443. */
  suffixes(): Record<string, string>;
}

export function createDataPlaneWiring(deps: {
  store: Store;
  clock: Clock;
  sealing: ValueSealing;
  access: AccessService;
  verifier: AccessTokenVerifier;
  baseUrl(): string;
  dnsSuffix: string;
}): DataPlaneWiring {
  const addressing = createDataPlaneAddressing(deps.dnsSuffix, deps.baseUrl);
  const directory = createDataPlaneDirectory({ store: deps.store, clock: deps.clock });
  const storageKeys = createStorageAccountKeys({ keys: deps.store.storageAccountKeys, sealing: deps.sealing, clock: deps.clock });
  const authorizer = createDataAuthorizer(deps.access);
  const dataPlanes = createDataPlanes({
    addressing,
    blob: {
      blobs: createBlobService({ store: deps.store, clock: deps.clock }),
      directory,
      verifier: deps.verifier,
      authorizer,
      accountKeys: (account) => storageKeys.values(account),
      clock: deps.clock,
      authorityHost: deps.baseUrl,
    },
    keyVault: {
      vaults: createVaultService({ objects: deps.store.vaultObjects, sealing: deps.sealing, clock: deps.clock }),
      directory,
      verifier: deps.verifier,
      authorizer,
      authorityHost: deps.baseUrl,
    },
  });
  return {
    dataPlanes,
    addressing,
    directory,
    storageKeys,
    suffixes() {
      const port = new URL(deps.baseUrl()).port;
      const withPort = port === '' || port === '443' ? '' : `:${port}`;
      return { storage: `${addressing.suffix}${withPort}`, keyVaultDns: `.vault.${addressing.suffix}${withPort}` };
    },
  };
}
