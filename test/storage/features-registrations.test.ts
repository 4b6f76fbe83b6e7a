/** Feature and provider registrations on both engines: case-insensitive names, upsert, per-subscription lists. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { RegistrationRecord } from '../../src/core/features/registrations.js';
import { forEachEngine } from '../support/stores.js';

const rec = (subscriptionId: string, kind: RegistrationRecord['kind'], name: string, state: RegistrationRecord['state']): RegistrationRecord => ({
  subscriptionId,
  kind,
  name,
  state,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

forEachEngine('registration storage', (open) => {
  it('stores, replaces and finds registrations case-insensitively, per subscription and kind', async () => {
    const store = await open();
    assert.equal(await store.registrations.get('Sub1', 'feature', 'Microsoft.ContainerService/MSIPreview'), undefined);
    await store.registrations.put(rec('Sub1', 'feature', 'Microsoft.ContainerService/MSIPreview', 'Registered'));
    await store.registrations.put(rec('Sub1', 'provider', 'Microsoft.ContainerService', 'Registered'));
    await store.registrations.put(rec('sub2', 'feature', 'Microsoft.Compute/EncryptionAtHost', 'Registered'));
    assert.deepEqual(
      await store.registrations.get('sub1', 'feature', 'microsoft.containerservice/msipreview'),
      rec('Sub1', 'feature', 'Microsoft.ContainerService/MSIPreview', 'Registered'),
    );

    // A second write of the same name (any case) replaces the state, keeping one row.
    await store.registrations.put({
      ...rec('SUB1', 'feature', 'MICROSOFT.CONTAINERSERVICE/MSIPREVIEW', 'Unregistered'),
      updatedAt: '2026-01-02T00:00:00.000Z',
    });
    const features = await store.registrations.list('sub1', 'feature');
    assert.equal(features.length, 1);
    assert.equal(features[0]!.state, 'Unregistered');
    assert.equal(features[0]!.updatedAt, '2026-01-02T00:00:00.000Z');

    assert.deepEqual(
      (await store.registrations.list('Sub1', 'provider')).map((r) => r.name),
      ['Microsoft.ContainerService'],
    );
    assert.deepEqual(
      (await store.registrations.list('sub2', 'feature')).map((r) => r.name),
      ['Microsoft.Compute/EncryptionAtHost'],
    );
    assert.deepEqual(await store.registrations.list('sub3', 'feature'), []);
  });

  it('lists in case-folded name order', async () => {
    const store = await open();
    for (const name of ['Microsoft.Web', 'microsoft.compute', 'Microsoft.KeyVault']) await store.registrations.put(rec('s', 'provider', name, 'Registered'));
    assert.deepEqual(
      (await store.registrations.list('s', 'provider')).map((r) => r.name),
      ['microsoft.compute', 'Microsoft.KeyVault', 'Microsoft.Web'],
    );
  });
});
