/**
 * `VirtualMachine` as Compute answers it: the tracked-resource envelope, the identity in Compute's
 * spelling (`SystemAssigned, UserAssigned`) and `properties` with `vmId`, `timeCreated` and
 * `provisioningState`.
 */
import type { ManagedServiceIdentityWire, ResourceIdentities } from '../../core/identities/resource-identities.js';
import type { ResourceRecord } from '../../core/model.js';
import { VIRTUAL_MACHINE_IDENTITY_RULES, VIRTUAL_MACHINE_TYPE } from './virtual-machine-service.js';

export interface VirtualMachineWire {
  id: string;
  name: string;
  type: typeof VIRTUAL_MACHINE_TYPE;
  location: string;
  tags: Record<string, string>;
  identity?: ManagedServiceIdentityWire;
  properties: Record<string, unknown>;
}

/**
 * `provisioningState` overrides the stored one in the first answer to a write: Compute answers a PUT
 * with `Creating`/`Updating` and lets the client poll until it reads `Succeeded`.
 */
export function toVirtualMachineWire(vm: ResourceRecord, identities: Pick<ResourceIdentities, 'render'>, provisioningState: string = vm.provisioningState): VirtualMachineWire {
  const identity = identities.render(VIRTUAL_MACHINE_IDENTITY_RULES, vm.identity);
  return {
    id: vm.id,
    name: vm.name,
    type: VIRTUAL_MACHINE_TYPE,
    location: vm.location,
    tags: vm.tags,
    ...(identity ? { identity } : {}),
    properties: { ...vm.properties, provisioningState },
  };
}
