/**
 * The az-compatible command groups of `keyless`, loaded lazily: `keyless --help` only lists these
 * names and summaries; the module of a group is imported only when the command line names it, so
 * start-up stays close to bare Node. To add a group, add one entry here and a module in
 * src/cli/commands/ exporting a `register(program)` function (see src/cli/README.md).
 */
import type { Command } from 'commander';
import { azUsageText } from './framework/command.js';

export interface CommandGroupEntry {
  name: string;
  summary: string;
  /** Resolves to the function that adds the real command (group) to the program. */
  load(): Promise<(program: Command) => void>;
}

export const COMMAND_GROUPS: CommandGroupEntry[] = [
  {
    name: 'login',
    summary: 'Log in to a Keyless server (as the bootstrap admin or a service principal).',
    load: async () => (await import('./commands/login.js')).registerLogin,
  },
  { name: 'logout', summary: 'Log out to remove access to the Keyless server.', load: async () => (await import('./commands/login.js')).registerLogout },
  { name: 'account', summary: 'Manage subscription information and access tokens.', load: async () => (await import('./commands/account.js')).register },
  { name: 'group', summary: 'Manage resource groups.', load: async () => (await import('./commands/group.js')).register },
  { name: 'identity', summary: 'Managed Identities.', load: async () => (await import('./commands/identity.js')).register },
  { name: 'vm', summary: 'Manage Linux or Windows virtual machines.', load: async () => (await import('./commands/vm.js')).register },
  { name: 'role', summary: 'Manage Azure role-based access control (Azure RBAC).', load: async () => (await import('./commands/role.js')).register },
  { name: 'feature', summary: 'Manage resource provider features.', load: async () => (await import('./commands/feature.js')).register },
  { name: 'provider', summary: 'Manage resource providers.', load: async () => (await import('./commands/provider.js')).register },
];

/** The first word of the command line that is not a flag: the group the user asked for. */
function firstWord(argv: readonly string[]): string | undefined {
  return argv.find((a) => !a.startsWith('-'));
}

/**
 * Adds the command groups to `program`: the one named on the command line for real, the others as
 * one-line entries for `keyless --help`. Also makes usage errors read as az's.
 */
export async function registerCommandGroups(program: Command, argv: readonly string[]): Promise<void> {
  program.configureOutput({ outputError: (text, write) => write(azUsageText(text)) });
  const wanted = firstWord(argv);
  for (const entry of COMMAND_GROUPS) {
    if (entry.name === wanted) (await entry.load())(program);
    else program.command(entry.name).description(entry.summary);
  }
}
