/**
 * A managed identity calling ARM with its own token from the agent: refused with AuthorizationFailed
 * (Azure's message, naming the identity and the action) until a role assignment is made, then allowed
 * at once — no waiting for propagation as on Azure.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ComputeManagementClient, type VirtualMachine } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { startAgentProcess, type RunningAgent } from './agent-process.js';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

describe('a managed identity calling ARM with its own token', () => {
  let kl: RunningKeyless;
  let agent: RunningAgent;
  let vm: VirtualMachine;
  let groupId: string;
  let authorization: AuthorizationManagementClient;

  before(async () => {
    kl = await startKeyless();
    const b = kl.bootstrap;
    const credential = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
    const resources = new ResourceManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
    groupId = (await resources.resourceGroups.createOrUpdate('mi-rbac-rg', { location: 'westus2' })).id!;
    vm = await new ComputeManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint }).virtualMachines.beginCreateOrUpdateAndWait(
      'mi-rbac-rg',
      'worker',
      { location: 'westus2', identity: { type: 'SystemAssigned' } },
      { updateIntervalInMs: 50 },
    );
    authorization = new AuthorizationManagementClient(credential, b.subscriptionId, { endpoint: b.armEndpoint });
    agent = await startAgentProcess(['--data-dir', kl.dataDir, '--resource', vm.id!, '--port', '0']);
  });
  after(async () => {
    await agent?.stop();
    await kl?.dispose();
  });

  async function readGroupAsWorkload(): Promise<{ ok: boolean; statusCode?: number; code?: string; message?: string; name?: string }> {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(AZURE_|IDENTITY_|MSI_|IMDS_ENDPOINT)/.test(k)) env[k] = v;
    env.AZURE_POD_IDENTITY_AUTHORITY_HOST = agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/compat/clients/arm-as-managed-identity.ts'), kl.bootstrap.armEndpoint, kl.bootstrap.subscriptionId, 'mi-rbac-rg'],
      { cwd: ROOT, env },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1)!);
  }

  it('is refused with AuthorizationFailed, then allowed as soon as Reader is assigned', async () => {
    const denied = await readGroupAsWorkload();
    assert.equal(denied.ok, false);
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.code, 'AuthorizationFailed');
    assert.match(denied.message!, new RegExp(`object id '${vm.identity!.principalId}'`));
    assert.match(denied.message!, /Microsoft\.Resources\/subscriptions\/resourceGroups\/read/);

    await authorization.roleAssignments.create(groupId, randomUUID(), {
      roleDefinitionId: `/subscriptions/${kl.bootstrap.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
      principalId: vm.identity!.principalId!,
      principalType: 'ServicePrincipal',
    });
    const allowed = await readGroupAsWorkload();
    assert.deepEqual(allowed, { ok: true, name: 'mi-rbac-rg' });
  });
});
