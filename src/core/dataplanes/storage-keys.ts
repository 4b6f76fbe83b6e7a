/**
 * Storage account keys (key1, key2): 64 random bytes in base64, as Azure shows them. Shared Key
 * signatures need the key itself, so it is stored sealed with the server's key encryption key (like
 * token-signing keys), bound to its account and name: a database copy reveals no key, and a sealed
 * value moved to another row does not open.
 */
import { randomBytes } from 'node:crypto';
import { isoTime, type Clock } from '../clock.js';

export interface StorageAccountKeyRecord {
  /** Account name, lower-case. */
  account: string;
  keyName: 'key1' | 'key2';
  sealedValue: string;
  createdAt: string;
}

export interface StorageAccountKeyRepository {
  list(account: string): Promise<StorageAccountKeyRecord[]>;
  /** Creates or replaces the key. */
  put(record: StorageAccountKeyRecord): Promise<void>;
  deleteAccount(account: string): Promise<number>;
}

/** Seals and opens short secrets (src/crypto/key-sealing.ts implements it). */
export interface ValueSealing {
  seal(plain: string): string;
  open(sealed: string): string;
}

export interface StorageAccountKey {
  keyName: 'key1' | 'key2';
  value: string;
  permissions: 'FULL';
  creationTime: string;
}

export const KEY_NAMES = ['key1', 'key2'] as const;

export function createStorageAccountKeys(deps: { keys: StorageAccountKeyRepository; sealing: ValueSealing; clock: Clock }) {
  const bind = (account: string, keyName: string) => `storage-account-key\0${account.toLowerCase()}\0${keyName}\0`;
  const seal = (account: string, keyName: string, value: string) => deps.sealing.seal(bind(account, keyName) + value);
  const open = (r: StorageAccountKeyRecord) => {
    const plain = deps.sealing.open(r.sealedValue);
    const prefix = bind(r.account, r.keyName);
    if (!plain.startsWith(prefix)) throw new Error(`the sealed key ${r.keyName} of storage account '${r.account}' belongs to another account`);
    return plain.slice(prefix.length);
  };
  const put = async (account: string, keyName: 'key1' | 'key2') => {
    const value = randomBytes(64).toString('base64');
    await deps.keys.put({ account: account.toLowerCase(), keyName, sealedValue: seal(account, keyName, value), createdAt: isoTime(deps.clock.now()) });
  };
  const list = async (account: string): Promise<StorageAccountKey[]> =>
    (await deps.keys.list(account.toLowerCase())).map((r) => ({ keyName: r.keyName, value: open(r), permissions: 'FULL' as const, creationTime: r.createdAt }));
  return {
    /** Creates key1 and key2 when the account has none (account creation). */
    async ensure(account: string): Promise<void> {
      const have = new Set((await deps.keys.list(account.toLowerCase())).map((r) => r.keyName));
      for (const name of KEY_NAMES) if (!have.has(name)) await put(account, name);
    },
    list,
    /** The key values, for Shared Key verification. */
    async values(account: string): Promise<Buffer[]> {
      return (await list(account)).map((k) => Buffer.from(k.value, 'base64'));
    },
    async regenerate(account: string, keyName: 'key1' | 'key2'): Promise<StorageAccountKey[]> {
      await put(account, keyName);
      return list(account);
    },
    remove: (account: string) => deps.keys.deleteAccount(account.toLowerCase()),
  };
}

export type StorageAccountKeys = ReturnType<typeof createStorageAccountKeys>;
