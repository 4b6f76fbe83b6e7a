/**
 * The AKS seed documents (002, 003, 004) with the real Azure CLI (Debian's az 2.45) against
 * `keyless serve`: every command verbatim where Debian's az can run it, outputs as the seeds show
 * them, get-credentials writing and merging the kubeconfig, identity updates with az's prompts, the
 * pre-assigned role steps Debian's az cannot write (shared/az-compat), and refusals that leave nothing
 * half-created (read back through ARM).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { azSession, azUnavailable, ok, type AzResult, type AzSession } from './helpers.js';

const skip = azUnavailable();

describe('the AKS seeds with the real az', { skip, timeout: 900_000 }, () => {
  let server: RunningKeyless;
  let admin: AzSession;
  let home: string;
  let sub: string;
  const json = (r: AzResult, what: string) => ok(r, what).json;
  const sh = (line: string) => admin.sh(line);

  before(async () => {
    server = await startKeyless({ via: 'node' });
    home = await mkdtemp(join(tmpdir(), 'keyless-aks-home-'));
    // az writes ~/.ssh/id_rsa (--generate-ssh-keys) and ~/.kube/config (get-credentials): a HOME of the test's own.
    admin = await azSession(server, { HOME: home });
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/keyless.js'), 'az-setup', '--data-dir', server.dataDir]);
    ok(await admin.sh(`${stdout}\naz account show -o none`), 'set-up lines');
    sub = server.bootstrap.subscriptionId;
  });
  after(async () => {
    await server?.dispose();
  });

  const armGet = async (path: string) => admin.az(['rest', '--method', 'get', '--url', `${path}${path.includes('?') ? '&' : '?'}api-version=2021-04-01`]);

  it('003: a system-assigned cluster — create, get-credentials, show the identity', async () => {
    ok(await sh('az account set --subscription ' + sub), 'account set');
    ok(await sh('az group create --name myResourceGroup --location westus2'), 'group create');
    const created = json(
      await sh('az aks create --resource-group myResourceGroup --name myManagedCluster --enable-managed-identity --generate-ssh-keys'),
      'aks create',
    );
    assert.equal(created.provisioningState, 'Succeeded');
    assert.equal(created.identity.type, 'SystemAssigned');
    // The seed's "successful cluster creation" output (002): `"clientId": "msi", "secret": null`.
    assert.deepEqual(created.servicePrincipalProfile, { clientId: 'msi', secret: null });
    assert.equal(created.nodeResourceGroup, 'MC_myResourceGroup_myManagedCluster_westus2');
    assert.match(
      created.identityProfile.kubeletidentity.resourceId,
      /\/resourcegroups\/MC_myResourceGroup_myManagedCluster_westus2\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/myManagedCluster-agentpool$/,
    );
    assert.ok((await stat(join(home, '.ssh', 'id_rsa.pub'))).isFile(), '--generate-ssh-keys wrote the key pair');
    assert.match(created.linuxProfile.ssh.publicKeys[0].keyData, /^ssh-rsa /);

    const creds = ok(await sh('az aks get-credentials --resource-group myResourceGroup --name myManagedCluster'), 'get-credentials');
    assert.match(creds.stderr, /Merged "myManagedCluster" as current context in .*\.kube\/config/);
    const kubeconfig = await readFile(join(home, '.kube', 'config'), 'utf8');
    assert.match(kubeconfig, /current-context: myManagedCluster/);
    assert.match(kubeconfig, /server: https:\/\/myManagedC-myResourceGroup-[0-9a-f]{6}-[0-9a-f]{8}\.hcp\.westus2\.azmk8s\.io:443/i);
    assert.equal((await stat(join(home, '.kube', 'config'))).mode & 0o777, 0o600);
    ok(
      await sh('az aks get-credentials --resource-group myResourceGroup --name myManagedCluster'),
      'get-credentials again: same objects, merged without a prompt',
    );
    const admin2 = ok(await sh('az aks get-credentials --resource-group myResourceGroup --name myManagedCluster --admin'), 'admin credentials');
    assert.match(admin2.stderr, /Merged "myManagedCluster-admin" as current context/);

    assert.deepEqual(json(await sh('az aks show --resource-group myResourceGroup --name myManagedCluster --query "servicePrincipalProfile"'), 'show sp'), {
      clientId: 'msi',
    });
    assert.equal(
      json(await sh('az aks show --resource-group myResourceGroup --name myManagedCluster --query identity.principalId'), 'show principal'),
      created.identity.principalId,
    );
    const identity = json(await sh('az aks show --resource-group myResourceGroup --name myManagedCluster --query "identity"'), 'show identity');
    assert.equal(identity.type, 'SystemAssigned');
    assert.equal(identity.tenantId, server.bootstrap.tenantId);

    const upgraded = json(
      await sh('az aks nodepool upgrade --resource-group myResourceGroup --cluster-name myManagedCluster --name nodepool1 --node-image-only'),
      'nodepool upgrade',
    );
    assert.equal(upgraded.name, 'nodepool1');
    assert.match(upgraded.nodeImageVersion, /^AKSUbuntu-2204gen2containerd-\d{6}\.\d{2}\.0$/);
  });
  it('002/004: the preview path, then `az aks create -g MyResourceGroup -n MyManagedCluster` (the group in another case) and its credentials', async () => {
    ok(await sh('az feature register --name MSIPreview --namespace Microsoft.ContainerService'), 'feature register');
    const table = ok(
      await sh(`az feature list -o table --query "[?contains(name, 'Microsoft.ContainerService/MSIPreview')].{Name:name,State:properties.state}"`),
      'feature list',
    );
    assert.match(table.stdout, /Microsoft\.ContainerService\/MSIPreview\s+Registered/);
    ok(await sh('az provider register --namespace Microsoft.ContainerService'), 'provider register');
    ok(await sh('az aks delete --resource-group myResourceGroup --name myManagedCluster --yes'), 'aks delete');
    assert.equal(
      ok(await sh('az group exists -n MC_myResourceGroup_myManagedCluster_westus2'), 'exists').stdout.trim(),
      'false',
      'the node resource group went with the cluster',
    );
    const created = json(await sh('az aks create -g MyResourceGroup -n MyManagedCluster --enable-managed-identity'), '002 create');
    assert.deepEqual(created.servicePrincipalProfile, { clientId: 'msi', secret: null });
    assert.equal(created.resourceGroup.toLowerCase(), 'myresourcegroup', 'the group of the walkthrough, whatever the case');
    const creds = ok(await sh('az aks get-credentials --resource-group myResourceGroup --name MyManagedCluster'), '002 get-credentials');
    assert.match(creds.stderr, /Merged "MyManagedCluster" as current context/);
    const kubeconfig = await readFile(join(home, '.kube', 'config'), 'utf8');
    assert.match(kubeconfig, /name: myManagedCluster\n/, 'the earlier cluster entry is kept (merged, not replaced)');
    assert.match(kubeconfig, /current-context: MyManagedCluster/);
    ok(await sh('az aks delete -g MyResourceGroup -n MyManagedCluster --yes'), 'delete');
  });

  let cp: any;
  let kubelet: any;
  let subnetId = '';

  it('003: bring your own control-plane and kubelet identities, in your own subnet (role steps pre-assigned)', async () => {
    cp = json(await sh('az identity create --name myIdentity --resource-group myResourceGroup'), 'identity');
    kubelet = json(await sh('az identity create --name myKubeletIdentity --resource-group myResourceGroup'), 'kubelet identity');
    for (const key of ['clientId', 'id', 'location', 'name', 'principalId', 'resourceGroup', 'tags', 'tenantId', 'type']) assert.ok(key in kubelet, key);
    // Debian's az 2.45 cannot load its network module at all ('NoneType' object has no attribute
    // 'standard_medium'), so the network is made with `az rest`, as `az network vnet create --subnet-name` sends it.
    const vnetUrl = `/subscriptions/${sub}/resourceGroups/myResourceGroup/providers/Microsoft.Network/virtualNetworks/myVnet`;
    ok(
      await admin.az([
        'rest',
        '--method',
        'put',
        '--url',
        `${vnetUrl}?api-version=2022-01-01`,
        '--body',
        JSON.stringify({
          location: 'westus2',
          properties: { addressSpace: { addressPrefixes: ['10.0.0.0/8'] }, subnets: [{ name: 'mySubnet', properties: { addressPrefix: '10.240.0.0/16' } }] },
        }),
      ]),
      'vnet create',
    );
    subnetId = ok(
      await admin.az(['rest', '--method', 'get', '--url', `${vnetUrl}/subnets/mySubnet?api-version=2022-01-01`, '--query', 'id', '-o', 'tsv']),
      'subnet show',
    ).stdout.trim();
    assert.match(subnetId, /\/virtualNetworks\/myVnet\/subnets\/mySubnet$/);
    // The two role steps az would make itself (it skips them when they exist; Debian's 2.45 cannot write them).
    ok(await sh(`az role assignment create --assignee ${cp.principalId} --role "Network Contributor" --scope ${subnetId}`), 'Network Contributor');
    ok(
      await sh(`az role assignment create --assignee ${cp.principalId} --role "Managed Identity Operator" --scope ${kubelet.id}`),
      'Managed Identity Operator',
    );

    const out = ok(
      await sh(
        `az aks create \\\n    --resource-group myResourceGroup \\\n    --name myManagedCluster \\\n    --network-plugin azure \\\n    --vnet-subnet-id ${subnetId} \\\n    --dns-service-ip 10.2.0.10 \\\n    --service-cidr 10.2.0.0/24 \\\n    --enable-managed-identity \\\n    --assign-identity ${cp.id} \\\n    --assign-kubelet-identity ${kubelet.id}`,
      ),
      'byo create',
    );
    const created = out.json;
    assert.equal(created.identity.type, 'UserAssigned');
    assert.equal(created.identity.principalId, null);
    assert.equal(created.identity.tenantId, null);
    assert.deepEqual(created.identity.userAssignedIdentities, { [cp.id]: { clientId: cp.clientId, principalId: cp.principalId } });
    assert.deepEqual(created.identityProfile, { kubeletidentity: { clientId: kubelet.clientId, objectId: kubelet.principalId, resourceId: kubelet.id } });
    assert.equal(created.agentPoolProfiles[0].vnetSubnetId, subnetId);
    assert.deepEqual(
      [created.networkProfile.networkPlugin, created.networkProfile.serviceCidr, created.networkProfile.dnsServiceIp],
      ['azure', '10.2.0.0/24', '10.2.0.10'],
    );
    assert.doesNotMatch(out.stderr, /Could not create a role assignment/);

    assert.deepEqual(json(await sh('az aks show --resource-group myResourceGroup --name myManagedCluster --query "servicePrincipalProfile"'), 'sp'), {
      clientId: 'msi',
    });
    const identity = json(await sh('az aks show --resource-group myResourceGroup --name myManagedCluster --query "identity"'), 'identity');
    assert.deepEqual(identity.userAssignedIdentities[cp.id], { clientId: cp.clientId, principalId: cp.principalId });
  });

  it("003: update the kubelet identity (az's prompt; --yes), nodes follow at once", async () => {
    const kubelet2 = json(await sh('az identity create --name myKubeletIdentity2 --resource-group myResourceGroup'), 'kubelet identity 2');
    ok(await sh(`az role assignment create --assignee ${cp.principalId} --role "Managed Identity Operator" --scope ${kubelet2.id}`), 'MIO 2');
    const line = `az aks update \\\n    --resource-group myResourceGroup \\\n    --name myManagedCluster \\\n    --enable-managed-identity \\\n    --assign-identity ${cp.id} \\\n    --assign-kubelet-identity ${kubelet2.id}`;
    const refused = await sh(line);
    assert.equal(refused.code, 1, 'without a terminal, az cannot ask its question');
    assert.match(refused.stderr, /NoTTYException/);
    assert.equal(
      json(await sh('az aks show -g myResourceGroup -n myManagedCluster --query identityProfile.kubeletidentity.resourceId'), 'unchanged'),
      kubelet.id,
      'nothing was sent',
    );
    const updated = json(await sh(`${line} --yes`), 'update with --yes');
    assert.deepEqual(updated.identityProfile.kubeletidentity, { clientId: kubelet2.clientId, objectId: kubelet2.principalId, resourceId: kubelet2.id });
    assert.equal(updated.identity.type, 'UserAssigned');
  });

  it('003: system-assigned → user-assigned (--assign-identity), with the prompt', async () => {
    const sys = json(await sh('az aks create -g myResourceGroup -n sysCluster --enable-managed-identity'), 'sys create');
    assert.equal(sys.identity.type, 'SystemAssigned');
    const refused = await sh(`az aks update -g myResourceGroup -n sysCluster --enable-managed-identity --assign-identity ${cp.id}`);
    assert.equal(refused.code, 1);
    const updated = json(await sh(`az aks update -g myResourceGroup -n sysCluster --enable-managed-identity --assign-identity ${cp.id} --yes`), 'sys → user');
    assert.equal(updated.identity.type, 'UserAssigned');
    assert.deepEqual(Object.keys(updated.identity.userAssignedIdentities), [cp.id]);
    assert.equal(updated.identityProfile.kubeletidentity.resourceId, sys.identityProfile.kubeletidentity.resourceId, 'the kubelet identity stays');
    const nodeGroup = `/subscriptions/${sub}/resourceGroups/MC_myResourceGroup_sysCluster_westus2`;
    const roles = json(
      await admin.az(['role', 'assignment', 'list', '--scope', nodeGroup, '--query', '[].{p:principalId,r:roleDefinitionName}', '-o', 'json']),
      'node group roles',
    );
    assert.deepEqual(roles, [{ p: cp.principalId, r: 'Contributor' }], 'Contributor moved to the new control-plane identity');
    const system = await admin.az([
      'rest',
      '--method',
      'get',
      '--url',
      `${sys.id}/providers/Microsoft.ManagedIdentity/identities/default?api-version=2023-01-31`,
    ]);
    assert.notEqual(system.code, 0, 'the system-assigned identity is gone');
  });

  it('service principal → managed identity (--enable-managed-identity, --yes), then the node pool upgrade', async () => {
    const sp = json(await sh('az ad sp create-for-rbac --name aks-sp'), 'sp');
    const created = json(
      await sh(`az aks create -g myResourceGroup -n spCluster --service-principal ${sp.appId} --client-secret '${sp.password}'`),
      'sp cluster',
    );
    assert.equal(created.servicePrincipalProfile.clientId, sp.appId);
    assert.equal(created.identity, null);
    assert.equal(created.identityProfile, null);
    const updated = json(await sh('az aks update --resource-group myResourceGroup --name spCluster --enable-managed-identity --yes'), 'sp → mi');
    assert.equal(updated.identity.type, 'SystemAssigned');
    assert.deepEqual(updated.servicePrincipalProfile, { clientId: 'msi', secret: null });
    assert.match(updated.identityProfile.kubeletidentity.resourceId, /spCluster-agentpool$/);
    ok(await sh('az aks nodepool upgrade --resource-group myResourceGroup --cluster-name spCluster --name nodepool1 --node-image-only'), 'nodepool upgrade');
    const back = await admin.az([
      'rest',
      '--method',
      'put',
      '--url',
      `${updated.id}?api-version=2022-11-01`,
      '--body',
      JSON.stringify({ location: 'westus2', identity: { type: 'None' }, properties: { servicePrincipalProfile: { clientId: sp.appId, secret: sp.password } } }),
    ]);
    assert.notEqual(back.code, 0);
    assert.match(back.stderr, /can't switch back to using a service principal/);
  });

  it('AcrPull for the kubelet identity on a registry (what --attach-acr grants), seen by the access check; removed again', async () => {
    const acr = json(await sh('az acr create -n keylessacr01 -g myResourceGroup --sku Basic'), 'acr create');
    assert.equal(acr.loginServer, 'keylessacr01.azurecr.io');
    const kubeletId = json(await sh('az aks show -g myResourceGroup -n myManagedCluster --query identityProfile.kubeletidentity.objectId'), 'kubelet oid');
    const check = async () =>
      json(
        await admin.az([
          'rest',
          '--method',
          'post',
          '--url',
          `${acr.id}/providers/Microsoft.Authorization/checkAccess?api-version=2022-04-01`,
          '--body',
          JSON.stringify({ principalId: kubeletId, action: 'Microsoft.ContainerRegistry/registries/pull/read' }),
        ]),
        'check access',
      ).allowed;
    assert.equal(await check(), false);
    ok(await sh(`az role assignment create --assignee ${kubeletId} --role acrpull --scope ${acr.id}`), 'acrpull');
    assert.equal(await check(), true);
    ok(await sh(`az role assignment delete --assignee ${kubeletId} --role acrpull --scope ${acr.id}`), 'detach');
    assert.equal(await check(), false);
  });

  it("bad input: AKS's and ARM's errors as az prints them, and nothing half-created", async () => {
    const groupsBefore = json(await admin.az(['group', 'list', '--query', '[].name', '-o', 'json']), 'groups');
    const idsBefore = json(await admin.az(['identity', 'list', '--query', '[].name', '-o', 'json']), 'identities');
    const put = (name: string, body: unknown) =>
      admin.az([
        'rest',
        '--method',
        'put',
        '--url',
        `/subscriptions/${sub}/resourceGroups/myResourceGroup/providers/Microsoft.ContainerService/managedClusters/${name}?api-version=2022-11-01`,
        '--body',
        JSON.stringify(body),
      ]);
    const pools = [{ name: 'nodepool1', count: 1, mode: 'System' }];
    const cases: [string, unknown, RegExp][] = [
      [
        'both',
        {
          location: 'westus2',
          identity: { type: 'SystemAssigned,UserAssigned', userAssignedIdentities: { [cp.id]: {} } },
          properties: { dnsPrefix: 'b1', agentPoolProfiles: pools },
        },
        /either 'SystemAssigned' or 'UserAssigned'/,
      ],
      [
        'two',
        {
          location: 'westus2',
          identity: { type: 'UserAssigned', userAssignedIdentities: { [cp.id]: {}, [kubelet.id]: {} } },
          properties: { dnsPrefix: 'b2', agentPoolProfiles: pools },
        },
        /at most 1 user assigned identity/,
      ],
      [
        'kubeletsys',
        {
          location: 'westus2',
          identity: { type: 'SystemAssigned' },
          properties: { dnsPrefix: 'b3', agentPoolProfiles: pools, identityProfile: { kubeletidentity: { resourceId: kubelet.id } } },
        },
        /CustomKubeletIdentityOnlySupportedOnUserAssignedMSICluster/,
      ],
      [
        'nomio',
        {
          location: 'westus2',
          identity: { type: 'UserAssigned', userAssignedIdentities: { [kubelet.id]: {} } },
          properties: { dnsPrefix: 'b4', agentPoolProfiles: pools, identityProfile: { kubeletidentity: { resourceId: cp.id } } },
        },
        /CustomKubeletIdentityMissingPermissionError/,
      ],
      [
        'nosubnet',
        { location: 'westus2', properties: { dnsPrefix: 'b5', agentPoolProfiles: [{ ...pools[0], vnetSubnetID: `${subnetId}x` }] } },
        /SubnetNotFound/,
      ],
    ];
    for (const [name, body, message] of cases) {
      const res = await put(`bad${name}`, body);
      assert.equal(res.code, 1, name);
      assert.match(res.stderr, /Bad Request/, name);
      assert.match(res.stderr, message, name);
      assert.doesNotMatch(res.stderr, /Traceback|Internal Server Error/, name);
    }
    const missingSubnet = await sh(
      `az aks create -g myResourceGroup -n badsubnet --enable-managed-identity --network-plugin azure --vnet-subnet-id ${subnetId}x --skip-subnet-role-assignment`,
    );
    assert.equal(missingSubnet.code, 1);
    assert.match(missingSubnet.stderr, /\(SubnetNotFound\) Could not find subnet mySubnetx in vnet myVnet/);

    // A caller that may create clusters in the group but not assign an identity it can only read.
    const bot = json(
      await sh(`az ad sp create-for-rbac --name aks-bot --role Contributor --scopes /subscriptions/${sub}/resourceGroups/myResourceGroup`),
      'bot',
    );
    ok(await sh('az group create --name idsGroup --location westus2'), 'ids group');
    const foreign = json(await sh('az identity create --name foreignIdentity --resource-group idsGroup'), 'foreign identity');
    ok(await sh(`az role assignment create --assignee ${bot.appId} --role Reader --scope ${foreign.id}`), 'bot reads it');
    const botAz = await azSession(server, { HOME: home });
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/keyless.js'), 'az-setup', '--data-dir', server.dataDir]);
    ok(
      await botAz.sh(stdout.replace(/^az login .*$/m, `az login --service-principal -u ${bot.appId} -p '${bot.password}' --tenant ${bot.tenant} -o none`)),
      'bot login',
    );
    const linked = await botAz.sh(`az aks create -g myResourceGroup -n botCluster --enable-managed-identity --assign-identity ${foreign.id}`);
    assert.equal(linked.code, 1);
    assert.match(
      linked.stderr,
      /\(LinkedAuthorizationFailed\) The client '[0-9a-f-]{36}' with object id .* does not have permission to perform action 'Microsoft\.ManagedIdentity\/userAssignedIdentities\/assign\/action' on the linked scope\(s\)/,
    );

    for (const name of ['badboth', 'badtwo', 'badkubeletsys', 'badnomio', 'badnosubnet', 'badsubnet', 'botCluster']) {
      assert.equal((await sh(`az aks show -g myResourceGroup -n ${name}`)).code, 3, name);
    }
    const groupsAfter = json(await admin.az(['group', 'list', '--query', '[].name', '-o', 'json']), 'groups after');
    assert.deepEqual(groupsAfter.filter((g: string) => g !== 'idsGroup').sort(), [...groupsBefore].sort(), 'no node resource group was created');
    const idsAfter = json(await admin.az(['identity', 'list', '--query', '[].name', '-o', 'json']), 'identities after');
    assert.deepEqual(idsAfter.filter((i: string) => i !== 'foreignIdentity').sort(), [...idsBefore].sort(), 'no identity was created');
    void armGet;
  });
});
