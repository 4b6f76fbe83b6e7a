/**
 * Microsoft.Features and provider registration through the ARM surface (in-process requests, real
 * SQLite store, real tokens): exact bodies of FeatureResult and Provider, state changes, errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { createRbac } from '../../src/core/rbac/rbac.js';
import { COMPUTE_API_VERSIONS } from '../../src/providers/compute/api-versions.js';
import { createArmTestApp, type ArmTestApp } from '../support/arm-app.js';

const FV = 'api-version=2021-07-01';
const RV = 'api-version=2021-04-01';

describe('Microsoft.Features and provider registration', () => {
  let t: ArmTestApp;
  let sub: string;
  const req = (method: 'GET' | 'POST', url: string) => t.app.inject({ method, url, headers: { authorization: t.auth } });
  const feature = (ns: string, name: string) => `${sub}/providers/Microsoft.Features/providers/${ns}/features/${name}`;
  const msi = (state: string) => ({
    id: `${sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/MSIPreview`,
    name: 'Microsoft.ContainerService/MSIPreview',
    properties: { state },
    type: 'Microsoft.Features/providers/features',
  });

  before(async () => {
    // Microsoft.Authorization is mounted (the catalogue lists it); nothing here attaches identities, so its index stays empty.
    t = await createArmTestApp('sqlite', { rbac: (store) => createRbac({ store, clock: systemClock }) });
    sub = `/subscriptions/${t.subscriptionId}`;
  });
  after(() => t.close());

  it('shows a known feature as NotRegistered, registers it at once, and unregisters it', async () => {
    const before = await req('GET', `${feature('Microsoft.ContainerService', 'MSIPreview')}?${FV}`);
    assert.equal(before.statusCode, 200);
    assert.deepEqual(before.json(), msi('NotRegistered'));

    // Names are matched case-insensitively and answered in the catalogue's case, as Azure does.
    const registered = await req('POST', `${feature('microsoft.containerservice', 'msipreview')}/register?${FV}`);
    assert.equal(registered.statusCode, 200);
    assert.deepEqual(registered.json(), msi('Registered'));
    assert.deepEqual((await req('GET', `${feature('Microsoft.ContainerService', 'MSIPreview')}?api-version=2015-12-01`)).json(), msi('Registered'));

    const unregistered = await req('POST', `${feature('Microsoft.ContainerService', 'MSIPreview')}/unregister?${FV}`);
    assert.deepEqual(unregistered.json(), msi('Unregistered'));
    assert.deepEqual((await req('GET', `${feature('Microsoft.ContainerService', 'MSIPreview')}?${FV}`)).json(), msi('Unregistered'));
  });

  it('lists every feature and the features of one namespace', async () => {
    await req('POST', `${feature('Microsoft.Compute', 'EncryptionAtHost')}/register?${FV}`);
    const all = (await req('GET', `${sub}/providers/Microsoft.Features/features?${FV}`)).json();
    const names = all.value.map((f: { name: string }) => f.name);
    assert.ok(names.includes('Microsoft.ContainerService/MSIPreview'));
    assert.ok(names.includes('Microsoft.Compute/EncryptionAtHost'));
    assert.deepEqual(all.value.find((f: { name: string }) => f.name === 'Microsoft.Compute/EncryptionAtHost').properties, { state: 'Registered' });
    assert.equal(all.nextLink, undefined);

    const aks = (await req('GET', `${sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features?${FV}`)).json();
    assert.ok(aks.value.length >= 3);
    assert.ok(
      aks.value.every(
        (f: { name: string; type: string }) => f.name.startsWith('Microsoft.ContainerService/') && f.type === 'Microsoft.Features/providers/features',
      ),
    );
    assert.deepEqual((await req('GET', `${sub}/providers/Microsoft.Features/providers/Microsoft.Nothing/features?${FV}`)).json(), { value: [] });
  });

  it('keeps registrations per subscription', async () => {
    await req('POST', `${feature('Microsoft.ContainerService', 'PodIdentityPreview')}/register?${FV}`);
    const other = `/subscriptions/${t.otherSubscriptionId}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/PodIdentityPreview?${FV}`;
    const otherAuth = `Bearer ${await t.tokens.issue(t.otherTenantId)}`;
    const res = await t.app.inject({ method: 'GET', url: other, headers: { authorization: otherAuth } });
    assert.equal(res.json().properties.state, 'NotRegistered');
  });

  it('answers an unknown feature with 404 FeatureNotFound and a bad api-version with 400', async () => {
    const missing = await req('POST', `${feature('Microsoft.ContainerService', 'NoSuchPreview')}/register?${FV}`);
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: { code: 'FeatureNotFound', message: "The feature 'NoSuchPreview' could not be found." } });
    const version = await req('GET', `${sub}/providers/Microsoft.Features/features?api-version=2021-04-01`);
    assert.equal(version.statusCode, 400);
    assert.equal(version.json().error.code, 'InvalidApiVersionParameter');
  });

  it('shows providers Keyless serves as Registered with their resource types, others as NotRegistered', async () => {
    const compute = await req('GET', `${sub}/providers/Microsoft.Compute?${RV}`);
    assert.equal(compute.statusCode, 200);
    const body = compute.json();
    assert.deepEqual(Object.keys(body), ['id', 'namespace', 'registrationPolicy', 'registrationState', 'resourceTypes']);
    assert.equal(body.id, `${sub}/providers/Microsoft.Compute`);
    assert.equal(body.namespace, 'Microsoft.Compute');
    assert.equal(body.registrationState, 'Registered');
    assert.equal(body.registrationPolicy, 'RegistrationRequired');
    assert.equal(body.resourceTypes[0].resourceType, 'virtualMachines');
    assert.deepEqual(body.resourceTypes[0].apiVersions, [...COMPUTE_API_VERSIONS]);
    assert.ok(body.resourceTypes[0].locations.includes('West US 2'));

    // A well-known namespace Keyless does not serve is listed, unregistered, with no resource types.
    const web = (await req('GET', `${sub}/providers/microsoft.web?${RV}`)).json();
    assert.deepEqual(web, {
      id: `${sub}/providers/Microsoft.Web`,
      namespace: 'Microsoft.Web',
      registrationPolicy: 'RegistrationRequired',
      registrationState: 'NotRegistered',
      resourceTypes: [],
    });
    const authz = (await req('GET', `${sub}/providers/Microsoft.Authorization?${RV}`)).json();
    assert.equal(authz.registrationPolicy, 'RegistrationFree');
    assert.deepEqual(authz.resourceTypes.find((r: { resourceType: string }) => r.resourceType === 'roleAssignments').locations, []);
  });

  it('registers and unregisters a provider, and lists every provider with its state', async () => {
    const registered = await req('POST', `${sub}/providers/Microsoft.Web/register?${RV}`);
    assert.equal(registered.statusCode, 200);
    assert.equal(registered.json().registrationState, 'Registered');
    const list = (await req('GET', `${sub}/providers?${RV}`)).json();
    const states = Object.fromEntries(list.value.map((p: { namespace: string; registrationState: string }) => [p.namespace, p.registrationState]));
    for (const ns of [
      'Microsoft.Resources',
      'Microsoft.ManagedIdentity',
      'Microsoft.Compute',
      'Microsoft.Authorization',
      'Microsoft.Features',
      'Microsoft.Web',
    ]) {
      assert.equal(states[ns], 'Registered', ns);
    }
    assert.equal(states['Microsoft.Insights'], 'Registered', 'served (the Activity Log): registered from the start');

    assert.equal((await req('POST', `${sub}/providers/Microsoft.ManagedIdentity/unregister?${RV}`)).json().registrationState, 'Unregistered');
    assert.equal((await req('GET', `${sub}/providers/Microsoft.ManagedIdentity?${RV}`)).json().registrationState, 'Unregistered');
    // Registration-free namespaces cannot be switched off, as in Azure.
    assert.equal((await req('POST', `${sub}/providers/Microsoft.Resources/unregister?${RV}`)).json().registrationState, 'Registered');
  });

  it('answers an unknown namespace with 404 InvalidResourceNamespace, leaving other routes as they were', async () => {
    const missing = await req('GET', `${sub}/providers/Microsoft.Nope?${RV}`);
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: { code: 'InvalidResourceNamespace', message: "The resource namespace 'Microsoft.Nope' is invalid." } });
    assert.equal((await req('POST', `${sub}/providers/Microsoft.Nope/register?${RV}`)).statusCode, 404);
    const deeper = await req('GET', `${sub}/providers/Microsoft.Nope/things?${RV}`);
    assert.equal(deeper.statusCode, 400);
    assert.equal(deeper.json().error.code, 'NoRegisteredProviderFound');
    const method = await t.app.inject({ method: 'DELETE', url: `${sub}/providers/Microsoft.Compute?${RV}`, headers: { authorization: t.auth } });
    assert.equal(method.statusCode, 405);
  });
});
