/**
 * Signing keys at rest. The database holds each private key sealed with AES-256-GCM under a key
 * encryption key (KEK) kept outside it: a copy of the database alone does not let anyone sign tokens.
 * The KEK comes from KEYLESS_KEY_ENCRYPTION_KEY (servers sharing one PostgreSQL database must share
 * it) or, when that is unset, from `<data-dir>/signing-keys.kek`, created on first start (0600).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'kek1';

export interface KeySealing {
  /** Short fingerprint of the KEK, stored with each sealed key to explain a mismatch. */
  readonly fingerprint: string;
  seal(privateKeyPem: string): string;
  /** Opens a sealed key; a key stored before sealing existed (plain PEM) is returned as it is. */
  open(stored: string): string;
}

export class KeySealingError extends Error {
  override name = 'KeySealingError';
}

export function createKeySealing(kek: Buffer): KeySealing {
  if (kek.length !== 32) throw new KeySealingError('the key encryption key must be 32 bytes');
  const fingerprint = createHash('sha256').update(kek).digest('base64url').slice(0, 8);
  return {
    fingerprint,
    seal(pem) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', kek, iv);
      cipher.setAAD(Buffer.from(PREFIX));
      const body = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
      return [PREFIX, fingerprint, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(stored) {
      if (stored.startsWith('-----BEGIN')) return stored;
      const [prefix, print, iv, tag, body] = stored.split('.');
      if (prefix !== PREFIX || !iv || !tag || !body) throw new KeySealingError('a stored signing key has an unknown format');
      if (print !== fingerprint) {
        throw new KeySealingError(
          `the signing keys in the database are sealed with another key encryption key (${print}, this server has ${fingerprint}): servers sharing a database need the same KEYLESS_KEY_ENCRYPTION_KEY`,
        );
      }
      const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(PREFIX));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** Parses KEYLESS_KEY_ENCRYPTION_KEY: 32 bytes, base64 or base64url. */
export function parseKeyEncryptionKey(raw: string): Buffer {
  const key = Buffer.from(raw.trim(), 'base64url');
  if (key.length !== 32) throw new KeySealingError('KEYLESS_KEY_ENCRYPTION_KEY must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)');
  return key;
}

/** The KEK from the setting, else from the data dir (created on first start, owner-only). */
export async function loadKeyEncryptionKey(dataDir: string, configured: string | undefined): Promise<Buffer> {
  if (configured) return parseKeyEncryptionKey(configured);
  const file = join(dataDir, 'signing-keys.kek');
  try {
    return parseKeyEncryptionKey(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  await writeFile(file, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
