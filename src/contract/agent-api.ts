/**
 * The wire of the agent API (`/keyless/agent/v1`), Keyless's own protocol between the server and its
 * host agents; shared by the server plugin and the agent's upstream client (src/agent/upstream-http.ts).
 */
import type { HostErrorCode } from '../core/hosts/host-errors.js';

export const AGENT_API_PREFIX = '/keyless/agent/v1';

/** `Authorization: KeylessHost <host key>` on every call but `join`. */
export const HOST_AUTH_SCHEME = 'KeylessHost';

/** Longest a watch may be held open, ms; clients ask for less (default 25 s, under common proxy idle timeouts). */
export const MAX_WATCH_MS = 60_000;
export const DEFAULT_WATCH_MS = 25_000;

export interface JoinRequest {
  joinToken: string;
}
export interface JoinResponse {
  hostKey: string;
  resourceId: string;
  tenantId: string;
}

export interface TokenRequest {
  identity: { kind: 'system' } | { kind: 'clientId' | 'objectId' | 'resourceId'; value: string };
  resource: string;
}

export interface TokenResponse {
  accessToken: string;
  expiresOn: number;
  notBefore: number;
  clientId: string;
  objectId: string;
  identityResourceId: string;
}

export interface IdentitiesResponse {
  version: string;
  identities: Array<{ clientId: string; objectId: string; resourceId: string; system: boolean }>;
}

/** The refusal codes of the agent API (a closed union shared by server and agent). */
export type { HostErrorCode };

/** Every error: `{"error":{"code","message"}}`, like ARM's envelope. */
export interface AgentApiErrorBody {
  error: { code: HostErrorCode; message: string };
}

/**
 * The api-version every host type's join action (`POST {host id}/keylessAgentJoin`) accepts besides
 * its own type's: `keyless agent` joins any declared host type with it.
 */
export const AGENT_JOIN_API_VERSION = '2024-07-01';

/** What the join action returns. */
export interface AgentJoinResult {
  /** `kjt.<id>.<secret>`: pass it to `keyless agent --join-token`; valid once, for 10 minutes. */
  joinToken: string;
  /** ISO-8601 expiry of the join token. */
  expiresOn: string;
  resourceId: string;
  /** Base URL of the agent API on this server. */
  agentEndpoint: string;
}
