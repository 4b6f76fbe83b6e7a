/** Checks of agent API request bodies and queries: a clear 400 for anything malformed. */
import { HostError } from '../../core/hosts/host-errors.js';
import type { ManagedIdentitySelector } from '../../core/tokens/managed-identity.js';
import { DEFAULT_WATCH_MS, MAX_WATCH_MS, type JoinRequest } from '../../contract/agent-api.js';

const invalid = (message: string) => new HostError('InvalidRequest', message);

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

export function readJoinRequest(body: unknown): JoinRequest {
  const { joinToken } = objectBody(body);
  if (typeof joinToken !== 'string' || joinToken.length === 0) throw invalid("The body must carry 'joinToken' (a string).");
  return { joinToken };
}

const SELECTOR_KINDS = new Set(['system', 'clientId', 'objectId', 'resourceId']);

export function parseTokenRequest(body: unknown): { identity: ManagedIdentitySelector; resource: string } {
  const { identity, resource } = objectBody(body);
  if (typeof resource !== 'string') throw invalid("The body must carry 'resource' (a string).");
  if (typeof identity !== 'object' || identity === null) throw invalid("The body must carry 'identity' ({kind, value}).");
  const { kind, value } = identity as Record<string, unknown>;
  if (typeof kind !== 'string' || !SELECTOR_KINDS.has(kind)) throw invalid("'identity.kind' must be one of system, clientId, objectId, resourceId.");
  if (kind === 'system') return { identity: { kind: 'system' }, resource };
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) throw invalid("'identity.value' must be a non-empty string.");
  return { identity: { kind: kind as 'clientId' | 'objectId' | 'resourceId', value }, resource };
}

export function parseWatchQuery(query: Record<string, unknown>): { since: string | undefined; timeoutMs: number } {
  const since = typeof query['since'] === 'string' && query['since'] !== '' ? query['since'] : undefined;
  const raw = query['timeoutMs'];
  if (raw === undefined) return { since, timeoutMs: DEFAULT_WATCH_MS };
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0 || n > MAX_WATCH_MS)
    throw invalid(`'timeoutMs' must be a whole number from 0 to ${MAX_WATCH_MS}.`);
  return { since, timeoutMs: n };
}
