/**
 * Virtual machines (Microsoft.Compute/virtualMachines, ComputeRP `virtualMachine.json`) as identity
 * hosts: Keyless runs no machine, it keeps the resource, its identities and a `properties` echo.
 * Writes are long-running in Azure; the kit records the operation and completes it in the same
 * transaction as the write, so the client's first poll sees `Succeeded`.
 */
import { DomainError } from '../../core/errors.js';
import type { IdentityRules } from '../../core/identities/identity-plan.js';
import type { TrackedTypeSpec } from '../../core/resources/tracked/spec.js';

export const VIRTUAL_MACHINE_TYPE = 'Microsoft.Compute/virtualMachines';

/** Compute allows both kinds of identity, any number of user-assigned ones, and spells the pair with a space. */
export const VIRTUAL_MACHINE_IDENTITY_RULES: IdentityRules = { allowSystemAssigned: true, allowUserAssigned: true, typeSpelling: 'spaced' };

/** Compute's own validation rule for VM names, with its error ("The entity name … is invalid according to its validation rule"). */
const VM_NAME = /^[^_\W][\w\-._]{0,79}(?<![-.])$/;

function assertVmName(name: string): void {
  if (!VM_NAME.test(name)) {
    throw new DomainError('InvalidParameter', `The entity name '${name}' is invalid according to its validation rule: ${VM_NAME.source}.`, {
      target: 'vmName',
    });
  }
}

export const VIRTUAL_MACHINE_SPEC: TrackedTypeSpec = {
  namespace: 'Microsoft.Compute',
  type: 'virtualMachines',
  label: 'virtual machine',
  shape: 'tracked',
  assertName: assertVmName,
  identity: { rules: VIRTUAL_MACHINE_IDENTITY_RULES },
  properties: {
    // Fields the service sets; values a client echoes back from a GET are ignored.
    readOnly: ['provisioningState', 'vmId', 'instanceView', 'timeCreated'],
    // Azure never returns `osProfile.adminPassword` or `osProfile.customData`, and returns `userData`
    // only on request; Keyless does not even store them (nothing runs the VM).
    writeOnly: ['osProfile.adminPassword', 'osProfile.customData', 'userData'],
    write: (properties, { existing, ids, now }) => ({
      ...properties,
      vmId: existing?.properties['vmId'] ?? ids.newGuid(),
      timeCreated: existing?.properties['timeCreated'] ?? now,
    }),
  },
};
