/**
 * The README's managed-identity quick start, run as written: examples/create-vm.mjs against a
 * running server, `npx keyless agent`, then examples/get-token.mjs with the printed variables.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { startAgentProcess, type RunningAgent } from './agent-process.js';

const run = promisify(execFile);

describe('README managed-identity quick start', () => {
  let kl: RunningKeyless;
  let agent: RunningAgent | undefined;
  before(async () => {
    kl = await startKeyless();
  });
  after(async () => {
    await agent?.stop();
    await kl?.dispose();
  });

  it('creates a VM, starts the agent, and gets a token with ManagedIdentityCredential', async () => {
    const created = await run(process.execPath, [join(ROOT, 'examples/create-vm.mjs'), kl.dataDir], { cwd: ROOT });
    const vmId = created.stdout.trim();
    assert.match(vmId, /^\/subscriptions\/[0-9a-f-]+\/resourceGroups\/myResourceGroup\/providers\/Microsoft\.Compute\/virtualMachines\/myVM$/);
    const clientId = /client id: (\S+)/.exec(created.stderr)?.[1];
    assert.ok(clientId);

    agent = await startAgentProcess(['--data-dir', kl.dataDir, '--resource', vmId, '--port', '0']);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(AZURE_|IDENTITY_|MSI_|IMDS_ENDPOINT)/.test(k)) env[k] = v;
    env.AZURE_POD_IDENTITY_AUTHORITY_HOST = agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;

    const system = JSON.parse((await run(process.execPath, [join(ROOT, 'examples/get-token.mjs')], { cwd: ROOT, env })).stdout) as { xms_mirid: string };
    assert.equal(system.xms_mirid.toLowerCase(), vmId.toLowerCase());
    const user = JSON.parse((await run(process.execPath, [join(ROOT, 'examples/get-token.mjs'), clientId], { cwd: ROOT, env })).stdout) as {
      appid: string;
      xms_mirid: string;
    };
    assert.equal(user.appid, clientId);
    assert.match(user.xms_mirid, /\/userAssignedIdentities\/myIdentity$/);
  });
});
