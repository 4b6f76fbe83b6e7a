/**
 * What Keyless records about who did what: the Azure Activity Log's Administrative events (one per
 * step of an ARM control-plane write, and one per denied request) and Entra's sign-in events (one per
 * token issued or refused). Both are stored as the wire body the surfaces serve, plus the few keys
 * their filters need. See docs/adr/0016-activity-log.md.
 *
 * Nothing secret is ever part of an event: no token, no client secret, no assertion; the claims kept
 * are a fixed list of non-secret ones (see {@link KEPT_CLAIMS} in activity-events.ts).
 */
import type { Page, PageRequest } from '../model.js';

/** Azure's `LocalizableString`. */
export interface LocalizableString {
  value: string;
  localizedValue: string;
}

/** `EventData` of `activityLogs_API.json` (Microsoft.Insights 2015-04-01), as ARM serves it. */
export interface ActivityEventBody {
  authorization: { action: string; scope: string };
  caller: string;
  channels: 'Operation';
  claims: Record<string, string>;
  correlationId: string;
  description: string;
  eventDataId: string;
  eventName: LocalizableString;
  category: LocalizableString;
  httpRequest: { clientRequestId: string; clientIpAddress: string; method: string };
  id: string;
  level: 'Informational' | 'Warning' | 'Error';
  resourceGroupName: string;
  resourceProviderName: LocalizableString;
  resourceId: string;
  resourceType: LocalizableString;
  operationId: string;
  operationName: LocalizableString;
  properties: Record<string, string>;
  status: LocalizableString;
  subStatus: LocalizableString;
  eventTimestamp: string;
  submissionTimestamp: string;
  subscriptionId: string;
  tenantId: string;
}

/** One stored activity event: its body and the keys `$filter` matches on (case-folded by storage). */
export interface ActivityEvent {
  tenantId: string;
  subscriptionId: string;
  /** ISO 8601 with milliseconds in UTC (sorts as text). */
  eventTimestamp: string;
  eventDataId: string;
  body: ActivityEventBody;
}

/** Which events of one subscription a list asks for (every given condition must hold). */
export interface ActivityQuery {
  subscriptionId: string;
  /** Inclusive bounds, ISO 8601 with milliseconds in UTC. */
  from: string;
  to: string;
  resourceGroupName?: string;
  resourceId?: string;
  resourceProvider?: string;
  correlationId?: string;
  caller?: string;
  status?: string;
}

/** Activity events, newest first; paged by an opaque cursor. */
export interface ActivityEventRepository {
  insertMany(events: readonly ActivityEvent[]): Promise<void>;
  list(query: ActivityQuery, page: PageRequest): Promise<Page<ActivityEvent>>;
  /** Deletes events whose `eventTimestamp` is before `before`; returns how many. */
  deleteBefore(before: string): Promise<number>;
}

/** The kinds Entra's beta `signInEventTypes` distinguishes among non-user sign-ins. */
export type SignInEventType = 'servicePrincipal' | 'managedIdentity';

/**
 * One sign-in, as Keyless records it: a token issued (or refused) to an application or a managed
 * identity. Fields follow Graph's `signIn` resource (beta); see src/http/graph/sign-ins.ts for the body.
 */
export interface SignInEvent {
  id: string;
  /** ISO 8601 with milliseconds in UTC. */
  createdDateTime: string;
  tenantId: string;
  eventType: SignInEventType;
  /** The client's application (client) id; for a managed identity, the identity's client id. */
  appId: string;
  /** The signing-in service principal's object id (absent for an unknown client). */
  servicePrincipalId: string | null;
  /** The principal's display name when known. */
  servicePrincipalName: string | null;
  /** The audience asked for (`resource`, or the scope's resource). */
  resource: string;
  /** `clientSecret`, `clientAssertion`, `federatedIdentityCredential`, `managedIdentity`. */
  clientCredentialType: string;
  /** Who asked: the client's IP address as the server saw it ('' when it came from inside the server). */
  ipAddress: string;
  /** For a managed identity: the identity's ARM id, and the host resource whose agent asked. */
  managedIdentity?: { msiType: 'systemAssigned' | 'userAssigned'; associatedResourceId: string; hostResourceId: string | null };
  /** The token's `uti` (Entra's `uniqueTokenIdentifier`); null for a refused request. */
  uniqueTokenIdentifier: string | null;
  /** 0 on success; otherwise the AADSTS number of the error answered. */
  errorCode: number;
  failureReason: string | null;
  correlationId: string | null;
}

/** Which sign-ins of one tenant a list asks for. */
export interface SignInQuery {
  tenantId: string;
  from?: string;
  to?: string;
  appId?: string;
  servicePrincipalId?: string;
  eventTypes?: readonly SignInEventType[];
}

/** Sign-in events, newest first; paged by an opaque cursor. */
export interface SignInEventRepository {
  insertMany(events: readonly SignInEvent[]): Promise<void>;
  list(query: SignInQuery, page: PageRequest): Promise<Page<SignInEvent>>;
  deleteBefore(before: string): Promise<number>;
}
