/** `keyless vm identity assign|remove|show` (azure-cli `vm identity`). */
import type { Command } from 'commander';
import { defineCommand, defineGroup } from '../framework/command.js';
import { assignRoleToSystemIdentity, identityId, identityInfo, identityType, SYSTEM, vmPath, type VmWire } from './vm-shared.js';

interface IdentityOptions {
  resourceGroup?: string;
  name?: string;
  identities?: string[];
  role?: string;
  scope?: string;
}

const target = [
  { flags: '-g, --resource-group <name>', description: 'Name of resource group.', required: true },
  { flags: '-n, --name <name>', description: 'The name of the Virtual Machine.', required: true },
];

export function registerVmIdentity(vm: Command): void {
  const group = defineGroup(vm, 'identity', 'Manage service identities of a VM.');
  defineCommand<IdentityOptions>(group, {
    name: 'assign',
    summary: 'Enable managed service identity on a VM.',
    options: [
      ...target,
      {
        flags: '--identities [ids...]',
        description: "Space-separated identities to assign. Use '[system]' to refer to the system assigned identity. Default: '[system]'.",
      },
      { flags: '--role <role>', description: 'Role name or id the system assigned identity will have.' },
      { flags: '--scope <scope>', description: 'Scope that the system assigned identity can access.' },
    ],
    examples: [
      {
        title: 'Enable the system assigned identity and give it Reader on a group',
        command: 'keyless vm identity assign -g MyResourceGroup -n MyVm --role Reader --scope /subscriptions/{s}/resourceGroups/MyResourceGroup',
      },
    ],
    async run(ctx, o) {
      const arm = await ctx.arm();
      const path = vmPath(arm, o.resourceGroup!, o.name!);
      const vm = await arm.get<VmWire>(path, { apiVersion: 'compute' });
      const refs = Array.isArray(o.identities) && o.identities.length ? o.identities : [SYSTEM];
      const users = new Set(Object.keys(vm.identity?.userAssignedIdentities ?? {}));
      for (const r of refs) if (r !== SYSTEM) users.add(identityId(arm, o.resourceGroup!, r));
      const system = refs.includes(SYSTEM) || /SystemAssigned/i.test(vm.identity?.type ?? '');
      const identity = {
        type: identityType(system, users.size),
        ...(users.size ? { userAssignedIdentities: Object.fromEntries([...users].map((u) => [u, {}])) } : {}),
      };
      const updated = (await arm.lro<VmWire>('PATCH', path, { apiVersion: 'compute', body: { identity } }))!;
      const role = o.scope ? (o.role ?? 'Contributor') : undefined;
      if (o.scope) await assignRoleToSystemIdentity(arm, updated, role!, o.scope);
      return identityInfo(updated, o.scope, role);
    },
  });
  defineCommand<IdentityOptions>(group, {
    name: 'remove',
    summary: 'Remove managed service identities from a VM.',
    options: [
      ...target,
      {
        flags: '--identities [ids...]',
        description: "Space-separated identities to remove. Use '[system]' to refer to the system assigned identity. Default: '[system]'.",
      },
    ],
    examples: [{ title: 'Remove a user assigned identity', command: 'keyless vm identity remove -g MyResourceGroup -n MyVm --identities readerId' }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      const path = vmPath(arm, o.resourceGroup!, o.name!);
      const vm = await arm.get<VmWire>(path, { apiVersion: 'compute' });
      const refs = Array.isArray(o.identities) && o.identities.length ? o.identities : [SYSTEM];
      const removing = new Set(refs.filter((r) => r !== SYSTEM).map((r) => identityId(arm, o.resourceGroup!, r).toLowerCase()));
      const users = Object.keys(vm.identity?.userAssignedIdentities ?? {}).filter((u) => !removing.has(u.toLowerCase()));
      const system = /SystemAssigned/i.test(vm.identity?.type ?? '') && !refs.includes(SYSTEM);
      // ARM PATCH merges: an identity leaves the map only when sent as null.
      const dropped = Object.keys(vm.identity?.userAssignedIdentities ?? {}).filter((u) => removing.has(u.toLowerCase()));
      const type = identityType(system, users.length);
      const map = Object.fromEntries([...users.map((u) => [u, {}]), ...dropped.map((u) => [u, null])]);
      const identity = { type, ...(users.length && dropped.length ? { userAssignedIdentities: map } : {}) };
      const updated = (await arm.lro<VmWire>('PATCH', path, { apiVersion: 'compute', body: { identity } }))!;
      return updated.identity ?? undefined;
    },
  });
  defineCommand<IdentityOptions>(group, {
    name: 'show',
    summary: "Display VM's managed identity info.",
    options: target,
    notFoundExitCode: 3,
    examples: [
      {
        title: 'Show the principal id of the system assigned identity',
        command: 'keyless vm identity show -g MyResourceGroup -n MyVm --query principalId -o tsv',
      },
    ],
    async run(ctx, o) {
      const arm = await ctx.arm();
      return (await arm.get<VmWire>(vmPath(arm, o.resourceGroup!, o.name!), { apiVersion: 'compute' })).identity ?? undefined;
    },
  });
}
