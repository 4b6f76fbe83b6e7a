/**
 * `keyless vm create|show|list|delete` for what matters to managed identities (azure-cli `vm`):
 * `--assign-identity [ids…]` (`[system]` = system-assigned), `--role` / `--scope` granting the system
 * identity a role as az does, `--image`, `--size`, `--admin-username` kept on the VM; network and
 * disk arguments are accepted and have no effect (Keyless runs no machines).
 */
import type { Command } from 'commander';
import { defineCommand, defineGroup } from '../framework/command.js';
import { assignRoleToSystemIdentity, flattenVm, identityId, identityInfo, identityType, SYSTEM, vmPath, type VmWire } from './vm-shared.js';
import { registerVmIdentity } from './vm-identity.js';

interface VmOptions {
  resourceGroup?: string;
  name?: string;
  image?: string;
  location?: string;
  size?: string;
  adminUsername?: string;
  assignIdentity?: string[] | boolean;
  role?: string;
  scope?: string;
  tags?: string[];
  yes?: boolean;
  wait?: boolean;
}

/** az's image aliases for the common Linux images; anything else is a URN or an image id. */
const ALIASES: Record<string, string> = {
  ubuntu2204: 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest',
  ubuntults: 'Canonical:UbuntuServer:16.04-LTS:latest',
  debian11: 'Debian:debian-11:11-backports-gen2:latest',
  win2022datacenter: 'MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest',
};

function imageReference(image: string): Record<string, string> {
  if (image.startsWith('/')) return { id: image };
  const urn = ALIASES[image.toLowerCase()] ?? image;
  const [publisher, offer, sku, version] = urn.split(':');
  return publisher && offer && sku ? { publisher, offer, sku, version: version ?? 'latest' } : { id: image };
}

const tagsOf = (tags: string[] | undefined) =>
  Object.fromEntries(
    (tags ?? []).map((t) => {
      const i = t.indexOf('=');
      return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1)];
    }),
  );
const table = (r: unknown) =>
  (Array.isArray(r) ? r : [r]).map((v: Record<string, unknown>) => ({
    Name: v['name'],
    ResourceGroup: v['resourceGroup'],
    Location: v['location'],
    Zones: v['zones'] ?? '',
  }));
const target = [
  { flags: '-g, --resource-group <name>', description: 'Name of resource group.', required: true },
  { flags: '-n, --name <name>', description: 'The name of the Virtual Machine.', required: true },
];

export function register(program: Command): void {
  const vm = defineGroup(program, 'vm', 'Manage Linux or Windows virtual machines.');
  defineCommand<VmOptions>(vm, {
    name: 'create',
    summary: 'Create an Azure Virtual Machine.',
    options: [
      ...target,
      { flags: '--image <image>', description: 'The name of the operating system image as a URN alias, URN, or resource ID.', required: true },
      { flags: '-l, --location <location>', description: "Location. Defaults to the resource group's location." },
      { flags: '--size <size>', description: 'The VM size to be created.', default: 'Standard_DS1_v2' },
      { flags: '--admin-username <name>', description: 'Username for the VM.' },
      { flags: '--admin-password <password>', description: 'Password for the VM (accepted, never stored).' },
      { flags: '--generate-ssh-keys', description: 'Accepted; Keyless runs no machines.' },
      { flags: '--authentication-type <type>', description: 'Accepted; Keyless runs no machines.' },
      { flags: '--public-ip-address <name>', description: 'Accepted; Keyless runs no machines.' },
      {
        flags: '--assign-identity [ids...]',
        description:
          "Accept system or user assigned identities separated by spaces. Use '[system]' to refer to the system assigned identity, or a resource id to refer to a user assigned identity.",
      },
      { flags: '--role <role>', description: 'Role name or id the system assigned identity will have.' },
      { flags: '--scope <scope>', description: 'Scope that the system assigned identity can access.' },
      { flags: '--tags [tags...]', description: 'Space-separated tags: key[=value] [key[=value] ...].' },
      { flags: '--no-wait', description: 'Do not wait for the long-running operation to finish.' },
    ],
    examples: [
      {
        title: 'Create a VM with a system assigned identity that has Contributor on its group',
        command:
          'keyless vm create -n MyVm -g MyResourceGroup --image Ubuntu2204 --assign-identity --role Contributor --scope /subscriptions/{s}/resourceGroups/MyResourceGroup',
      },
    ],
    async run(ctx, o) {
      const arm = await ctx.arm();
      const location =
        o.location ??
        (
          await arm.get<{ location: string }>(`/subscriptions/${arm.subscriptionId}/resourceGroups/${encodeURIComponent(o.resourceGroup!)}`, {
            apiVersion: 'resources',
          })
        ).location;
      const refs = o.assignIdentity === true ? [SYSTEM] : Array.isArray(o.assignIdentity) ? (o.assignIdentity.length ? o.assignIdentity : [SYSTEM]) : [];
      const users = refs.filter((r) => r !== SYSTEM).map((r) => identityId(arm, o.resourceGroup!, r));
      const identity = refs.length
        ? {
            type: identityType(refs.includes(SYSTEM), users.length),
            ...(users.length ? { userAssignedIdentities: Object.fromEntries(users.map((u) => [u, {}])) } : {}),
          }
        : undefined;
      const body = {
        location,
        tags: tagsOf(o.tags),
        ...(identity ? { identity } : {}),
        properties: {
          hardwareProfile: { vmSize: o.size },
          storageProfile: { imageReference: imageReference(o.image!) },
          osProfile: { computerName: o.name, adminUsername: o.adminUsername ?? 'azureuser' },
        },
      };
      const path = vmPath(arm, o.resourceGroup!, o.name!);
      const created = await arm.lro<VmWire>('PUT', path, { apiVersion: 'compute', body, noWait: o.wait === false });
      if (o.wait === false || !created) return undefined;
      const role = o.scope ? (o.role ?? 'Contributor') : undefined;
      if (o.scope && refs.includes(SYSTEM)) await assignRoleToSystemIdentity(arm, created, role!, o.scope);
      // az's summary of a created VM; Keyless has no network, so addresses are empty.
      return {
        fqdns: '',
        id: created.id,
        ...(identity ? { identity: identityInfo(created, o.scope, role) } : {}),
        location: created.location,
        macAddress: '',
        powerState: 'VM running',
        privateIpAddress: '',
        publicIpAddress: '',
        resourceGroup: o.resourceGroup,
        zones: '',
      };
    },
  });
  defineCommand<VmOptions>(vm, {
    name: 'show',
    summary: 'Get the details of a virtual machine.',
    options: target,
    table,
    notFoundExitCode: 3,
    examples: [
      {
        title: "Show the principal id of a VM's system assigned identity",
        command: 'keyless vm show -g MyResourceGroup -n MyVm --query identity.principalId -o tsv',
      },
    ],
    async run(ctx, o) {
      const arm = await ctx.arm();
      return flattenVm(await arm.get<VmWire>(vmPath(arm, o.resourceGroup!, o.name!), { apiVersion: 'compute' }));
    },
  });
  defineCommand<VmOptions>(vm, {
    name: 'list',
    summary: 'List details of Virtual Machines.',
    table,
    options: [{ flags: '-g, --resource-group <name>', description: 'Name of resource group.' }],
    examples: [{ title: 'List the VMs of a group', command: 'keyless vm list -g MyResourceGroup -o table' }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      const base = o.resourceGroup
        ? `/subscriptions/${arm.subscriptionId}/resourceGroups/${encodeURIComponent(o.resourceGroup)}`
        : `/subscriptions/${arm.subscriptionId}`;
      return (await arm.list<VmWire>(`${base}/providers/Microsoft.Compute/virtualMachines`, { apiVersion: 'compute' })).map(flattenVm);
    },
  });
  defineCommand<VmOptions>(vm, {
    name: 'delete',
    summary: 'Delete a VM.',
    options: [
      ...target,
      { flags: '-y, --yes', description: 'Do not prompt for confirmation.' },
      { flags: '--no-wait', description: 'Do not wait for the long-running operation to finish.' },
    ],
    examples: [{ title: 'Delete a VM without a prompt', command: 'keyless vm delete -g MyResourceGroup -n MyVm --yes' }],
    async run(ctx, o) {
      await ctx.confirm(o.yes);
      const arm = await ctx.arm();
      await arm.lro('DELETE', vmPath(arm, o.resourceGroup!, o.name!), { apiVersion: 'compute', noWait: o.wait === false });
      return undefined;
    },
  });
  registerVmIdentity(vm);
}
