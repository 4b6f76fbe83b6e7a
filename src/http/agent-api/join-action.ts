/**
 * The ARM action that admits a host agent: `POST {vmId}/keylessAgentJoin?api-version=…` returns a
 * one-time join token bound to that virtual machine (docs/adr/0004-host-attestation.md). It is a
 * Keyless extension of Microsoft.Compute, shaped like Azure's own VM actions (`runCommand`,
 * `generalize`): RBAC action `Microsoft.Compute/virtualMachines/keylessAgentJoin/action`, which the
 * Owner and Contributor roles include (their actions are a wildcard) and Reader does not (read only).
 */
import type { HostAttestation } from '../../core/hosts/host-attestation.js';
import { DomainError } from '../../core/errors.js';
import { providerResourceId } from '../../core/resource-id.js';
import { defineRoute, type ArmProvider } from '../arm/route.js';
import { AGENT_API_PREFIX } from '../../contract/agent-api.js';

/** The Compute api-versions the join action accepts (the GA versions of virtualMachines since 2022). */
export const AGENT_JOIN_API_VERSIONS = [
  '2022-03-01', '2022-08-01', '2022-11-01', '2023-03-01', '2023-07-01', '2023-09-01',
  '2024-03-01', '2024-07-01', '2024-11-01', '2025-04-01',
] as const;

export const AGENT_JOIN_ACTION = 'Microsoft.Compute/virtualMachines/keylessAgentJoin/action';

/** What the action returns. */
export interface AgentJoinResult {
  /** `kjt.<id>.<secret>`: pass it to `keyless agent --join-token`; valid once, for 10 minutes. */
  joinToken: string;
  /** ISO-8601 expiry of the join token. */
  expiresOn: string;
  resourceId: string;
  /** Base URL of the agent API on this server. */
  agentEndpoint: string;
}

export function agentJoinProvider(hosts: Pick<HostAttestation, 'issueJoinToken'>): ArmProvider {
  return {
    namespace: 'Microsoft.Compute',
    routes: [
      defineRoute({
        method: 'POST',
        path: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/keylessAgentJoin',
        operationId: 'VirtualMachines_KeylessAgentJoin',
        action: AGENT_JOIN_ACTION,
        apiVersions: AGENT_JOIN_API_VERSIONS,
        handler: async (ctx) => {
          const subscription = ctx.subscription!;
          const group = ctx.params['resourceGroupName']!;
          const name = ctx.params['vmName']!;
          const id = providerResourceId(subscription.id, group, 'Microsoft.Compute', 'virtualMachines', name);
          const issued = await hosts.issueJoinToken(id, subscription.tenantId).catch((error: unknown) => {
            if (error instanceof DomainError && error.code === 'ResourceNotFound') {
              // ARM's wording for a missing resource.
              throw new DomainError('ResourceNotFound', `The Resource 'Microsoft.Compute/virtualMachines/${name}' under resource group '${group}' was not found.`);
            }
            throw error;
          });
          const body: AgentJoinResult = {
            joinToken: issued.joinToken, expiresOn: issued.expiresOn, resourceId: issued.resource.id,
            agentEndpoint: `${ctx.baseUrl}${AGENT_API_PREFIX}`,
          };
          return { status: 200, body, headers: { 'cache-control': 'no-store' } };
        },
      }),
    ],
  };
}
