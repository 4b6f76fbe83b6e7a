/**
 * `az login --identity` on a Keyless host, through the agent both ways az 2.45 reaches a managed
 * identity: `MSI_ENDPOINT` (the VM-extension protocol the agent prints) on loopback, and IMDS at
 * `http://169.254.169.254` with no variable set — inside a network namespace this test creates, where
 * the agent listens on 169.254.169.254:80 (skipped with the reason where namespaces are not permitted).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDataDir, ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { startAgentProcess, type RunningAgent } from '../compat/agent-process.js';
import { azSession, azUnavailable, netnsUnavailable, ok, type AzSession } from './helpers.js';

const skip = azUnavailable();

interface Host {
  groupId: string;
  identityId: string;
  clientId: string;
  principalId: string;
  vmId: string;
}

/** As the admin: a group, a user-assigned identity with Reader on it, and a VM holding that identity and a system-assigned one. */
async function prepareHost(admin: AzSession, setupLines: string): Promise<Host> {
  ok(await admin.sh(`${setupLines}`), 'admin set-up');
  const group = ok(await admin.az(['group', 'create', '-n', 'hostGroup', '-l', 'westus2', '-o', 'json']), 'group').json;
  const identity = ok(await admin.az(['identity', 'create', '-n', 'hostIdentity', '-g', 'hostGroup', '-o', 'json']), 'identity').json;
  ok(
    await admin.az([
      'role',
      'assignment',
      'create',
      '--assignee-object-id',
      identity.principalId,
      '--assignee-principal-type',
      'ServicePrincipal',
      '--role',
      'Reader',
      '--scope',
      group.id,
      '-o',
      'none',
    ]),
    'Reader',
  );
  // `az vm` cannot run on Debian's packaging (its compute SDK lacks the api-version): az rest, as the README says.
  const body = JSON.stringify({
    location: 'westus2',
    properties: { hardwareProfile: { vmSize: 'Standard_B1s' } },
    identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [identity.id]: {} } },
  });
  const vm = ok(
    await admin.az([
      'rest',
      '--method',
      'put',
      '--url',
      `${group.id}/providers/Microsoft.Compute/virtualMachines/hostVM?api-version=2024-07-01`,
      '--body',
      body,
      '-o',
      'json',
    ]),
    'vm',
  ).json;
  return { groupId: group.id, identityId: identity.id, clientId: identity.clientId, principalId: identity.principalId, vmId: vm.id };
}

/** What an identity signed in with `az login --identity` may and may not do (Reader on hostGroup). */
async function checkRunsAsIdentity(s: AzSession, expectedInfo: string): Promise<void> {
  assert.equal(ok(await s.az(['account', 'show', '--query', 'user.assignedIdentityInfo', '-o', 'tsv']), 'account show').stdout.trim(), expectedInfo);
  assert.equal(ok(await s.az(['group', 'show', '-n', 'hostGroup', '--query', 'name', '-o', 'tsv']), 'group show').stdout.trim(), 'hostGroup');
  const denied = await s.az(['group', 'create', '-n', 'notAllowed', '-l', 'westus2']);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /\(AuthorizationFailed\)/);
  assert.doesNotMatch(denied.stderr, /Traceback/);
}

async function setupLinesFor(dataDir: string): Promise<string> {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/keyless.js'), 'az-setup', '--data-dir', dataDir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('az login --identity through the agent: MSI_ENDPOINT on loopback', { skip, timeout: 300_000 }, () => {
  let server: RunningKeyless;
  let agent: RunningAgent;
  let host: Host;

  before(async () => {
    server = await startKeyless({ via: 'node' });
    host = await prepareHost(await azSession(server), await setupLinesFor(server.dataDir));
    agent = await startAgentProcess(['--data-dir', server.dataDir, '--resource', host.vmId, '--port', '0']);
  });
  after(async () => {
    await agent?.stop();
    await server?.dispose();
  });

  it('prints MSI_ENDPOINT beside its other lines', () => {
    assert.match(agent.output(), /^export MSI_ENDPOINT=http:\/\/127\.0\.0\.1:\d+\/oauth2\/token$/m);
  });

  it('--username <client id> and <resource id> sign in as the user-assigned identity, limited by its role', async () => {
    const msi = /^export MSI_ENDPOINT=(.*)$/m.exec(agent.output())![1]!;
    const s = await azSession(server, { MSI_ENDPOINT: msi });
    ok(
      await s.sh(`${(await setupLinesFor(server.dataDir)).split('\n').slice(0, 3).join('\n')}\naz login --identity --username ${host.clientId} -o none`),
      'login by client id',
    );
    await checkRunsAsIdentity(s, `MSIClient-${host.clientId}`);
    ok(await s.az(['login', '--identity', '--username', host.identityId, '-o', 'none']), 'login by resource id');
    await checkRunsAsIdentity(s, `MSIResource-${host.identityId}`);
    // The system-assigned identity holds no role: az finds no subscription, as on an Azure VM.
    const system = await s.az(['login', '--identity']);
    assert.equal(system.code, 1);
    assert.match(system.stderr, /No access was configured for the VM/);
  });

  it('the legacy endpoint answers bad requests with IMDS errors (no token without the Metadata header or a resource)', async () => {
    const msi = /^export MSI_ENDPOINT=(.*)$/m.exec(agent.output())![1]!;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const noHeader = await fetch(msi, { method: 'POST', headers: form, body: 'resource=https://management.azure.com/' });
    assert.equal(noHeader.status, 400);
    assert.deepEqual(await noHeader.json(), { error: 'invalid_request', error_description: 'Required metadata header not specified' });
    const noResource = await fetch(msi, { method: 'POST', headers: { ...form, metadata: 'true' }, body: `client_id=${host.clientId}` });
    assert.equal(noResource.status, 400);
    const get = await fetch(msi, { headers: { metadata: 'true' } });
    assert.equal(get.status, 405);
    const stranger = await fetch(msi, {
      method: 'POST',
      headers: { ...form, metadata: 'true' },
      body: `resource=https://management.azure.com/&client_id=${crypto.randomUUID()}`,
    });
    assert.equal(stranger.status, 400);
    assert.equal(((await stranger.json()) as any).error_description, 'Identity not found');
    const good = await fetch(msi, {
      method: 'POST',
      headers: { ...form, metadata: 'true' },
      body: `resource=https://management.azure.com/&msi_res_id=${encodeURIComponent(host.identityId)}`,
    });
    assert.equal(good.status, 200);
    const body = (await good.json()) as any;
    assert.equal(body.client_id, host.clientId);
    assert.equal(body.resource, 'https://management.azure.com/');
  });
});

const nsSkip = skip ?? netnsUnavailable();

describe('az login --identity through IMDS at 169.254.169.254:80, no variable set (network namespace)', { skip: nsSkip, timeout: 300_000 }, () => {
  const ns = `kl${process.pid}`;
  let dataDir = '';
  const children: ChildProcess[] = [];
  let host: Host;

  const inNs = (args: string[], out: string[]) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    children.push(child);
    return child;
  };
  const until = async (what: string, check: () => Promise<boolean> | boolean, out: string[]) => {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what} not ready:\n${out.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    for (const args of [
      ['netns', 'add', ns],
      ['-n', ns, 'link', 'set', 'lo', 'up'],
      ['-n', ns, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo'],
    ]) {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
    }
    dataDir = await createDataDir();
    const serverOut: string[] = [];
    inNs([process.execPath, join(ROOT, 'bin/keyless.js'), 'serve', '--data-dir', dataDir, '--port', '0'], serverOut);
    await until(
      'keyless serve',
      async () =>
        readFile(join(dataDir, 'az-cloud.json')).then(
          () => true,
          () => false,
        ),
      serverOut,
    );
    host = await prepareHost(await azSession({ dataDir }, {}, ns), await setupLinesFor(dataDir));
    const agentOut: string[] = [];
    inNs(
      [process.execPath, join(ROOT, 'bin/keyless.js'), 'agent', '--data-dir', dataDir, '--resource', host.vmId, '--host', '169.254.169.254', '--port', '80'],
      agentOut,
    );
    await until('keyless agent', () => agentOut.join('').includes('export MSI_ENDPOINT='), agentOut);
  });
  after(async () => {
    for (const child of children) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    spawnSync('ip', ['netns', 'delete', ns]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('az reaches the agent at the hard-coded IMDS address: --username <client id> and <object id>', async () => {
    const s = await azSession({ dataDir }, {}, ns);
    const setup = (await setupLinesFor(dataDir)).split('\n').slice(0, 3).join('\n');
    ok(await s.sh(`${setup}\naz login --identity --username ${host.clientId} -o none`), 'login by client id');
    await checkRunsAsIdentity(s, `MSIClient-${host.clientId}`);
    // az 2.45 tries the id as a client id, reads IMDS's 400 "Bad Request", then tries it as an object id.
    ok(await s.az(['login', '--identity', '--username', host.principalId, '-o', 'none']), 'login by object id');
    await checkRunsAsIdentity(s, `MSIObject-${host.principalId}`);
  });
});
