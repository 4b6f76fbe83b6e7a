/**
 * Microsoft.ContainerService managed clusters through the ARM surface (in-process, real SQLite store,
 * real RBAC): what AKS creates with a cluster (node resource group managed by it, kubelet identity
 * `{cluster}-agentpool`, add-on identities, Contributor for the control plane on the node group), the
 * identity rules (one kind, one user-assigned identity, pre-created kubelet identity only with a
 * user-assigned control plane holding Managed Identity Operator), agent pools as child resources, the
 * absent-sub-profile rule az relies on, credentials, and refusals that leave nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { createRbac, type Rbac } from '../../src/core/rbac/rbac.js';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

const V = 'api-version=2022-11-01';
const MV = 'api-version=2023-01-31';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const MIO = 'f1a07417-d97a-45cb-824c-7a7467783830';

describe('Microsoft.ContainerService managed clusters', () => {
  let t: ArmTestApp;
  let rbac: Rbac;
  let sub: string;
  let group: string;
  const req = (method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: t.auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const clusterUrl = (name: string, rg = 'aks') =>
    `/subscriptions/${t.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
  const body = (extra: Record<string, unknown> = {}, props: Record<string, unknown> = {}) => ({
    location: 'westus2',
    ...extra,
    properties: {
      kubernetesVersion: '',
      dnsPrefix: 'aks1',
      agentPoolProfiles: [{ name: 'nodepool1', count: 3, vmSize: 'Standard_DS2_v2', mode: 'System', osType: 'Linux', orchestratorVersion: '' }],
      ...props,
    },
  });
  const mkIdentity = async (name: string, rg = 'aks') =>
    (
      await req('PUT', `/subscriptions/${t.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}?${MV}`, {
        location: 'westus2',
      })
    ).json();
  const groups = async () =>
    (await req('GET', `/subscriptions/${t.subscriptionId}/resourcegroups?api-version=2021-04-01`))
      .json()
      .value.map((g: any) => g.name)
      .sort();
  const assign = async (principalId: string, role: string, scope: string) => {
    await rbac.assignments.create({ objectId: principalId, tenantId: t.tenantId }, scope, crypto.randomUUID(), {
      roleDefinitionId: `/subscriptions/${t.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
      principalId,
      principalType: 'ServicePrincipal',
    });
  };

  before(async () => {
    t = await createArmTestApp('sqlite', { rbac: (store) => (rbac = createRbac({ store, clock: systemClock })) });
    await rbac.sync.load();
    // The caller is Owner of the subscription (linked authorization asks RBAC about it).
    const caller = JSON.parse(Buffer.from(t.auth.split('.')[1]!, 'base64url').toString()).oid as string;
    await rbac.assignments.create({ objectId: caller, tenantId: t.tenantId }, `/subscriptions/${t.subscriptionId}`, crypto.randomUUID(), {
      roleDefinitionId: `/subscriptions/${t.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635`,
      principalId: caller,
      principalType: 'ServicePrincipal',
    });
    sub = `/subscriptions/${t.subscriptionId}`;
    group = `${sub}/resourceGroups/aks`;
    assert.equal((await req('PUT', `${group}?api-version=2021-04-01`, { location: 'westus2' })).statusCode, 201);
  });
  after(() => t.close());

  let system: any;

  it('creates a system-assigned cluster: 201 Creating + Azure-AsyncOperation; node group, kubelet identity, Contributor', async () => {
    const res = await req('PUT', `${clusterUrl('MyCluster')}?${V}`, body({ identity: { type: 'SystemAssigned' } }));
    assert.equal(res.statusCode, 201, res.body);
    assert.match(String(res.headers['azure-asyncoperation']), /operationStatuses\/.*api-version=2022-11-01/);
    assert.equal(res.json().properties.provisioningState, 'Creating');
    const got = (await req('GET', `${clusterUrl('MyCluster')}?${V}`)).json();
    system = got;
    assert.equal(got.type, 'Microsoft.ContainerService/ManagedClusters');
    assert.equal(got.properties.provisioningState, 'Succeeded');
    assert.equal(got.identity.type, 'SystemAssigned');
    assert.match(got.identity.principalId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(got.properties.servicePrincipalProfile, { clientId: 'msi' });
    assert.equal(got.properties.nodeResourceGroup, 'MC_aks_MyCluster_westus2');
    assert.equal(got.properties.kubernetesVersion, '1.32.7');
    assert.match(got.properties.fqdn, /^aks1-[0-9a-f]{8}\.hcp\.westus2\.azmk8s\.io$/);
    const kubelet = got.properties.identityProfile.kubeletidentity;
    assert.equal(
      kubelet.resourceId,
      `/subscriptions/${t.subscriptionId}/resourcegroups/MC_aks_MyCluster_westus2/providers/Microsoft.ManagedIdentity/userAssignedIdentities/MyCluster-agentpool`,
    );
    const identity = (await req('GET', `${kubelet.resourceId}?${MV}`)).json();
    assert.equal(identity.properties.clientId, kubelet.clientId);
    assert.equal(identity.properties.principalId, kubelet.objectId);
    const nodeGroup = (await req('GET', `${sub}/resourceGroups/MC_aks_MyCluster_westus2?api-version=2021-04-01`)).json();
    assert.equal(nodeGroup.managedBy.toLowerCase(), clusterUrl('MyCluster').toLowerCase());
    await rbac.sync.poll();
    assert.ok(
      rbac.access.can(got.identity.principalId, 'Microsoft.Network/loadBalancers/write', `${sub}/resourceGroups/MC_aks_MyCluster_westus2`),
      'Contributor on the node group',
    );
    assert.ok(!rbac.access.can(got.identity.principalId, 'Microsoft.Network/loadBalancers/write', group), 'nothing outside it');
    const pools = (await req('GET', `${clusterUrl('MyCluster')}/agentPools?${V}`)).json();
    assert.deepEqual(
      pools.value.map((p: any) => [p.name, p.properties.count, p.properties.mode]),
      [['nodepool1', 3, 'System']],
    );
  });

  it('an update without identity keeps it; az-style echoes of RP values are accepted; absent sub-profiles keep', async () => {
    const echo = { ...system, properties: { ...system.properties, securityProfile: {}, oidcIssuerProfile: { enabled: true } } };
    delete echo.identity;
    const res = await req('PUT', `${clusterUrl('MyCluster')}?${V}`, echo);
    assert.equal(res.statusCode, 200, res.body);
    const got = (await req('GET', `${clusterUrl('MyCluster')}?${V}`)).json();
    assert.equal(got.identity.principalId, system.identity.principalId);
    assert.deepEqual(got.properties.identityProfile, system.properties.identityProfile);
    assert.equal(got.properties.oidcIssuerProfile.enabled, true);
    const off = await req('PUT', `${clusterUrl('MyCluster')}?${V}`, { ...echo, properties: { ...echo.properties, oidcIssuerProfile: { enabled: false } } });
    assert.equal(off.statusCode, 400);
    assert.equal(off.json().error.code, 'OIDCIssuerCannotBeDisabled');
    const newPool = await req('PUT', `${clusterUrl('MyCluster')}?${V}`, {
      ...echo,
      properties: { ...echo.properties, agentPoolProfiles: [...echo.properties.agentPoolProfiles, { name: 'extra', count: 1, mode: 'User' }] },
    });
    assert.equal(newPool.statusCode, 400);
    assert.match(newPool.json().error.message, /A new agent pool was introduced/);
    const dns = await req('PUT', `${clusterUrl('MyCluster')}?${V}`, { ...echo, properties: { ...echo.properties, dnsPrefix: 'other' } });
    assert.equal(dns.json().error.code, 'PropertyChangeNotAllowed');
  });

  it('add-ons get their own identity in the node group; disabling removes it', async () => {
    const on = await req('PUT', `${clusterUrl('MyCluster')}?${V}`, {
      location: 'westus2',
      properties: { addonProfiles: { omsagent: { enabled: true, config: {} }, azureKeyvaultSecretsProvider: { enabled: true } } },
    });
    assert.equal(on.statusCode, 200, on.body);
    const got = (await req('GET', `${clusterUrl('MyCluster')}?${V}`)).json();
    const oms = got.properties.addonProfiles.omsagent.identity;
    assert.match(
      oms.resourceId,
      /\/resourcegroups\/MC_aks_MyCluster_westus2\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/omsagent-mycluster$/,
    );
    assert.match(got.properties.addonProfiles.azureKeyvaultSecretsProvider.identity.resourceId, /azurekeyvaultsecretsprovider-mycluster$/);
    const off = await req('PUT', `${clusterUrl('MyCluster')}?${V}`, {
      location: 'westus2',
      properties: { addonProfiles: { omsagent: { enabled: false }, azureKeyvaultSecretsProvider: { enabled: true } } },
    });
    assert.equal(off.statusCode, 200, off.body);
    const after = (await req('GET', `${clusterUrl('MyCluster')}?${V}`)).json();
    assert.equal(after.properties.addonProfiles.omsagent.identity, undefined);
    assert.equal((await req('GET', `${oms.resourceId}?${MV}`)).statusCode, 404);
  });

  it('agent pools: create, list, refuse deleting the last system pool, delete', async () => {
    const put = await req('PUT', `${clusterUrl('MyCluster')}/agentPools/userpool?${V}`, { properties: { count: 2, vmSize: 'Standard_DS2_v2', mode: 'User' } });
    assert.equal(put.statusCode, 201, put.body);
    const cluster = (await req('GET', `${clusterUrl('MyCluster')}?${V}`)).json();
    assert.deepEqual(
      cluster.properties.agentPoolProfiles.map((p: any) => p.name),
      ['nodepool1', 'userpool'],
    );
    const last = await req('DELETE', `${clusterUrl('MyCluster')}/agentPools/nodepool1?${V}`);
    assert.equal(last.statusCode, 400);
    assert.match(last.json().error.message, /at least one system pool/);
    const del = await req('DELETE', `${clusterUrl('MyCluster')}/agentPools/userpool?${V}`);
    assert.equal(del.statusCode, 202);
    assert.deepEqual(
      (await req('GET', `${clusterUrl('MyCluster')}?${V}`)).json().properties.agentPoolProfiles.map((p: any) => p.name),
      ['nodepool1'],
    );
    const bad = await req('PUT', `${clusterUrl('MyCluster')}/agentPools/Bad_Name?${V}`, { properties: { count: 1 } });
    assert.equal(bad.statusCode, 400);
  });

  it('credentials: a kubeconfig in AKS shape, the same each time', async () => {
    const a = await req('POST', `${clusterUrl('MyCluster')}/listClusterUserCredential?${V}`);
    assert.equal(a.statusCode, 200, a.body);
    const yaml = Buffer.from(a.json().kubeconfigs[0].value, 'base64').toString();
    assert.match(yaml, /user: clusterUser_aks_MyCluster/);
    assert.match(yaml, /server: https:\/\/aks1-[0-9a-f]{8}\.hcp\.westus2\.azmk8s\.io:443/);
    const b = await req('POST', `${clusterUrl('MyCluster')}/listClusterUserCredential?${V}`);
    assert.equal(b.json().kubeconfigs[0].value, a.json().kubeconfigs[0].value);
    const admin = await req('POST', `${clusterUrl('MyCluster')}/listClusterAdminCredential?${V}`);
    assert.match(Buffer.from(admin.json().kubeconfigs[0].value, 'base64').toString(), /clusterAdmin_aks_MyCluster/);
  });

  it('refusals leave nothing behind: both kinds, two identities, kubelet with a system control plane, no MIO, missing subnet', async () => {
    const cp = await mkIdentity('cp-id');
    const cp2 = await mkIdentity('cp-id2');
    const kubelet = await mkIdentity('kubelet-id');
    const before = await groups();
    const cases: [string, unknown, string][] = [
      ['both', body({ identity: { type: 'SystemAssigned,UserAssigned', userAssignedIdentities: { [cp.id]: {} } } }), 'InvalidParameter'],
      ['two', body({ identity: { type: 'UserAssigned', userAssignedIdentities: { [cp.id]: {}, [cp2.id]: {} } } }), 'InvalidParameter'],
      [
        'kubelet-sys',
        body({ identity: { type: 'SystemAssigned' } }, { identityProfile: { kubeletidentity: { resourceId: kubelet.id } } }),
        'CustomKubeletIdentityOnlySupportedOnUserAssignedMSICluster',
      ],
      [
        'no-mio',
        body(
          { identity: { type: 'UserAssigned', userAssignedIdentities: { [cp.id]: {} } } },
          { identityProfile: { kubeletidentity: { resourceId: kubelet.id } } },
        ),
        'CustomKubeletIdentityMissingPermissionError',
      ],
      [
        'dnszone',
        body(
          { identity: { type: 'SystemAssigned' } },
          {
            apiServerAccessProfile: {
              enablePrivateCluster: true,
              privateDNSZone: `${group}/providers/Microsoft.Network/privateDnsZones/privatelink.westus2.azmk8s.io`,
            },
          },
        ),
        'OnlySupportedOnUserAssignedMSICluster',
      ],
      [
        'subnet',
        body(
          {},
          {
            agentPoolProfiles: [
              { name: 'np', count: 1, mode: 'System', vnetSubnetID: `${group}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/none` },
            ],
          },
        ),
        'SubnetNotFound',
      ],
    ];
    for (const [name, payload, code] of cases) {
      const res = await req('PUT', `${clusterUrl(`bad-${name}`)}?${V}`, payload);
      assert.equal(res.statusCode, 400, `${name}: ${res.body}`);
      assert.equal(res.json().error.code, code, name);
      assert.equal((await req('GET', `${clusterUrl(`bad-${name}`)}?${V}`)).statusCode, 404);
    }
    assert.deepEqual(await groups(), before, 'no node resource group was left behind');
    const identities = (await req('GET', `${sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?${MV}`))
      .json()
      .value.map((i: any) => i.name)
      .sort();
    assert.deepEqual(
      identities,
      ['MyCluster-agentpool', 'azurekeyvaultsecretsprovider-mycluster', 'cp-id', 'cp-id2', 'kubelet-id'],
      'no identity was left behind',
    );

    // With Managed Identity Operator on the kubelet identity, the same create goes through.
    await assign(cp.properties.principalId, MIO, kubelet.id);
    await rbac.sync.poll();
    const ok = await req(
      'PUT',
      `${clusterUrl('byo')}?${V}`,
      body(
        { identity: { type: 'UserAssigned', userAssignedIdentities: { [cp.id]: {} } } },
        { dnsPrefix: 'byo', identityProfile: { kubeletidentity: { resourceId: kubelet.id } } },
      ),
    );
    assert.equal(ok.statusCode, 201, ok.body);
    const got = (await req('GET', `${clusterUrl('byo')}?${V}`)).json();
    assert.deepEqual(got.properties.identityProfile.kubeletidentity, {
      resourceId: kubelet.id,
      clientId: kubelet.properties.clientId,
      objectId: kubelet.properties.principalId,
    });
    assert.equal(got.identity.type, 'UserAssigned');
    assert.equal(got.identity.principalId, undefined);
    await rbac.sync.poll();
    assert.ok(rbac.access.can(cp.properties.principalId, 'Microsoft.Compute/disks/write', `${sub}/resourceGroups/MC_aks_byo_westus2`));
    void CONTRIBUTOR;
  });

  it('service-principal clusters: created with an app of the tenant, resetServicePrincipalProfile, then moved to a managed identity', async () => {
    const appId = crypto.randomUUID();
    await t.store.principals.insert({
      objectId: crypto.randomUUID(),
      appId,
      tenantId: t.tenantId,
      displayName: 'aks-sp',
      kind: 'Application',
      resourceId: null,
      createdAt: new Date().toISOString(),
    });
    const missing = await req(
      'PUT',
      `${clusterUrl('spc')}?${V}`,
      body({}, { dnsPrefix: 'spc', servicePrincipalProfile: { clientId: crypto.randomUUID(), secret: 's3cret' } }),
    );
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().error.message, /not found in Active Directory tenant/);
    const created = await req(
      'PUT',
      `${clusterUrl('spc')}?${V}`,
      body({}, { dnsPrefix: 'spc', servicePrincipalProfile: { clientId: appId, secret: 's3cret' } }),
    );
    assert.equal(created.statusCode, 201, created.body);
    const got = (await req('GET', `${clusterUrl('spc')}?${V}`)).json();
    assert.equal(got.identity, undefined);
    assert.deepEqual(got.properties.servicePrincipalProfile, { clientId: appId }, 'the secret is never returned');
    assert.equal(got.properties.identityProfile, undefined);
    assert.doesNotMatch(JSON.stringify(await t.store.resources.get(got.id)), /s3cret/, 'nor stored');
    const reset = await req('POST', `${clusterUrl('spc')}/resetServicePrincipalProfile?${V}`, { clientId: appId, secret: 'n3w' });
    assert.equal(reset.statusCode, 202, reset.body);
    const msi = await req('POST', `${clusterUrl('MyCluster')}/resetServicePrincipalProfile?${V}`, { clientId: appId, secret: 'n3w' });
    assert.equal(msi.statusCode, 400);
    assert.match(msi.json().error.message, /not using a service principal/);
    const migrated = await req('PUT', `${clusterUrl('spc')}?${V}`, { ...got, identity: { type: 'SystemAssigned' } });
    assert.equal(migrated.statusCode, 200, migrated.body);
    const after = (await req('GET', `${clusterUrl('spc')}?${V}`)).json();
    assert.deepEqual(after.properties.servicePrincipalProfile, { clientId: 'msi' });
    assert.match(after.properties.identityProfile.kubeletidentity.resourceId, /spc-agentpool$/);
    await req('DELETE', `${clusterUrl('spc')}?${V}`);
  });

  it('version reads: orchestrators and kubernetesVersions', async () => {
    const o = (await req('GET', `${sub}/providers/Microsoft.ContainerService/locations/westus2/orchestrators?${V}&resource-type=managedClusters`)).json();
    assert.ok(o.properties.orchestrators.some((x: any) => x.default === true && x.orchestratorVersion === '1.32.7'));
    const k = (await req('GET', `${sub}/providers/Microsoft.ContainerService/locations/westus2/kubernetesVersions?api-version=2024-01-01`)).json();
    assert.equal(k.values.find((x: any) => x.isDefault).version, '1.32');
  });

  it('delete: 202, the node group, its identities and role assignments go; the control-plane identity stays', async () => {
    const res = await req('DELETE', `${clusterUrl('byo')}?${V}`);
    assert.equal(res.statusCode, 202);
    assert.ok(res.headers['location'] && res.headers['azure-asyncoperation']);
    assert.equal((await req('GET', `${sub}/resourceGroups/MC_aks_byo_westus2?api-version=2021-04-01`)).statusCode, 404);
    assert.equal((await req('GET', `${clusterUrl('byo')}/agentPools?${V}`)).statusCode, 404);
    assert.equal((await req('GET', `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cp-id?${MV}`)).statusCode, 200);
    const again = await req('DELETE', `${clusterUrl('byo')}?${V}`);
    assert.equal(again.statusCode, 204);
  });
});
