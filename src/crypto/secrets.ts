/**
 * Client secrets: generated here, shown once, stored only as a salted HMAC-SHA-256.
 * Why not scrypt/argon2: see docs/adr/0002-client-secrets.md (the secrets carry 256 random bits, so a
 * slow hash adds no protection and would cap the token endpoint).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientSecretHasher } from '../core/directory/secrets-port.js';

const SCHEME = 'hs256';
/** Entra's secrets carry a version marker after a three-character prefix (e.g. `abc8Q~…`). */
const MARKER = '8Q~';

/**
 * A new client secret shaped like Entra's (`xyz8Q~` followed by random characters): 46 characters of
 * which 256 bits are random (32 bytes, base64url). The first three characters are the hint Entra shows.
 */
export function generateClientSecret(): string {
  // A secret starting with '-' reads as an option on command lines (`az login … -p <secret>`): draw again.
  // This drops one first character in 64, which leaves the other 255.9 bits of randomness as they were.
  let random = randomBytes(32).toString('base64url');
  while (random.startsWith('-')) random = randomBytes(32).toString('base64url');
  return random.slice(0, 3) + MARKER + random.slice(3);
}

/** `hs256$<salt>$<digest>`: HMAC-SHA-256 keyed by a random 128-bit salt, both base64url. */
export function hashClientSecret(secret: string): string {
  const salt = randomBytes(16);
  return `${SCHEME}$${salt.toString('base64url')}$${digest(salt, secret).toString('base64url')}`;
}

/** True when `secret` matches `hash`; compares in constant time, and is false for any malformed hash. */
export function verifyClientSecret(secret: string, hash: string): boolean {
  const parts = hash.split('$');
  if (parts.length !== 3 || parts[0] !== SCHEME) return false;
  const salt = Buffer.from(parts[1]!, 'base64url');
  const expected = Buffer.from(parts[2]!, 'base64url');
  const actual = digest(salt, secret);
  return salt.length === 16 && expected.length === actual.length && timingSafeEqual(expected, actual);
}

function digest(salt: Buffer, secret: string): Buffer {
  return createHmac('sha256', salt).update(secret, 'utf8').digest();
}

/** The three functions above as the directory's {@link ClientSecretHasher} port. */
export const clientSecretHasher: ClientSecretHasher = {
  generate: generateClientSecret,
  hash: hashClientSecret,
  verify: verifyClientSecret,
};
