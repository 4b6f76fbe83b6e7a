/**
 * The ARM action that admits a host agent, generated for every declared host type:
 * `POST {host id}/keylessAgentJoin?api-version=…` returns a one-time join token bound to that resource
 * (docs/adr/0004-host-attestation.md). It is a Keyless extension shaped like Azure's own resource
 * actions (`runCommand`, `generalize`): RBAC action `{type}/keylessAgentJoin/action`, which Owner and
 * Contributor include (their actions are a wildcard) and Reader does not.
 */
import { AGENT_API_PREFIX, AGENT_JOIN_API_VERSION, type AgentJoinResult } from '../../contract/agent-api.js';
import type { HostAttestation } from '../../core/hosts/host-attestation.js';
import { DomainError } from '../../core/errors.js';
import { resourceNotFound } from '../../core/identities/tracked-resource.js';
import { defineRoute, type ArmRoute } from '../../http/arm/route.js';
import type { HostTypeEntry } from './declaration.js';

/** The RBAC action of a host type's join action. */
export const joinAction = (resourceType: string) => `${resourceType}/keylessAgentJoin/action`;

export function hostJoinRoute(host: HostTypeEntry, hosts: Pick<HostAttestation, 'issueJoinToken'>): ArmRoute {
  const [namespace, ...types] = host.resourceType.split('/');
  const names = types.map((_, i) => `name${i}`);
  const path = [
    '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers',
    namespace,
    ...types.flatMap((t, i) => [t, `{${names[i]}}`]),
    'keylessAgentJoin',
  ].join('/');
  return defineRoute({
    method: 'POST',
    path,
    operationId: `${types.map((t) => t[0]!.toUpperCase() + t.slice(1)).join('')}_KeylessAgentJoin`,
    action: joinAction(host.resourceType),
    apiVersions: [...new Set([...host.apiVersions, AGENT_JOIN_API_VERSION])],
    handler: async (ctx) => {
      const subscription = ctx.subscription!;
      const group = ctx.params['resourceGroupName']!;
      const id = [
        '/subscriptions',
        subscription.id,
        'resourceGroups',
        group,
        'providers',
        namespace,
        ...types.flatMap((t, i) => [t, ctx.params[names[i]!]!]),
      ].join('/');
      const issued = await hosts.issueJoinToken(id, subscription.tenantId).catch((error: unknown) => {
        // ARM's wording for a missing resource.
        if (error instanceof DomainError && error.code === 'ResourceNotFound') throw resourceNotFound(host.resourceType, ctx.params[names.at(-1)!]!, group);
        throw error;
      });
      const body: AgentJoinResult = {
        joinToken: issued.joinToken,
        expiresOn: issued.expiresOn,
        resourceId: issued.resource.id,
        agentEndpoint: `${ctx.baseUrl}${AGENT_API_PREFIX}`,
      };
      return { status: 200, body, headers: { 'cache-control': 'no-store' } };
    },
  });
}
