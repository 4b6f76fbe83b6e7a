/**
 * Microsoft.Compute virtual machine routes (ComputeRP `virtualMachine.json`, VirtualMachines_*).
 * Create/update and update answer like Compute: 201/200 with `Azure-AsyncOperation` and a body in
 * `Creating`/`Updating`; delete answers 202 with the polling headers, or 204 when there is no VM.
 */
import type { ResourceIdentities } from '../../core/identities/resource-identities.js';
import type { SubscriptionScope } from '../../core/identities/user-assigned-identity-service.js';
import type { OperationRecord } from '../../core/model.js';
import { bodySchema } from '../../http/arm/body-schema.js';
import { acceptedOperation, asyncOperationUrl } from '../../http/arm/long-running.js';
import { decodeSkipToken, readTop, toArmList } from '../../http/arm/paging.js';
import { defineRoute, type ArmContext, type ArmRoute } from '../../http/arm/route.js';
import { COMPUTE_API_VERSIONS } from './api-versions.js';
import type { VirtualMachineInput, VirtualMachineService } from './virtual-machine-service.js';
import { toVirtualMachineWire } from './wire.js';

const GROUP = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}';
const COLLECTION = 'providers/Microsoft.Compute/virtualMachines';
const VM = `${GROUP}/${COLLECTION}/{vmName}`;
const ACTION = 'Microsoft.Compute/virtualMachines';

const scopeOf = (ctx: ArmContext<unknown>): SubscriptionScope => ({ subscriptionId: ctx.subscription!.id, tenantId: ctx.subscription!.tenantId });
const group = (ctx: ArmContext<unknown>) => ctx.params['resourceGroupName']!;
const name = (ctx: ArmContext<unknown>) => ctx.params['vmName']!;
const listQuery = (ctx: ArmContext<unknown>) => ({ top: readTop(ctx), after: decodeSkipToken(ctx.query('$skiptoken')) });

/**
 * Only `Azure-AsyncOperation`: with a `Location` header core-lro would fetch the final PATCH result
 * from it instead of from the VM's own URL.
 */
function pollingHeaders(ctx: ArmContext<unknown>, operation: OperationRecord): Record<string, string> {
  return { 'azure-asyncoperation': asyncOperationUrl(ctx.baseUrl, operation, ctx.apiVersion) };
}

const vmBody = bodySchema<VirtualMachineInput>({ location: 'string?', tags: 'tags?', identity: 'object?', properties: 'object?' });

export function virtualMachineRoutes(vms: VirtualMachineService, identities: Pick<ResourceIdentities, 'render'>): ArmRoute<any>[] {
  return [
    defineRoute<VirtualMachineInput>({
      method: 'PUT', path: VM, operationId: 'VirtualMachines_CreateOrUpdate', action: `${ACTION}/write`, apiVersions: COMPUTE_API_VERSIONS, body: vmBody,
      handler: async (ctx) => {
        const { vm, created, operation } = await vms.createOrUpdate(scopeOf(ctx), group(ctx), name(ctx), ctx.body, ctx.caller, ctx.conditions);
        return { status: created ? 201 : 200, body: toVirtualMachineWire(vm, identities, created ? 'Creating' : 'Updating'), headers: pollingHeaders(ctx, operation) };
      },
    }),
    defineRoute<VirtualMachineInput>({
      method: 'PATCH', path: VM, operationId: 'VirtualMachines_Update', action: `${ACTION}/write`, apiVersions: COMPUTE_API_VERSIONS, body: vmBody,
      handler: async (ctx) => {
        const { vm, operation } = await vms.update(scopeOf(ctx), group(ctx), name(ctx), ctx.body, ctx.caller, ctx.conditions);
        return { status: 200, body: toVirtualMachineWire(vm, identities, 'Updating'), headers: pollingHeaders(ctx, operation) };
      },
    }),
    defineRoute({
      method: 'GET', path: VM, operationId: 'VirtualMachines_Get', action: `${ACTION}/read`, apiVersions: COMPUTE_API_VERSIONS,
      handler: async (ctx) => ({ status: 200, body: toVirtualMachineWire(await vms.get(scopeOf(ctx), group(ctx), name(ctx)), identities) }),
    }),
    defineRoute({
      method: 'DELETE', path: VM, operationId: 'VirtualMachines_Delete', action: `${ACTION}/delete`, apiVersions: COMPUTE_API_VERSIONS,
      handler: async (ctx) => {
        const operation = await vms.delete(scopeOf(ctx), group(ctx), name(ctx), ctx.conditions);
        return operation ? acceptedOperation(ctx, operation) : { status: 204 };
      },
    }),
    defineRoute({
      method: 'GET', path: `${GROUP}/${COLLECTION}`, operationId: 'VirtualMachines_List', action: `${ACTION}/read`, apiVersions: COMPUTE_API_VERSIONS,
      handler: async (ctx) => {
        const page = await vms.listByResourceGroup(scopeOf(ctx), group(ctx), listQuery(ctx));
        return { status: 200, body: toArmList(ctx, page, (vm) => toVirtualMachineWire(vm, identities)) };
      },
    }),
    defineRoute({
      method: 'GET', path: `/subscriptions/{subscriptionId}/${COLLECTION}`, operationId: 'VirtualMachines_ListAll', action: `${ACTION}/read`, apiVersions: COMPUTE_API_VERSIONS,
      handler: async (ctx) => {
        const page = await vms.listBySubscription(scopeOf(ctx), listQuery(ctx));
        return { status: 200, body: toArmList(ctx, page, (vm) => toVirtualMachineWire(vm, identities)) };
      },
    }),
  ];
}
