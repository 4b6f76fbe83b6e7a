/**
 * `keyless identity create|show|list|update|delete|list-operations` (az identity): user-assigned
 * managed identities. Output is az's: ARM's body with `properties` flattened to the top level
 * (`clientId`, `principalId`, `tenantId`) and `resourceGroup` added.
 */
import type { Command } from 'commander';
import type { ResourceGroupWire } from '../../contract/arm.js';
import { groupPath, parseTags, resourceGroupOf, resourceRef } from '../framework/args.js';
import type { ArmClient } from '../framework/arm-client.js';
import { defineCommand, defineGroup, type OptionSpec } from '../framework/command.js';

const TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';

interface IdentityWire {
  id: string;
  name: string;
  type: string;
  location: string;
  tags?: Record<string, string>;
  properties?: Record<string, unknown>;
  systemData?: unknown;
}
interface RefOptions {
  name?: string;
  resourceGroup?: string;
  ids?: string[];
}

/** az's identity object: properties lifted to the top, plus `resourceGroup`. */
export function shapeIdentity(wire: IdentityWire): Record<string, unknown> {
  const { properties, ...rest } = wire;
  return { ...rest, ...properties, tags: wire.tags ?? {}, resourceGroup: resourceGroupOf(wire.id) ?? null };
}

const REF_OPTIONS: OptionSpec[] = [
  { flags: '-n, --name <name>', description: 'The name of the identity resource.', group: 'Resource Id Arguments' },
  { flags: '-g, --resource-group <group>', description: 'Name of resource group.', group: 'Resource Id Arguments' },
  { flags: '--ids <ids...>', description: 'One resource ID (takes the place of --name and --resource-group).', group: 'Resource Id Arguments' },
];

function identityPath(arm: ArmClient, opts: RefOptions): string {
  const ref = resourceRef(opts, TYPE);
  return `${groupPath(ref.subscriptionId ?? arm.subscriptionId, ref.group)}/providers/${TYPE}/${encodeURIComponent(ref.name)}`;
}

export function register(program: Command): void {
  const group = defineGroup(program, 'identity', 'Managed Identities.', [
    {
      title: 'Create a user-assigned identity in the location of its group.',
      command: 'keyless identity create --name myIdentity --resource-group myResourceGroup',
    },
    {
      title: 'Keep its principal id in a shell variable.',
      command: 'PRINCIPAL_ID=$(keyless identity show -n myIdentity -g myResourceGroup --query principalId -o tsv)',
    },
  ]);

  defineCommand<RefOptions & { location?: string; tags?: string[] | boolean }>(group, {
    name: 'create',
    summary: 'Create an identity.',
    options: [
      { flags: '-n, --name <name>', description: 'The name of the identity resource.', required: true },
      { flags: '-g, --resource-group <group>', description: 'Name of resource group.', required: true },
      { flags: '-l, --location <location>', description: "Location. Default: the resource group's location." },
      { flags: '--tags [tags...]', description: 'Space-separated tags: key[=value] [key[=value] ...].' },
    ],
    examples: [{ title: 'Create an identity.', command: 'keyless identity create --name myIdentity --resource-group myResourceGroup' }],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      // az fills the location from the resource group (get_default_location_from_resource_group).
      const location =
        opts.location ?? (await arm.get<ResourceGroupWire>(groupPath(arm.subscriptionId, opts.resourceGroup!), { apiVersion: 'resources' })).location;
      const body = { location, tags: parseTags(opts.tags) ?? {} };
      return shapeIdentity((await arm.call('PUT', identityPath(arm, opts), { apiVersion: 'managedIdentity', body })).json as IdentityWire);
    },
  });

  defineCommand<RefOptions>(group, {
    name: 'show',
    summary: 'Show an identity.',
    options: REF_OPTIONS,
    notFoundExitCode: 3,
    examples: [
      { title: 'Show an identity.', command: 'keyless identity show --name myIdentity --resource-group myResourceGroup' },
      { title: "Get an identity's principal id for a script.", command: 'keyless identity show -n myIdentity -g myResourceGroup --query principalId -o tsv' },
    ],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      return shapeIdentity(await arm.get<IdentityWire>(identityPath(arm, opts), { apiVersion: 'managedIdentity' }));
    },
  });

  defineCommand<{ resourceGroup?: string }>(group, {
    name: 'list',
    summary: 'List identities in a resource group, or in the subscription.',
    options: [{ flags: '-g, --resource-group <group>', description: 'Name of resource group. Default: the whole subscription.' }],
    examples: [{ title: 'List the identities of a resource group as a table.', command: 'keyless identity list -g myResourceGroup -o table' }],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      const scope = opts.resourceGroup ? groupPath(arm.subscriptionId, opts.resourceGroup) : `/subscriptions/${encodeURIComponent(arm.subscriptionId)}`;
      return (await arm.list<IdentityWire>(`${scope}/providers/${TYPE}`, { apiVersion: 'managedIdentity' })).map(shapeIdentity);
    },
  });

  defineCommand<RefOptions & { tags?: string[] | boolean }>(group, {
    name: 'update',
    summary: 'Update an identity (its tags).',
    options: [
      ...REF_OPTIONS,
      { flags: '--tags [tags...]', description: 'Space-separated tags: key[=value] [key[=value] ...]. Use "" to clear existing tags.' },
    ],
    examples: [{ title: 'Tag an identity.', command: 'keyless identity update -n myIdentity -g myResourceGroup --tags env=prod' }],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      const tags = parseTags(opts.tags);
      return shapeIdentity(
        (await arm.call('PATCH', identityPath(arm, opts), { apiVersion: 'managedIdentity', body: tags ? { tags } : {} })).json as IdentityWire,
      );
    },
  });

  defineCommand<RefOptions>(group, {
    name: 'delete',
    summary: 'Delete an identity.',
    options: REF_OPTIONS,
    examples: [{ title: 'Delete an identity.', command: 'keyless identity delete -n myIdentity -g myResourceGroup' }],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      await arm.call('DELETE', identityPath(arm, opts), { apiVersion: 'managedIdentity' });
      return undefined;
    },
  });

  defineCommand<object>(group, {
    name: 'list-operations',
    summary: 'Lists available operations for the Managed Identity provider.',
    examples: [{ title: 'List the operations.', command: 'keyless identity list-operations -o table' }],
    async run(ctx) {
      const arm = await ctx.arm();
      return arm.list(`/providers/Microsoft.ManagedIdentity/operations`, { apiVersion: 'managedIdentity' });
    },
  });
}
