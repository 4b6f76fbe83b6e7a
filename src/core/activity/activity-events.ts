/**
 * Turns the outcome of one ARM request into Activity Log events, as Azure writes them
 * (learn.microsoft.com/azure/azure-monitor/essentials/activity-log-schema, "Administrative category"):
 * - a write, delete or action that reached its provider: a `Started` event (`BeginRequest`) and, with
 *   the same `correlationId` and `operationId`, the outcome (`EndRequest`): `Succeeded`, or `Failed`
 *   (level `Error`, `statusMessage` carrying ARM's error body); a 202 is `Accepted` then `Succeeded`
 *   (Keyless completes long-running operations before it answers);
 * - a request RBAC refused (`AuthorizationFailed`, before anything ran): one `Failed` event; a
 *   refusal after RBAC let it through (a bad body, `LinkedAuthorizationFailed`) is Started + Failed;
 * - a read is recorded only when it was denied (403): Azure keeps reads out of the log; a denied read
 *   is what an operator investigating a breach looks for.
 * Requests without an authenticated caller (401) or without a subscription of the caller's tenant are
 * not recorded: they never reached the subscription (and anyone could fill the log with them).
 *
 * `caller` is the principal's object id: for service principals and managed identities Azure shows
 * the object id (MicrosoftDocs/azure-docs#56412: the GUID in `caller` matches `Get-AzADServicePrincipal`'s `Id`).
 */
import type { IdGenerator } from '../ids.js';
import type { ActivityEvent, ActivityEventBody, LocalizableString } from './model.js';

/** What the ARM surface knows about a request once it has answered. */
export interface ArmRequestOutcome {
  tenantId: string;
  subscriptionId: string;
  /** HTTP method as sent (upper case). */
  method: string;
  /** The normalised request path (the scope RBAC checked). */
  path: string;
  /** The RBAC action of the route, e.g. `Microsoft.Compute/virtualMachines/write`. */
  action: string;
  callerObjectId: string;
  /** The verified token's claims; only {@link KEPT_CLAIMS} are recorded. */
  claims: Record<string, unknown>;
  correlationId: string;
  /** `x-ms-request-id` the server answered with. */
  requestId: string;
  /** `x-ms-client-request-id` the client sent, if any. */
  clientRequestId: string | undefined;
  clientIp: string;
  status: number;
  /** ARM's error body's `code` and `message` when the answer was an error. */
  error?: { code: string; message: string };
  /** True when RBAC let the request through to its provider's handler. */
  reachedHandler: boolean;
  /** Milliseconds since the epoch. */
  startedAt: number;
  finishedAt: number;
}

const WRITE_METHODS = new Set(['PUT', 'PATCH', 'DELETE', 'POST']);

/** True when the outcome belongs in the Activity Log (see the module comment). */
export function isRecorded(outcome: Pick<ArmRequestOutcome, 'method' | 'status'>): boolean {
  return WRITE_METHODS.has(outcome.method.toUpperCase()) || outcome.status === 403;
}

/**
 * Token claims that say who called and how, and are not secret. Azure writes some under their SAML
 * names; the opaque `aio` and `rh` are left out, and the token itself is never recorded.
 */
export const KEPT_CLAIMS: Readonly<Record<string, string>> = {
  aud: 'aud',
  iss: 'iss',
  iat: 'iat',
  nbf: 'nbf',
  exp: 'exp',
  appid: 'appid',
  appidacr: 'appidacr',
  azp: 'azp',
  azpacr: 'azpacr',
  idtyp: 'idtyp',
  ver: 'ver',
  uti: 'uti',
  xms_mirid: 'xms_mirid',
  oid: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  tid: 'http://schemas.microsoft.com/identity/claims/tenantid',
  idp: 'http://schemas.microsoft.com/identity/claims/identityprovider',
  sub: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
};

export function keptClaims(claims: Record<string, unknown>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, azureName] of Object.entries(KEPT_CLAIMS)) {
    const value = claims[name];
    if (typeof value === 'string' || typeof value === 'number') kept[azureName] = String(value);
  }
  return kept;
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'NoContent',
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  412: 'PreconditionFailed',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** `subStatus` as Azure writes it: `Created` / `Created (HTTP Status Code: 201)`. */
export function subStatusOf(status: number): LocalizableString {
  const name = STATUS_NAMES[status] ?? String(status);
  return { value: name, localizedValue: `${name} (HTTP Status Code: ${status})` };
}

const text = (value: string): LocalizableString => ({ value, localizedValue: value });

/** .NET ticks (100 ns since 0001-01-01), as Azure's event ids end with. */
export function ticksOf(ms: number): string {
  return (BigInt(ms) * 10_000n + 621_355_968_000_000_000n).toString();
}

/** The resource an action is about: a POST action's path without its verb segment. */
export function resourceOf(outcome: Pick<ArmRequestOutcome, 'method' | 'path' | 'action'>): string {
  const path = outcome.path.replace(/\/+$/, '');
  if (outcome.method.toUpperCase() === 'POST' && /\/action$/i.test(outcome.action)) return path.slice(0, path.lastIndexOf('/')) || path;
  return path;
}

/** `Microsoft.Compute/virtualMachines/write` → `Microsoft.Compute/virtualMachines`; `…/listKeys/action` → its type. */
export function resourceTypeOfAction(action: string): string {
  const parts = action.split('/');
  const verbs = /\/action$/i.test(action) ? 2 : 1;
  return parts.slice(0, Math.max(1, parts.length - verbs)).join('/');
}

function resourceGroupOf(path: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(path)?.[1] ?? '';
}

/** The events one outcome is recorded as, oldest first (empty when it is not recorded). */
export function activityEventsFor(outcome: ArmRequestOutcome, ids: IdGenerator): ActivityEvent[] {
  if (!isRecorded(outcome)) return [];
  const resourceId = resourceOf(outcome);
  const resourceType = resourceTypeOfAction(outcome.action);
  const operationId = ids.newGuid();
  const succeeded = outcome.status >= 200 && outcome.status < 300;
  const base = {
    authorization: { action: outcome.action, scope: outcome.path },
    caller: typeof outcome.claims['upn'] === 'string' ? (outcome.claims['upn'] as string) : outcome.callerObjectId,
    channels: 'Operation' as const,
    claims: keptClaims(outcome.claims),
    correlationId: outcome.correlationId,
    description: '',
    category: text('Administrative'),
    httpRequest: { clientRequestId: outcome.clientRequestId ?? '', clientIpAddress: outcome.clientIp, method: outcome.method.toUpperCase() },
    resourceGroupName: resourceGroupOf(outcome.path),
    resourceProviderName: text(outcome.action.split('/')[0]!),
    resourceId,
    resourceType: text(resourceType),
    operationId,
    operationName: text(outcome.action),
    subscriptionId: outcome.subscriptionId,
    tenantId: outcome.tenantId,
  };
  const properties = (extra: Record<string, string>): Record<string, string> => ({
    eventCategory: 'Administrative',
    entity: resourceId,
    message: outcome.action,
    hierarchy: `${outcome.tenantId}/${outcome.subscriptionId}`,
    serviceRequestId: outcome.requestId,
    ...extra,
  });
  const event = (
    at: number,
    status: string,
    eventName: 'BeginRequest' | 'EndRequest',
    subStatus: LocalizableString,
    level: ActivityEventBody['level'],
    props: Record<string, string>,
  ): ActivityEvent => {
    const eventDataId = ids.newGuid();
    const eventTimestamp = new Date(at).toISOString();
    const body: ActivityEventBody = {
      ...base,
      eventDataId,
      eventName: { value: eventName, localizedValue: eventName === 'BeginRequest' ? 'Begin request' : 'End request' },
      id: `${resourceId}/events/${eventDataId}/ticks/${ticksOf(at)}`,
      level,
      properties: props,
      status: text(status),
      subStatus,
      eventTimestamp,
      submissionTimestamp: new Date(outcome.finishedAt).toISOString(),
    };
    return { tenantId: outcome.tenantId, subscriptionId: outcome.subscriptionId, eventTimestamp, eventDataId, body };
  };

  const end = outcome.finishedAt;
  const failed = () =>
    event(
      end,
      'Failed',
      'EndRequest',
      subStatusOf(outcome.status),
      'Error',
      properties({
        statusCode: subStatusOf(outcome.status).value,
        ...(outcome.error ? { statusMessage: JSON.stringify({ error: { code: outcome.error.code, message: outcome.error.message.slice(0, 1000) } }) } : {}),
      }),
    );
  if (!outcome.reachedHandler) return [failed()];
  const started = event(outcome.startedAt, 'Started', 'BeginRequest', text(''), 'Informational', properties({}));
  if (!succeeded) return [started, failed()];
  const done = (status: number) =>
    event(end, 'Succeeded', 'EndRequest', subStatusOf(status), 'Informational', properties({ statusCode: subStatusOf(status).value }));
  if (outcome.status === 202) {
    const accepted = event(end, 'Accepted', 'EndRequest', subStatusOf(202), 'Informational', properties({ statusCode: 'Accepted' }));
    return [started, accepted, done(200)];
  }
  return [started, done(outcome.status)];
}
