/**
 * What the server stores to recognise a host agent (docs/adr/0004-host-attestation.md): one-time
 * join tokens minted by an ARM action on the compute resource, and the host keys they are exchanged
 * for. Neither record holds the credential itself, only its salted hash.
 */

/** A one-time, short-lived credential bound to one compute resource. */
export interface JoinTokenRecord {
  /** Random id, the public half of the token (`kjt.<id>.<secret>`). */
  id: string;
  /** The compute resource (e.g. a virtual machine) the token admits an agent for. */
  resourceId: string;
  /** `createdAt` of that resource when the token was minted: a re-created namesake is another host. */
  resourceCreatedAt: string;
  tenantId: string;
  /** `hs256$salt$digest` of the secret half (src/crypto/secrets.ts). */
  hash: string;
  createdAt: string;
  expiresAt: string;
  /** Set once when the token is exchanged; a used token never works again. */
  usedAt: string | null;
}

/** The long-lived credential of one host agent, bound to one compute resource. */
export interface HostKeyRecord {
  /** Random id, the public half of the key (`khk.<id>.<secret>`). */
  id: string;
  resourceId: string;
  resourceCreatedAt: string;
  tenantId: string;
  hash: string;
  /** The join token it was exchanged for (audit). */
  joinTokenId: string;
  createdAt: string;
}

/** Storage of join tokens and host keys (implemented in src/storage/repositories/host-credentials.ts). */
export interface HostCredentialRepository {
  insertJoinToken(token: JoinTokenRecord): Promise<void>;
  getJoinToken(id: string): Promise<JoinTokenRecord | undefined>;
  /**
   * Marks the token used, atomically: true for exactly one caller, and only while it is unused and
   * `now` (ISO) is before its expiry. This is what makes a join token single-use under concurrency.
   */
  consumeJoinToken(id: string, now: string): Promise<boolean>;
  /** Removes join tokens that expired before `before` (used or not). */
  deleteExpiredJoinTokens(before: string): Promise<number>;
  insertHostKey(key: HostKeyRecord): Promise<void>;
  getHostKey(id: string): Promise<HostKeyRecord | undefined>;
  /** Revokes every host key bound to `resourceId` (case-insensitive). */
  deleteHostKeysOf(resourceId: string): Promise<number>;
}
