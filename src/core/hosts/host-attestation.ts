/**
 * Host attestation (docs/adr/0004-host-attestation.md): a caller allowed to act on a compute resource
 * through ARM mints a one-time join token for it; the agent on that host exchanges the token for a
 * host key, and presents the key on every call. A key is good only while the resource it was issued
 * for exists: the resource is read on every use, and a deleted (or deleted and re-created) resource
 * revokes the keys bound to it.
 */
import { isoTime, type Clock } from '../clock.js';
import type { ClientSecretHasher } from '../directory/secrets-port.js';
import { DomainError } from '../errors.js';
import type { ResourceRecord } from '../model.js';
import type { Repositories } from '../ports.js';
import { HOST_KEY_PREFIX, JOIN_TOKEN_PREFIX, newCredential, parseCredential } from './credential-format.js';
import { HostError } from './host-errors.js';
import type { HostKeyRecord } from './host-records.js';
import type { HostTypes } from './host-types.js';

/** Azure-like lifetime for one-time enrolment secrets: long enough to copy to a host, short enough to leak harmlessly. */
export const JOIN_TOKEN_LIFETIME_SECONDS = 600;

export interface HostAttestationDeps {
  repos: Pick<Repositories, 'resources' | 'hostCredentials'>;
  /** The host resource types the providers declare. */
  hostTypes: Pick<HostTypes, 'isHost' | 'types'>;
  clock: Clock;
  /** Salted HMAC of high-entropy secrets (src/crypto/secrets.ts), as for client secrets. */
  hasher: Pick<ClientSecretHasher, 'hash' | 'verify'>;
  joinTokenLifetimeSeconds?: number;
}

/** A host whose key was just checked, with its resource as stored now. */
export interface AuthenticatedHost {
  keyId: string;
  tenantId: string;
  resource: ResourceRecord;
}

export interface HostAttestation {
  /** Mints a join token for `resourceId` (which must be an existing host resource). */
  issueJoinToken(resourceId: string, tenantId: string): Promise<{ joinToken: string; expiresOn: string; resource: ResourceRecord }>;
  /** Exchanges a join token (once) for a host key bound to the same resource. Throws HostError `JoinTokenRefused`. */
  exchangeJoinToken(joinToken: string): Promise<{ hostKey: string; resourceId: string; tenantId: string }>;
  /** Checks a host key and that its resource still exists. Throws HostError `HostUnauthorized`. */
  authenticate(hostKey: string): Promise<AuthenticatedHost>;
  /** The host resource as stored now, or undefined once it is gone (and its keys revoked). */
  currentResource(host: Pick<HostKeyRecord, 'resourceId' | 'resourceCreatedAt'>): Promise<ResourceRecord | undefined>;
}

// Verified against when the presented id is unknown, so that unknown and wrong keys take the same time.
const DUMMY_HASH = 'hs256$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function createHostAttestation(deps: HostAttestationDeps): HostAttestation {
  const { repos, clock, hasher } = deps;
  const lifetimeMs = (deps.joinTokenLifetimeSeconds ?? JOIN_TOKEN_LIFETIME_SECONDS) * 1000;
  const unauthorized = (why: string) => new HostError('HostUnauthorized', why);

  async function currentResource(host: Pick<HostKeyRecord, 'resourceId' | 'resourceCreatedAt'>): Promise<ResourceRecord | undefined> {
    const resource = await repos.resources.get(host.resourceId);
    // A resource deleted and created again under the same name is a different host.
    if (resource && resource.createdAt === host.resourceCreatedAt) return resource;
    await repos.hostCredentials.deleteHostKeysOf(host.resourceId);
    return undefined;
  }

  return {
    currentResource,

    async issueJoinToken(resourceId, tenantId) {
      const resource = await repos.resources.get(resourceId);
      if (!resource || !deps.hostTypes.isHost(resource.type)) {
        throw new DomainError(
          'ResourceNotFound',
          `The host resource '${resourceId}' was not found. Join tokens are issued for: ${deps.hostTypes.types.join(', ')}.`,
        );
      }
      const now = clock.now();
      const credential = newCredential(JOIN_TOKEN_PREFIX);
      const expiresOn = isoTime(now + lifetimeMs);
      await repos.hostCredentials.deleteExpiredJoinTokens(isoTime(now));
      await repos.hostCredentials.insertJoinToken({
        id: credential.id,
        resourceId: resource.id,
        resourceCreatedAt: resource.createdAt,
        tenantId,
        hash: hasher.hash(credential.secret),
        createdAt: isoTime(now),
        expiresAt: expiresOn,
        usedAt: null,
      });
      return { joinToken: credential.text, expiresOn, resource };
    },

    async exchangeJoinToken(joinToken) {
      const refused = new HostError(
        'JoinTokenRefused',
        'The join token is not valid: it is malformed, unknown, expired or already used. Ask for a new one with the keylessAgentJoin action on the host resource.',
      );
      const parsed = parseCredential(JOIN_TOKEN_PREFIX, joinToken);
      if (!parsed) throw refused;
      const record = await repos.hostCredentials.getJoinToken(parsed.id);
      if (!hasher.verify(parsed.secret, record?.hash ?? DUMMY_HASH) || !record) throw refused;
      const now = isoTime(clock.now());
      if (!(await repos.hostCredentials.consumeJoinToken(record.id, now))) throw refused;
      if (!(await currentResource(record))) throw refused;
      const key = newCredential(HOST_KEY_PREFIX);
      await repos.hostCredentials.insertHostKey({
        id: key.id,
        resourceId: record.resourceId,
        resourceCreatedAt: record.resourceCreatedAt,
        tenantId: record.tenantId,
        hash: hasher.hash(key.secret),
        joinTokenId: record.id,
        createdAt: now,
      });
      return { hostKey: key.text, resourceId: record.resourceId, tenantId: record.tenantId };
    },

    async authenticate(hostKey) {
      const parsed = parseCredential(HOST_KEY_PREFIX, hostKey);
      if (!parsed) throw unauthorized('The host key is malformed: expected khk.<id>.<secret>.');
      const record = await repos.hostCredentials.getHostKey(parsed.id);
      if (!hasher.verify(parsed.secret, record?.hash ?? DUMMY_HASH) || !record) throw unauthorized('The host key is not valid or has been revoked.');
      const resource = await currentResource(record);
      if (!resource) throw unauthorized(`The host resource '${record.resourceId}' no longer exists; its host keys are revoked.`);
      return { keyId: record.id, tenantId: record.tenantId, resource };
    },
  };
}
