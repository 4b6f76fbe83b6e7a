/** The Microsoft.Compute provider: virtual machines as hosts of managed identities. */
import type { ResourceIdentities } from '../../core/identities/resource-identities.js';
import type { ArmProvider } from '../../http/arm/route.js';
import { virtualMachineRoutes } from './routes.js';
import type { VirtualMachineService } from './virtual-machine-service.js';

export interface ComputeServices {
  virtualMachines: VirtualMachineService;
  /** The identity component, for rendering `identity` in Compute's spelling. */
  identities: Pick<ResourceIdentities, 'render'>;
}

export function computeProvider(services: ComputeServices): ArmProvider {
  return { namespace: 'Microsoft.Compute', routes: virtualMachineRoutes(services.virtualMachines, services.identities) };
}
