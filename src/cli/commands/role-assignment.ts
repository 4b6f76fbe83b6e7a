/**
 * `keyless role assignment create|list|delete`, following azure-cli's `role` module: `--assignee`
 * (a service principal name such as the appId, or an object id, resolved through the server's Graph
 * surface as az does), `--role` by name, GUID or id, `--scope` or `-g` (default: the subscription),
 * and `list`'s az-only fields `principalName` (from Graph) and `roleDefinitionName`.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { ArmClient } from '../framework/arm-client.js';
import { defineCommand, type CommandContext } from '../framework/command.js';
import { CliError, ServiceError } from '../framework/errors.js';
import { displayableName, GraphClient, principalTypeOf } from '../framework/graph-client.js';
import { log } from '../framework/log.js';
import { buildScope, flattenAssignment, isGuid, listDefinitions, resolveRoleId } from './role-shared.js';

interface AssignmentOptions {
  assignee?: string;
  assigneeObjectId?: string;
  assigneePrincipalType?: string;
  role?: string;
  scope?: string;
  resourceGroup?: string;
  description?: string;
  name?: string;
  all?: boolean;
  includeInherited?: boolean;
  includeGroups?: boolean;
  ids?: string[];
  yes?: boolean;
  fillRoleDefinitionName?: string;
  fillPrincipalName?: string;
}

const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'] as const;

const assignmentsPath = (scope: string) => `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments`;

interface Assignee {
  objectId: string;
  principalType: string | undefined;
}

/**
 * `--assignee-object-id` as given, or `--assignee` resolved through Graph as az's `_resolve_object_id`
 * does: a service principal name (appId, or a managed identity's resource id) first, then an object
 * id. Not found is an error; a Graph failure falls back to a GUID assignee taken as an object id.
 */
async function resolveAssignee(ctx: CommandContext, o: AssignmentOptions): Promise<Assignee | undefined> {
  if (o.assigneeObjectId) return { objectId: o.assigneeObjectId, principalType: o.assigneePrincipalType };
  const assignee = o.assignee;
  if (assignee === undefined) return undefined;
  const graph = new GraphClient(await ctx.profile());
  try {
    let found = await graph.servicePrincipals(`servicePrincipalNames/any(c:c eq '${assignee.replace(/'/g, "''")}')`);
    if (found.length === 0 && isGuid(assignee)) found = await graph.getByIds([assignee]);
    const match = found[0];
    if (!match) {
      throw new CliError(
        `Cannot find user or service principal in graph database for '${assignee}'. If the assignee is an appId, make sure the corresponding service principal is created with 'keyless login --service-principal' or 'keyless identity create'.`,
      );
    }
    return { objectId: match.id, principalType: principalTypeOf(match) };
  } catch (e) {
    if (e instanceof ServiceError && isGuid(assignee)) {
      log.info(`Failed to resolve '${assignee}' in the directory (${e.code}); using it as an object id.`);
      return { objectId: assignee, principalType: o.assigneePrincipalType };
    }
    throw e;
  }
}

/** az fills `principalName` with one Graph call per list; a Graph failure leaves names empty, as az does. */
async function fillPrincipalNames(ctx: CommandContext, items: Record<string, unknown>[]): Promise<void> {
  for (const a of items) a['principalName'] = '';
  const ids = [...new Set(items.map((a) => String(a['principalId'] ?? '')).filter(isGuid))];
  if (ids.length === 0) return;
  try {
    const names = new Map((await new GraphClient(await ctx.profile()).getByIds(ids)).map((p) => [p.id.toLowerCase(), displayableName(p)]));
    for (const a of items) a['principalName'] = names.get(String(a['principalId']).toLowerCase()) ?? '';
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    log.info(`Failed to resolve graph object information per error '(${e.code}) ${e.message}'`);
  }
}

const lastSegment = (id: unknown) =>
  String(id ?? '')
    .split('/')
    .pop()!
    .toLowerCase();

/** az's `_search_role_assignments` followed by its client-side filters. */
async function search(ctx: CommandContext, arm: ArmClient, o: AssignmentOptions): Promise<Record<string, unknown>[]> {
  if (o.all && (o.scope || o.resourceGroup)) throw new CliError('group or scope are not required when --all is used');
  const scope = o.all ? undefined : buildScope(arm, o.scope, o.resourceGroup);
  const principal = (await resolveAssignee(ctx, o))?.objectId;
  const filter = scope ? 'atScope()' : principal ? `principalId eq '${principal}'` : undefined;
  const raw = await arm.list<{ properties?: Record<string, unknown> }>(assignmentsPath(scope ?? `/subscriptions/${arm.subscriptionId}`), {
    apiVersion: 'authorization',
    query: { $filter: filter },
  });
  let items = raw.map(flattenAssignment);
  if (scope) {
    // Exactly at the scope, or (with --include-inherited) at a scope above it.
    items = items.filter((a) => {
      const s = String(a['scope']).toLowerCase();
      return s === scope.toLowerCase() || (o.includeInherited && (s === '/' || scope.toLowerCase().startsWith(`${s}/`)));
    });
  }
  if (o.role) {
    const roleId = lastSegment(await resolveRoleId(arm, o.role, scope ?? `/subscriptions/${arm.subscriptionId}`));
    items = items.filter((a) => lastSegment(a['roleDefinitionId']) === roleId);
  }
  if (principal) items = items.filter((a) => String(a['principalId']).toLowerCase() === principal.toLowerCase());
  return items;
}

const scopeOptions = [
  {
    flags: '--scope <scope>',
    description:
      'Scope at which the role assignment or definition applies to, e.g., /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333, /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/myGroup, or /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/myGroup/providers/Microsoft.Compute/virtualMachines/myVM.',
  },
  { flags: '-g, --resource-group <name>', description: 'Use it only if the role or assignment was added at the level of a resource group.' },
];
const assigneeOption = {
  flags: '--assignee <assignee>',
  description: 'Represent a user, group, or service principal. supported format: object id, user principal name, or service principal name.',
};
const roleOption = { flags: '--role <role>', description: 'Role name or id.' };

/** Adds `role assignment …` to the `role` group. */
export function registerAssignments(defineSubGroup: (name: string, summary: string) => Command): void {
  const group = defineSubGroup('assignment', 'Manage role assignments.');
  defineCommand<AssignmentOptions>(group, {
    name: 'create',
    summary: 'Create a new role assignment for a user, group, or service principal.',
    options: [
      assigneeOption,
      { flags: '--assignee-object-id <id>', description: "Use this parameter instead of '--assignee' to bypass Graph API invocation." },
      {
        flags: '--assignee-principal-type <type>',
        description: 'Use with --assignee-object-id to avoid errors caused by propagation latency in Microsoft Graph.',
        choices: PRINCIPAL_TYPES,
      },
      { ...roleOption, required: true },
      ...scopeOptions,
      { flags: '--description <text>', description: 'Description of role assignment.' },
      {
        flags: '--name <guid>',
        description: 'A GUID for the role assignment. It must be unique and different for each role assignment. If omitted, a new GUID is generated.',
      },
    ],
    examples: [
      {
        title: 'Create role assignment to grant the specified assignee the Reader role on a resource group.',
        command:
          'keyless role assignment create --assignee 00000000-0000-0000-0000-000000000000 --role "Reader" --scope /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}',
      },
    ],
    async run(ctx, o) {
      const arm = await ctx.arm();
      if (!o.assignee && !o.assigneeObjectId) throw new CliError('usage error: --assignee STRING | --assignee-object-id GUID');
      const scope = buildScope(arm, o.scope, o.resourceGroup);
      const roleDefinitionId = await resolveRoleId(arm, o.role!, scope);
      const { objectId: principalId, principalType } = (await resolveAssignee(ctx, o))!;
      const properties = { roleDefinitionId, principalId, principalType, description: o.description };
      const res = await arm.call('PUT', `${assignmentsPath(scope)}/${o.name ?? randomUUID()}`, { apiVersion: 'authorization', body: { properties } });
      return flattenAssignment(res.json as { properties?: Record<string, unknown> });
    },
  });
  defineCommand<AssignmentOptions>(group, {
    name: 'list',
    summary: 'List role assignments.',
    options: [
      assigneeOption,
      roleOption,
      ...scopeOptions,
      { flags: '--all', description: 'Show all assignments under the current subscription.' },
      { flags: '--include-inherited', description: 'Include assignments applied on parent scopes.' },
      { flags: '--include-groups', description: 'Include extra assignments to the groups of which the user is a member (transitively).' },
      { flags: '--fill-role-definition-name <bool>', description: 'Fill roleDefinitionName property in addition to roleDefinitionId.', default: 'true' },
      { flags: '--fill-principal-name <bool>', description: 'Fill principalName property in addition to principalId.', default: 'true' },
    ],
    table: (r) => (r as Record<string, unknown>[]).map((a) => ({ Principal: a['principalName'], Role: a['roleDefinitionName'], Scope: a['scope'] })),
    examples: [{ title: 'List role assignments at the subscription and above', command: 'keyless role assignment list --include-inherited -o table' }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      const items = await search(ctx, arm, o);
      if (o.fillRoleDefinitionName !== 'false') {
        const names = new Map(
          (await listDefinitions(arm, `/subscriptions/${arm.subscriptionId}`)).map((d) => [String(d['name']).toLowerCase(), d['roleName']]),
        );
        for (const a of items) a['roleDefinitionName'] = names.get(lastSegment(a['roleDefinitionId'])) ?? '';
      }
      if (o.fillPrincipalName !== 'false') await fillPrincipalNames(ctx, items);
      return items;
    },
  });
  defineCommand<AssignmentOptions>(group, {
    name: 'delete',
    summary: 'Delete role assignments.',
    options: [
      assigneeOption,
      roleOption,
      ...scopeOptions,
      { flags: '--ids <ids...>', description: 'Space-separated role assignment ids.' },
      { flags: '-y, --yes', description: 'Currently no-op.' },
    ],
    examples: [
      {
        title: 'Delete role assignments of a principal at a resource group',
        command: 'keyless role assignment delete --assignee 00000000-0000-0000-0000-000000000000 --role Reader -g myResourceGroup',
      },
    ],
    async run(ctx, o) {
      const arm = await ctx.arm();
      if (o.ids?.length) {
        for (const id of o.ids) await arm.call('DELETE', id, { apiVersion: 'authorization' });
        return undefined;
      }
      if (!o.assignee && !o.role && !o.scope && !o.resourceGroup)
        await ctx.confirm(o.yes, 'This will delete all role assignments under the subscription. Are you sure?');
      const found = await search(ctx, arm, o);
      if (found.length === 0) throw new CliError('No matched assignments were found to delete');
      for (const a of found) await arm.call('DELETE', String(a['id']), { apiVersion: 'authorization' });
      return undefined;
    },
  });
}
