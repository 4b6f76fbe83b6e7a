/**
 * `keyless role definition list|show|create|update|delete` (azure-cli `role` module). Custom roles are
 * given as az's JSON (`@file.json` or inline): `Name`, `Description`, `Actions`, `NotActions`,
 * `DataActions`, `NotDataActions`, `AssignableScopes` (first letter in either case, as az accepts).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ArmClient } from '../framework/arm-client.js';
import { defineCommand } from '../framework/command.js';
import { CliError } from '../framework/errors.js';
import { buildScope, definitionsPath, flattenDefinition, listDefinitions } from './role-shared.js';

interface DefinitionOptions {
  name?: string;
  scope?: string;
  resourceGroup?: string;
  customRoleOnly?: boolean;
  roleDefinition?: string;
}

/** `@file` or inline JSON, with az's lower-casing of the first letter of each key. */
async function readDefinitionJson(value: string): Promise<Record<string, unknown>> {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = await readFile(value.slice(1), 'utf8');
    } catch (e) {
      throw new CliError(`Failed to read file '${value.slice(1)}': ${(e as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CliError(`Failed to parse string as JSON:\n${text}\nThe error that was raised is: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError('The role definition must be a JSON object.');
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]));
}

/** az's `_search_role_definitions`: by GUID or role name, optionally custom roles only. */
async function search(arm: ArmClient, scope: string, name: string | undefined, customOnly: boolean | undefined) {
  let roles = await listDefinitions(arm, scope);
  if (name) roles = roles.filter((r) => String(r['name']).toLowerCase() === name.toLowerCase() || String(r['roleName']).toLowerCase() === name.toLowerCase());
  if (customOnly) roles = roles.filter((r) => r['roleType'] === 'CustomRole');
  return roles;
}

const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);

async function save(arm: ArmClient, value: string, forUpdate: boolean) {
  const def = await readDefinitionJson(value);
  let roleName = def['roleName'] ?? def['name'];
  if (typeof roleName !== 'string' || roleName === '') throw new CliError('please provide role name');
  let roleId: string = randomUUID();
  let scopes = strings(def['assignableScopes']);
  if (forUpdate) {
    const scope = scopes[0] ?? `/subscriptions/${arm.subscriptionId}`;
    const key = typeof def['name'] === 'string' ? def['name'] : roleName;
    const matched = await search(arm, scope, key, true);
    if (matched.length > 1) throw new CliError('More than 1 role definition matched');
    if (matched.length === 0) throw new CliError(`Role definition '${key}' doesn't exist.`);
    roleId = String(matched[0]!['name']);
    if (def['roleName'] === undefined) roleName = String(matched[0]!['roleName']);
    if (scopes.length === 0) scopes = strings(matched[0]!['assignableScopes']);
  } else if (def['assignableScopes'] === undefined) {
    throw new CliError("please provide 'assignableScopes'");
  }
  const properties = {
    roleName,
    description: def['description'] ?? null,
    type: 'CustomRole',
    assignableScopes: scopes,
    permissions: [
      {
        actions: strings(def['actions']),
        notActions: strings(def['notActions']),
        dataActions: strings(def['dataActions']),
        notDataActions: strings(def['notDataActions']),
      },
    ],
  };
  const res = await arm.call('PUT', `${definitionsPath(scopes[0]!)}/${roleId}`, { apiVersion: 'authorization', body: { properties } });
  return flattenDefinition(res.json as Parameters<typeof flattenDefinition>[0]);
}

const scopeOptions = [
  { flags: '--scope <scope>', description: 'Scope at which the role definition applies to (default: the subscription).' },
  { flags: '-g, --resource-group <name>', description: 'Use it only if the role was added at the level of a resource group.' },
];
const definitionOption = {
  flags: '--role-definition <json>',
  description: "Description of a role as JSON, or a path to a file containing a JSON description (prefixed with '@').",
  required: true,
};
const table = (r: unknown) =>
  (Array.isArray(r) ? r : [r]).map((d: Record<string, unknown>) => ({ Name: d['roleName'], Type: d['type'], Description: d['description'] }));

/** Adds `role definition …` to the `role` group. */
export function registerDefinitions(defineSubGroup: (name: string, summary: string) => Command): void {
  const group = defineSubGroup('definition', 'Manage role definitions.');
  defineCommand<DefinitionOptions>(group, {
    name: 'list',
    summary: 'List role definitions.',
    options: [
      { flags: '-n, --name <name>', description: "A role's name, e.g. 'Reader', or its GUID." },
      { flags: '--custom-role-only', description: 'Custom roles only (vs. built-in ones).' },
      ...scopeOptions,
    ],
    table,
    examples: [{ title: 'List custom roles', command: 'keyless role definition list --custom-role-only -o table' }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      return search(arm, buildScope(arm, o.scope, o.resourceGroup), o.name, o.customRoleOnly);
    },
  });
  defineCommand<DefinitionOptions>(group, {
    name: 'show',
    summary: 'Show one role definition by name or GUID.',
    options: [{ flags: '-n, --name <name>', description: "A role's name, e.g. 'Reader', or its GUID.", required: true }, ...scopeOptions],
    table,
    notFoundExitCode: 3,
    examples: [{ title: 'Show the Contributor role', command: 'keyless role definition show --name Contributor' }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      const found = await search(arm, buildScope(arm, o.scope, o.resourceGroup), o.name, false);
      if (found.length === 0) throw new CliError(`Role definition '${o.name}' doesn't exist.`, 3);
      return found[0];
    },
  });
  defineCommand<DefinitionOptions>(group, {
    name: 'create',
    summary: 'Create a custom role definition.',
    options: [definitionOption],
    examples: [{ title: 'Create a role from a file', command: 'keyless role definition create --role-definition @ReadSupportRole.json' }],
    run: async (ctx, o) => save(await ctx.arm(), o.roleDefinition!, false),
  });
  defineCommand<DefinitionOptions>(group, {
    name: 'update',
    summary: 'Update a role definition.',
    options: [definitionOption],
    examples: [{ title: 'Update a role from a file', command: 'keyless role definition update --role-definition @ReadSupportRole.json' }],
    run: async (ctx, o) => save(await ctx.arm(), o.roleDefinition!, true),
  });
  defineCommand<DefinitionOptions>(group, {
    name: 'delete',
    summary: 'Delete a role definition.',
    options: [
      { flags: '-n, --name <name>', description: "The role's name or GUID.", required: true },
      { flags: '--custom-role-only', description: 'Custom roles only (vs. built-in ones).' },
      ...scopeOptions,
    ],
    examples: [{ title: 'Delete a custom role', command: 'keyless role definition delete --name "Reader Support Tickets"' }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      const scope = buildScope(arm, o.scope, o.resourceGroup);
      const found = await search(arm, scope, o.name, o.customRoleOnly);
      for (const d of found) await arm.call('DELETE', `${definitionsPath(scope)}/${String(d['name'])}`, { apiVersion: 'authorization' });
      return undefined;
    },
  });
}
