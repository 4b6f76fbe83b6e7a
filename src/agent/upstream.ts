/**
 * The port through which the host agent reaches the Keyless server. The agent never decides on its
 * own that an identity may be used: the server checks, at issue time, that the identity is assigned
 * to the host's compute resource. The agent only caches what the server issued and forgets it as soon
 * as the watched identity set says the identity is gone.
 *
 * Implementations: `src/agent/upstream-http.ts` (HTTPS against the server, with the host credential)
 * and `test/support/agent-upstream.ts` (in-process, for tests).
 */

/** Which identity a local process asks for: the host's system-assigned one, or a user-assigned one by id. */
export type IdentitySelector = { kind: 'system' } | { kind: 'clientId' | 'objectId' | 'resourceId'; value: string };

/** A token issued by the server for one identity and one resource (audience). */
export interface UpstreamToken {
  /** The signed JWT. Never logged. */
  accessToken: string;
  /** Expiry, Unix seconds (the JWT's `exp`). */
  expiresOn: number;
  /** Start of validity, Unix seconds (the JWT's `nbf`). */
  notBefore: number;
  /** The identity's client (application) id. */
  clientId: string;
  /** The identity's principal (object) id: the cache key of the agent. */
  objectId: string;
  /** The user-assigned identity's ARM id, or the host resource's id for the system-assigned identity (`xms_mirid`). */
  identityResourceId: string;
}

/** One identity assigned to the host resource, as the server reports it. */
export interface AssignedIdentity {
  clientId: string;
  objectId: string;
  /** ARM id of the user-assigned identity; the host resource's id when `system` is true. */
  resourceId: string;
  /** True for the host resource's system-assigned identity (at most one per set). */
  system: boolean;
}

/** A snapshot of the identities assigned to the host resource. */
export interface IdentitySnapshot {
  /** Opaque; changes whenever the set changes. Passed back as `since` on the next watch. */
  version: string;
  identities: AssignedIdentity[];
}

/**
 * Why the server refused. The agent maps each code to the answer Azure's IMDS gives:
 * - `IdentityNotFound`: the identity does not exist or is not assigned to this host now → 400 `Identity not found`.
 * - `InvalidResource`: unknown resource / audience → 400 `invalid_resource` with the server's message.
 * - `HostUnauthorized`: the host credential was refused (host resource deleted, credential revoked);
 *   the agent drops every cached token and answers `Identity not found`.
 * - `Unavailable`: the server could not be reached or failed → 500 JSON, the SDKs retry.
 */
/** What the server refused, carried by code from the agent API's error body (src/contract/agent-api.ts). */
export type UpstreamErrorCode = 'IdentityNotFound' | 'InvalidResource' | 'InvalidRequest' | 'HostUnauthorized' | 'Unavailable';

/** A refusal from the server; `message` is safe to show to the local caller. */
export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;

  constructor(code: UpstreamErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UpstreamError';
    this.code = code;
  }
}

/** Type guard for {@link UpstreamError}. */
export function isUpstreamError(value: unknown): value is UpstreamError {
  return value instanceof UpstreamError;
}

/** What the agent needs from the Keyless server. */
export interface AgentUpstream {
  /**
   * Issues a token for `identity` and `resource` (the audience exactly as the caller sent it, with no
   * `/.default`). Rejects with {@link UpstreamError}: `IdentityNotFound` when the identity is unknown or
   * not assigned to the host resource at this moment, `InvalidResource`, `HostUnauthorized`, `Unavailable`.
   */
  getToken(request: { identity: IdentitySelector; resource: string }): Promise<UpstreamToken>;

  /**
   * Long-poll: resolves as soon as the set of identities assigned to the host resource has a version
   * other than `since` (at once when `since` is undefined or already stale), or after a server-chosen
   * timeout with the same version. Must reject promptly (any error) when `signal` aborts. Rejects with
   * `HostUnauthorized` when the host credential is refused, `Unavailable` on network failure.
   * The server must answer within 1 s of a change so that detach/delete reaches the agent in time.
   */
  watchIdentities(since: string | undefined, signal: AbortSignal): Promise<IdentitySnapshot>;
}
