/** What the Microsoft.Storage and Microsoft.KeyVault providers need from the data planes. */
import type { DataPlaneAddressing } from './addressing.js';
import type { ValueSealing } from './storage-keys.js';

export interface DataPlaneProviderDeps {
  /** Endpoints (`primaryEndpoints`, `vaultUri`) under the configured DNS suffix. */
  addressing: DataPlaneAddressing;
  /** Seals storage account keys (the server's key encryption key). */
  sealing: ValueSealing;
}
