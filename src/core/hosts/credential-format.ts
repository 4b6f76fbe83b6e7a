/**
 * The text form of host credentials: `<prefix>.<id>.<secret>`, both parts base64url. The id (96
 * random bits) finds the stored record; the secret (256 random bits) is checked against its salted
 * hash in constant time. The prefix says what the string is, so a key pasted in the wrong place is
 * refused with a clear message and secret scanners can recognise it.
 */
import { randomBytes } from 'node:crypto';

export type CredentialPrefix = 'kjt' | 'khk';

/** Keyless join token / Keyless host key. */
export const JOIN_TOKEN_PREFIX: CredentialPrefix = 'kjt';
export const HOST_KEY_PREFIX: CredentialPrefix = 'khk';

const PART = /^[A-Za-z0-9_-]+$/;
const MAX_LENGTH = 256;

export interface NewCredential {
  id: string;
  secret: string;
  /** What the holder presents: `<prefix>.<id>.<secret>`. */
  text: string;
}

export function newCredential(prefix: CredentialPrefix): NewCredential {
  const id = randomBytes(12).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, text: `${prefix}.${id}.${secret}` };
}

/** The id and secret of a credential of `prefix`, or undefined when `text` is not one. */
export function parseCredential(prefix: CredentialPrefix, text: string): { id: string; secret: string } | undefined {
  if (text.length > MAX_LENGTH) return undefined;
  const parts = text.split('.');
  if (parts.length !== 3 || parts[0] !== prefix || !PART.test(parts[1]!) || !PART.test(parts[2]!)) return undefined;
  return { id: parts[1]!, secret: parts[2]! };
}
