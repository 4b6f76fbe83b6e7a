/**
 * Failures of the host-agent surface. They have their own closed code union (not ARM's), because the
 * agent API is Keyless's own protocol between the server and its agents; the agent maps each code to
 * what Azure's IMDS answers (src/agent/upstream.ts).
 */

export const HOST_ERROR_STATUS = {
  /** Missing, malformed, unknown or revoked host key; or the host resource is gone. */
  HostUnauthorized: 401,
  /** The join token is malformed, unknown, expired or already used. */
  JoinTokenRefused: 401,
  /** The identity asked for is not assigned to the host resource now. */
  IdentityNotFound: 404,
  /** The audience is not a URI or GUID (Entra's AADSTS500011 / IMDS `invalid_resource`). */
  InvalidResource: 400,
  InvalidRequest: 400,
} as const;

export type HostErrorCode = keyof typeof HOST_ERROR_STATUS;

/** An expected refusal; `message` is safe to show to the agent (and to its local callers). */
export class HostError extends Error {
  readonly code: HostErrorCode;

  constructor(code: HostErrorCode, message: string) {
    super(message);
    this.name = 'HostError';
    this.code = code;
  }

  get status(): number {
    return HOST_ERROR_STATUS[this.code];
  }
}

export function isHostError(value: unknown): value is HostError {
  return value instanceof HostError;
}
