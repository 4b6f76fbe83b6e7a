/**
 * Host attestation rules on both engines: join tokens expire and are single-use, host keys are checked
 * in constant time against salted hashes and die with their resource; credential text is strict.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { createManualClock } from '../../src/core/clock.js';
import { parseCredential } from '../../src/core/hosts/credential-format.js';
import { createHostAttestation } from '../../src/core/hosts/host-attestation.js';
import { createHostTypes } from '../../src/core/hosts/host-types.js';
import { isHostError } from '../../src/core/hosts/host-errors.js';
import type { ResourceRecord } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { clientSecretHasher } from '../../src/crypto/secrets.js';
import { forEachEngine } from '../support/stores.js';

function vmRecord(name: string, at: string): ResourceRecord {
  const sub = '00000000-0000-0000-0000-000000000001';
  return {
    id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${name}`,
    subscriptionId: sub,
    resourceGroup: 'rg',
    type: 'Microsoft.Compute/virtualMachines',
    name,
    location: 'westeurope',
    tags: {},
    kind: null,
    properties: {},
    identity: null,
    sku: null,
    provisioningState: 'Succeeded',
    etag: randomUUID(),
    createdAt: at,
    updatedAt: at,
  };
}

const refusedWith = (code: string) => (error: unknown) => isHostError(error) && error.code === code;

forEachEngine('host attestation', (open) => {
  const setup = async () => {
    const store: Store = await open();
    const clock = createManualClock();
    const hosts = createHostAttestation({
      repos: store,
      clock,
      hasher: clientSecretHasher,
      hostTypes: createHostTypes([{ resourceType: 'Microsoft.Compute/virtualMachines' }]),
    });
    const vm = vmRecord('vm1', new Date(clock.now()).toISOString());
    await store.resources.insert(vm);
    return { store, clock, hosts, vm };
  };

  it('a join token expires after 10 minutes and cannot be used twice', async () => {
    const { clock, hosts, vm } = await setup();
    const late = await hosts.issueJoinToken(vm.id, 't');
    clock.advance(10 * 60_000 + 1);
    await assert.rejects(hosts.exchangeJoinToken(late.joinToken), refusedWith('JoinTokenRefused'));
    const fresh = await hosts.issueJoinToken(vm.id, 't');
    const joined = await hosts.exchangeJoinToken(fresh.joinToken);
    assert.equal(joined.resourceId, vm.id);
    await assert.rejects(hosts.exchangeJoinToken(fresh.joinToken), refusedWith('JoinTokenRefused'));
    const host = await hosts.authenticate(joined.hostKey);
    assert.equal(host.resource.id, vm.id);
  });

  it('refuses join tokens for resources that are not hosts', async () => {
    const { hosts, vm } = await setup();
    await assert.rejects(hosts.issueJoinToken(`${vm.id}-missing`, 't'), /was not found/);
  });

  it('a wrong secret with a valid id is refused, and keys die with their resource', async () => {
    const { store, hosts, vm } = await setup();
    const { hostKey } = await hosts.exchangeJoinToken((await hosts.issueJoinToken(vm.id, 't')).joinToken);
    const [, id, secret] = hostKey.split('.');
    await assert.rejects(hosts.authenticate(`khk.${id}.${secret!.split('').reverse().join('')}`), refusedWith('HostUnauthorized'));
    await store.resources.delete(vm.id);
    await assert.rejects(hosts.authenticate(hostKey), /no longer exists/);
    assert.equal(await store.hostCredentials.getHostKey(id!), undefined);
  });

  it('a join token minted before a VM was re-created does not admit the new VM', async () => {
    const { store, clock, hosts, vm } = await setup();
    const { joinToken } = await hosts.issueJoinToken(vm.id, 't');
    await store.resources.delete(vm.id);
    clock.advance(1000);
    await store.resources.insert(vmRecord('vm1', new Date(clock.now()).toISOString()));
    await assert.rejects(hosts.exchangeJoinToken(joinToken), refusedWith('JoinTokenRefused'));
  });
});

it('credential text is strict', () => {
  assert.deepEqual(parseCredential('khk', 'khk.abc.def'), { id: 'abc', secret: 'def' });
  for (const bad of ['khk.abc', 'kjt.abc.def', 'khk.a b.c', 'khk.a.b.c', `khk.a.${'x'.repeat(300)}`, 'khk..x'])
    assert.equal(parseCredential('khk', bad), undefined, bad);
});
