/**
 * Graph `GET /auditLogs/signIns` (v1.0 and beta): the sign-in events of the caller's tenant, newest
 * first, `$filter` (createdDateTime ge|le, appId eq, servicePrincipalId eq, beta's signInEventTypes),
 * `$top` (≤ 1000) and `@odata.nextLink` paging. Directory administrators only (ADR 0006): anyone else
 * gets Graph's 403 `Authorization_RequestDenied`, as Entra answers callers without AuditLog.Read.All.
 *
 * Fields served, from Graph's `signIn` resource (learn.microsoft.com/graph/api/resources/signin, beta):
 * id, createdDateTime, appId, appDisplayName, servicePrincipalId, servicePrincipalName, ipAddress,
 * correlationId, isInteractive (false), resourceDisplayName and resourceId (the audience asked for;
 * resourceId only when it is an application id GUID), resourceTenantId, homeTenantId, status
 * {errorCode, failureReason, additionalDetails}, signInEventTypes (`servicePrincipal` or
 * `managedIdentity`), clientCredentialType, managedServiceIdentity {msiType, associatedResourceId,
 * federatedTokenId, federatedTokenIssuer}, uniqueTokenIdentifier (the token's `uti`), tokenIssuerType,
 * conditionalAccessStatus (`notApplied`), and the user fields empty (Keyless has no users).
 * `associatedResourceId` is the host resource whose agent asked (a VM, an AKS node pool) when known,
 * else the identity itself; the identity's own ARM id is also given as `managedServiceIdentity.
 * identityResourceId` (a Keyless addition). Both versions serve the same body: Keyless has no
 * interactive user sign-ins, so v1.0's default (user sign-ins) would always be empty.
 */
import type { FastifyInstance } from 'fastify';
import type { ActivityLog } from '../../core/activity/activity-log.js';
import type { SignInEvent } from '../../core/activity/model.js';
import { parseSignInFilter, parseTop, SignInQueryError } from '../../core/activity/sign-in-filter.js';
import { insufficientPrivileges } from '../../core/directory/applications.js';
import { isDomainError } from '../../core/errors.js';
import { isGuid } from '../../core/ids.js';
import type { VerifiedCaller } from '../../core/ports.js';
import { GraphError } from './requests.js';

export interface SignInReadDeps {
  log: Pick<ActivityLog, 'listSignIns'>;
  /** Object ids of the directory administrators (the bootstrap admin: ADR 0006). */
  administrators(): readonly string[];
}

export function registerSignInRoutes(app: FastifyInstance, deps: SignInReadDeps, context: (fragment: string) => string, baseUrl: () => string): void {
  app.get('/auditLogs/signIns', async (request) => {
    const caller: VerifiedCaller = request.graphCaller!;
    if (!deps.administrators().some((a) => a.toLowerCase() === caller.objectId.toLowerCase())) throw insufficientPrivileges();
    const params = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
    const get = (name: string) => [...params].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    let page;
    try {
      const query = parseSignInFilter(get('$filter'), caller.tenantId);
      const top = parseTop(get('$top'));
      const token = get('$skiptoken');
      page = await deps.log.listSignIns(query, { limit: top, ...(token ? { after: token } : {}) });
    } catch (error) {
      if (error instanceof SignInQueryError) throw new GraphError(400, 'BadRequest', error.message);
      if (isDomainError(error) && error.kind !== 'unauthenticated') throw new GraphError(400, 'BadRequest', error.message);
      throw error;
    }
    const body: Record<string, unknown> = { '@odata.context': context('auditLogs/signIns'), value: page.items.map(signInBody) };
    if (page.next !== undefined) {
      const next = new URL(`${baseUrl()}${request.url.split('?')[0]}`);
      for (const name of ['$filter', '$top']) {
        const value = get(name);
        if (value !== undefined) next.searchParams.set(name, value);
      }
      next.searchParams.set('$skiptoken', page.next);
      body['@odata.nextLink'] = next.toString();
    }
    return body;
  });
}

/** A sign-in event as Graph's `signIn` resource. */
export function signInBody(e: SignInEvent): Record<string, unknown> {
  const mi = e.managedIdentity;
  return {
    id: e.id,
    createdDateTime: e.createdDateTime,
    appId: e.appId,
    appDisplayName: e.servicePrincipalName,
    servicePrincipalId: e.servicePrincipalId ?? '',
    servicePrincipalName: e.servicePrincipalName,
    ipAddress: e.ipAddress,
    correlationId: e.correlationId,
    isInteractive: false,
    resourceDisplayName: e.resource,
    resourceId: isGuid(e.resource) ? e.resource : null,
    resourceTenantId: e.tenantId,
    homeTenantId: e.tenantId,
    userId: '',
    userDisplayName: null,
    userPrincipalName: null,
    status: { errorCode: e.errorCode, failureReason: e.failureReason ?? 'Other.', additionalDetails: null },
    signInEventTypes: [e.eventType],
    clientCredentialType: e.clientCredentialType,
    managedServiceIdentity: {
      msiType: mi ? mi.msiType : 'none',
      associatedResourceId: mi ? (mi.hostResourceId ?? mi.associatedResourceId) : null,
      identityResourceId: mi ? mi.associatedResourceId : null,
      federatedTokenId: null,
      federatedTokenIssuer: null,
    },
    uniqueTokenIdentifier: e.uniqueTokenIdentifier,
    tokenIssuerType: 'AzureAD',
    conditionalAccessStatus: 'notApplied',
  };
}
