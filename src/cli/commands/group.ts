/**
 * `keyless group create|show|list|update|delete|exists` (az group): Microsoft.Resources resource
 * groups. Output is ARM's body with `managedBy` shown as null when unset, as az prints it.
 */
import type { Command } from 'commander';
import type { ResourceGroupWire } from '../../contract/arm.js';
import { groupPath, parseTags } from '../framework/args.js';
import { defineCommand, defineGroup, type OptionSpec } from '../framework/command.js';
import { UsageError } from '../framework/errors.js';

interface NameOptions {
  name?: string;
  resourceGroup?: string;
}

/** az accepts `--name/-n` and `--resource-group/-g` for the group's name. */
const NAME_OPTIONS: OptionSpec[] = [
  { flags: '-n, --name <name>', description: 'Name of the resource group.' },
  { flags: '-g, --resource-group <name>', description: 'Name of the resource group (same as --name).' },
];

function nameOf(opts: NameOptions): string {
  const name = opts.name ?? opts.resourceGroup;
  if (!name) throw new UsageError('the following arguments are required: --name/--resource-group/-g/-n');
  return name;
}

/** az shows every model attribute, `null` when the server leaves it out. */
function shape(group: ResourceGroupWire | undefined): unknown {
  return group ? { managedBy: null, ...group } : group;
}

/** az's `group list -o table`: Name, Location, Status. */
const groupTable = (result: unknown) =>
  (Array.isArray(result) ? result : [result]).map((g: ResourceGroupWire) => ({
    Name: g.name,
    Location: g.location,
    Status: g.properties?.provisioningState,
  }));

/** Sets `a.b.c=value` (az generic update `--set`) on a copy of `target`. */
function applySet(target: Record<string, unknown>, assignments: string[]): void {
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`argument --set: expected PATH=VALUE, got '${a}'`);
    const path = a.slice(0, eq).split('.');
    let raw: unknown = a.slice(eq + 1);
    try {
      raw = JSON.parse(raw as string);
    } catch {
      /* a plain string */
    }
    let node = target;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = raw;
  }
}

export function register(program: Command): void {
  const group = defineGroup(program, 'group', 'Manage resource groups.', [
    {
      title: 'Create a resource group, then show it as a table.',
      command: 'keyless group create -n myResourceGroup -l westus2 && keyless group show -n myResourceGroup -o table',
    },
    { title: 'Delete it without waiting.', command: 'keyless group delete -n myResourceGroup --yes --no-wait' },
  ]);

  defineCommand<NameOptions & { location?: string; tags?: string[] | boolean; managedBy?: string }>(group, {
    name: 'create',
    summary: 'Create a new resource group.',
    options: [
      ...NAME_OPTIONS,
      { flags: '-l, --location <location>', description: 'Location.', required: true },
      { flags: '--tags [tags...]', description: 'Space-separated tags: key[=value] [key[=value] ...]. Use "" to clear existing tags.' },
      { flags: '--managed-by <id>', description: 'The ID of the resource that manages this resource group.' },
    ],
    examples: [
      { title: 'Create a new resource group in the West US 2 region.', command: 'keyless group create --name myResourceGroup --location westus2' },
      { title: 'Create a resource group with tags.', command: 'keyless group create -n myResourceGroup -l westus2 --tags env=test team=ops' },
    ],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      const body = { location: opts.location, tags: parseTags(opts.tags) ?? {}, ...(opts.managedBy ? { managedBy: opts.managedBy } : {}) };
      return shape((await arm.call('PUT', groupPath(arm.subscriptionId, nameOf(opts)), { apiVersion: 'resources', body })).json as ResourceGroupWire);
    },
  });

  defineCommand<NameOptions>(group, {
    name: 'show',
    summary: 'Gets a resource group.',
    options: NAME_OPTIONS,
    notFoundExitCode: 3,
    examples: [{ title: 'Show a resource group.', command: 'keyless group show --name myResourceGroup' }],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      return shape(await arm.get<ResourceGroupWire>(groupPath(arm.subscriptionId, nameOf(opts)), { apiVersion: 'resources' }));
    },
  });

  defineCommand<{ tag?: string }>(group, {
    name: 'list',
    summary: 'List resource groups.',
    options: [{ flags: '--tag <tag>', description: 'A single tag in \'key[=value]\' format. Use "" to clear existing tags.' }],
    table: groupTable,
    examples: [
      { title: 'List all resource groups located in the West US 2 region.', command: 'keyless group list --query "[?location==\'westus2\']"' },
      { title: 'List resource groups as a table.', command: 'keyless group list -o table' },
    ],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      let filter: string | undefined;
      if (opts.tag) {
        const [key, value] = opts.tag.split('=', 2) as [string, string | undefined];
        const q = (s: string) => s.replace(/'/g, "''");
        filter = value === undefined ? `tagName eq '${q(key)}'` : `tagName eq '${q(key)}' and tagValue eq '${q(value)}'`;
      }
      const groups = await arm.list<ResourceGroupWire>(`/subscriptions/${encodeURIComponent(arm.subscriptionId)}/resourcegroups`, {
        apiVersion: 'resources',
        query: { $filter: filter },
      });
      return groups.map(shape);
    },
  });

  defineCommand<NameOptions & { tags?: string[] | boolean; set?: string[] }>(group, {
    name: 'update',
    summary: 'Update a resource group.',
    options: [
      ...NAME_OPTIONS,
      { flags: '--tags [tags...]', description: 'Space-separated tags: key[=value] [key[=value] ...]. Use "" to clear existing tags.' },
      {
        flags: '--set <assignments...>',
        description: 'Update an object by specifying a property path and value to set, e.g. tags.env=prod.',
        group: 'Generic Update Arguments',
      },
    ],
    examples: [
      { title: 'Update a resource group by setting its tags.', command: 'keyless group update --resource-group myResourceGroup --tags env=prod' },
      { title: 'Set one tag.', command: 'keyless group update -n myResourceGroup --set tags.owner=me' },
    ],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      const path = groupPath(arm.subscriptionId, nameOf(opts));
      const current = await arm.get<ResourceGroupWire>(path, { apiVersion: 'resources' });
      const next: Record<string, unknown> = { tags: { ...current.tags }, ...(current.managedBy ? { managedBy: current.managedBy } : {}) };
      const tags = parseTags(opts.tags);
      if (tags) next.tags = tags;
      if (opts.set) applySet(next, opts.set);
      return shape((await arm.call('PATCH', path, { apiVersion: 'resources', body: next })).json as ResourceGroupWire);
    },
  });

  defineCommand<NameOptions & { yes?: boolean; wait?: boolean; forceDeletionTypes?: string }>(group, {
    name: 'delete',
    summary: 'Delete a resource group, with everything it contains.',
    options: [
      ...NAME_OPTIONS,
      { flags: '-y, --yes', description: 'Do not prompt for confirmation.' },
      { flags: '--no-wait', description: 'Do not wait for the long-running operation to finish.' },
      { flags: '-f, --force-deletion-types <types>', description: 'The resource types you want to force delete.' },
    ],
    examples: [{ title: 'Delete a resource group without waiting.', command: 'keyless group delete -n myResourceGroup --yes --no-wait' }],
    async run(ctx, opts) {
      const name = nameOf(opts);
      await ctx.confirm(opts.yes);
      const arm = await ctx.arm();
      await arm.lro('DELETE', groupPath(arm.subscriptionId, name), {
        apiVersion: 'resources',
        noWait: opts.wait === false,
        query: { forceDeletionTypes: opts.forceDeletionTypes },
      });
      return undefined;
    },
  });

  defineCommand<NameOptions>(group, {
    name: 'exists',
    summary: 'Check if a resource group exists.',
    options: NAME_OPTIONS,
    examples: [{ title: 'Check if a resource group exists.', command: 'keyless group exists -n myResourceGroup' }],
    async run(ctx, opts) {
      const arm = await ctx.arm();
      const res = await arm.call('HEAD', groupPath(arm.subscriptionId, nameOf(opts)), { apiVersion: 'resources', allow: [404] });
      return res.status !== 404;
    },
  });
}
