/**
 * `keyless keys rotate`: an operator's rotation of the token-signing keys, on the store of a data dir
 * or a PostgreSQL URL, with no server needed (src/crypto/key-ring.ts, rotateSigningKeys). Wired here,
 * next to `startServer`, because only the server layer may open storage. The new key is sealed with
 * the servers' key encryption key, which must already exist: a new one would seal a key no server
 * can open.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type ServerConfig } from '../config/config.js';
import { systemClock } from '../core/clock.js';
import { createKeySealing, loadKeyEncryptionKey } from '../crypto/key-sealing.js';
import { rotateSigningKeys, type RotationReport } from '../crypto/key-ring.js';
import { openStore } from '../storage/store.js';
import { sqliteFile } from './data-dir.js';

export class RotationSetupError extends Error {
  override name = 'RotationSetupError';
}

export async function rotateStoreKeys(options: { dataDir?: string | undefined; databaseUrl?: string | undefined }): Promise<RotationReport> {
  const config: ServerConfig = loadConfig({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
  if (!config.keyEncryptionKey) {
    const kekFile = join(config.dataDir, 'signing-keys.kek');
    await access(kekFile).catch(() => {
      throw new RotationSetupError(
        `no key encryption key: set KEYLESS_KEY_ENCRYPTION_KEY as the servers have it, or point --data-dir at a server's data dir (${kekFile} is missing)`,
      );
    });
  }
  const sealing = createKeySealing(await loadKeyEncryptionKey(config.dataDir, config.keyEncryptionKey));
  if (!config.databaseUrl) {
    await access(sqliteFile(config.dataDir)).catch(() => {
      throw new RotationSetupError(`no Keyless database in ${config.dataDir}: start a server there first, or give --database-url`);
    });
  }
  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: sqliteFile(config.dataDir) });
  try {
    // A wrong key encryption key is found before anything is written: it must open the stored keys.
    const stored = await store.signingKeys.list();
    for (const key of stored) {
      try {
        sealing.open(key.privateKeyPem);
      } catch {
        throw new RotationSetupError(`the key encryption key does not open signing key '${key.kid}': use the one the servers on this database use`);
      }
    }
    return await rotateSigningKeys({
      store,
      clock: systemClock,
      sealing,
      policy: {
        periodSeconds: config.keyRotationSeconds,
        maxTokenLifetimeSeconds: Math.max(config.appTokenLifetimeSeconds, config.managedIdentityTokenLifetimeSeconds),
      },
    });
  } finally {
    await store.close();
  }
}
