/**
 * How a `keyless` command is declared: {@link defineGroup} and {@link defineCommand} turn a
 * {@link CommandSpec} into a commander command with az's global arguments (`--output/-o`, `--query`,
 * `--subscription`, `--only-show-errors`, `--verbose`, `--debug`), az's usage errors (exit 2), an
 * "Examples" help section, and one runner that signs in, calls `run`, renders the result and prints
 * errors as az does.
 */
import { Command, Option } from 'commander';
import type { ArmClient } from './arm-client.js';
import { CliError, formatError, ServiceError, UsageError } from './errors.js';
import { configureLog, log } from './log.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import type { Profile } from './profile.js';
import type { TableTransform } from './table.js';

/** One flag. `flags` uses commander's syntax: `-n, --name <name>`, `--tags [tags...]`, `-y, --yes`. */
export interface OptionSpec {
  flags: string;
  description: string;
  /** Checked after parsing so the message is az's "the following arguments are required: …". */
  required?: boolean;
  choices?: readonly string[];
  default?: unknown;
  /** Heading of the help section, as az groups arguments (e.g. 'Resource Id Arguments'). */
  group?: string;
}

export interface Example {
  title: string;
  command: string;
}

/** What a command module declares; `run` returns the result to print (undefined: print nothing). */
export interface CommandSpec<O> {
  name: string;
  summary: string;
  options?: OptionSpec[];
  examples?: Example[];
  /** az's table transform (used by `-o table` when no `--query` is given). */
  table?: TableTransform;
  /** az exits 3 instead of 1 when a `show` command's resource does not exist. */
  notFoundExitCode?: number;
  run(ctx: CommandContext, opts: O): Promise<unknown>;
}

/** What `run` gets besides its options. */
export interface CommandContext {
  /** The sign-in profile (az "Please run 'az login'" error when absent). */
  profile(): Promise<Profile>;
  /** An ARM client for the subscription in effect (`--subscription` or the default). */
  arm(): Promise<ArmClient>;
  /** `--subscription` as given (id or name), if any. */
  subscriptionOption: string | undefined;
  /** az's confirmation prompt; refused without a terminal unless `--yes` was given. */
  confirm(yes: boolean | undefined, question?: string): Promise<void>;
}

/** Global arguments every command takes, as az's "Global Arguments". */
export interface GlobalOptions {
  output: OutputFormat;
  query?: string;
  subscription?: string;
  onlyShowErrors?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

/** `-n, --name <name>` → `--name/-n`, az's spelling in usage errors. */
export function azFlagName(flags: string): string {
  const long = /--[\w-]+/.exec(flags)?.[0];
  const short = /(?:^|[\s,|])(-\w)\b/.exec(flags)?.[1];
  return [long, short].filter(Boolean).join('/');
}

/** commander's error text → az's (argparse) wording. */
export function azUsageText(text: string): string {
  const [first = '', ...rest] = text.trimEnd().split('\n');
  let m: RegExpExecArray | null;
  let out: string;
  if ((m = /^error: unknown option '([^']+)'/.exec(first))) out = `unrecognized arguments: ${m[1]}`;
  else if ((m = /^error: unknown command '([^']+)'/.exec(first))) out = `'${m[1]}' is misspelled or not recognized by the system.`;
  else if ((m = /^error: option '([^']+)' argument missing/.exec(first))) out = `argument ${azFlagName(m[1]!)}: expected one argument`;
  else if ((m = /^error: option '([^']+)' argument '([^']*)' is invalid\. Allowed choices are (.+)\.$/.exec(first))) {
    out = `argument ${azFlagName(m[1]!)}: invalid choice: '${m[2]}' (choose from ${m[3]!
      .split(', ')
      .map((c) => `'${c}'`)
      .join(', ')})`;
  } else out = first.replace(/^error: /, '');
  return [`ERROR: ${out}`, ...rest].join('\n') + '\n';
}

const GLOBAL = 'Global Arguments';

function addGlobalOptions(cmd: Command): void {
  // A command may declare one of these itself (az `account set --subscription`): its own wins.
  const taken = new Set(cmd.options.map((o) => o.long));
  const add = (o: Option) => {
    if (!taken.has(o.long)) cmd.addOption(o);
  };
  add(
    new Option('-o, --output <format>', 'Output format.')
      .choices(OUTPUT_FORMATS)
      .default(process.env.KEYLESS_CORE_OUTPUT ?? 'json')
      .helpGroup(GLOBAL),
  );
  add(new Option('--query <jmespath>', 'JMESPath query string. See http://jmespath.org/ for more information and examples.').helpGroup(GLOBAL));
  add(
    new Option(
      '--subscription <subscription>',
      'Name or ID of subscription. You can configure the default subscription using `keyless account set -s NAME_OR_ID`.',
    ).helpGroup(GLOBAL),
  );
  add(new Option('--only-show-errors', 'Only show errors, suppressing warnings.').helpGroup(GLOBAL));
  add(new Option('--verbose', 'Increase logging verbosity. Use --debug for full debug logs.').helpGroup(GLOBAL));
  add(new Option('--debug', 'Increase logging verbosity to show all debug logs (HTTP calls, secrets redacted).').helpGroup(GLOBAL));
}

function examplesText(examples: Example[] | undefined): string {
  if (!examples?.length) return '';
  return `\nExamples\n${examples.map((e) => `    ${e.title}\n        ${e.command}\n`).join('\n')}`;
}

/** A command group (`keyless group`, `keyless identity`, …) with az's usage-error wording. */
export function defineGroup(parent: Command, name: string, summary: string, examples?: Example[]): Command {
  const group = parent
    .command(name)
    .description(summary)
    .helpCommand(false)
    .configureOutput({ outputError: (text, write) => write(azUsageText(text)) })
    // Bare `keyless group` prints the group's help (exit 0, as az does); other usage errors exit 2.
    .exitOverride((err) => process.exit(err.code === 'commander.help' || err.exitCode === 0 ? 0 : 2));
  if (examples) group.addHelpText('after', examplesText(examples));
  return group;
}

/** Adds a leaf command to `group` from its spec. */
export function defineCommand<O extends object>(group: Command, spec: CommandSpec<O>): Command {
  const path = `${commandPath(group)} ${spec.name}`;
  const cmd = group
    .command(spec.name)
    .description(spec.summary)
    .allowExcessArguments(true)
    .showHelpAfterError(`\nTo see the arguments and examples, run 'keyless ${path} --help'.`);
  for (const o of spec.options ?? []) {
    const option = new Option(o.flags, o.required ? `${o.description} (required)` : o.description);
    if (o.choices) option.choices(o.choices);
    if (o.default !== undefined) option.default(o.default);
    if (o.group) option.helpGroup(o.group);
    cmd.addOption(option);
  }
  addGlobalOptions(cmd);
  cmd.addHelpText('after', examplesText(spec.examples));
  cmd.action(async (opts: O & GlobalOptions, self: Command) => {
    process.exitCode = await runCommand(spec, opts, self);
  });
  return cmd;
}

/** Checks, runs, renders; returns the exit status. Never throws. */
async function runCommand<O extends object>(spec: CommandSpec<O>, opts: O & GlobalOptions, self: Command): Promise<number> {
  const started = Date.now();
  configureLog({ verbose: !!opts.verbose, debug: !!opts.debug, onlyShowErrors: !!opts.onlyShowErrors });
  let close: (() => void) | undefined;
  try {
    if (self.args.length > 0) throw new UsageError(`unrecognized arguments: ${self.args.join(' ')}`);
    const missing = (spec.options ?? []).filter((o) => o.required && (opts as Record<string, unknown>)[attributeOf(o.flags)] === undefined);
    if (missing.length) throw new UsageError(`the following arguments are required: ${missing.map((o) => azFlagName(o.flags)).join(', ')}`);
    const ctx = createContext(opts, (c) => {
      close = c;
    });
    const result = await spec.run(ctx, opts);
    const { render } = await import('./output.js');
    process.stdout.write(await render(result, { output: opts.output, query: opts.query, table: spec.table }));
    log.info(`Command ran in ${((Date.now() - started) / 1000).toFixed(3)} seconds`);
    return 0;
  } catch (error) {
    if (error instanceof ServiceError && error.status === 404 && spec.notFoundExitCode) error.exitCode = spec.notFoundExitCode;
    const { text, exitCode } = formatError(error);
    process.stderr.write(`${text}\n`);
    if (exitCode === 2) process.stderr.write(`\nTo see the arguments and examples, run 'keyless ${commandPath(self)} --help'.\n`);
    if (!(error instanceof CliError || error instanceof ServiceError || error instanceof UsageError)) log.debug((error as Error)?.stack ?? String(error));
    return exitCode;
  } finally {
    close?.();
  }
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** commander's attribute name of a flag: `--resource-group` → `resourceGroup`, `--no-wait` → `wait`. */
function attributeOf(flags: string): string {
  const long = (/--([\w-]+)/.exec(flags)?.[1] ?? '').replace(/^no-/, '');
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function createContext(opts: GlobalOptions, onClose: (close: () => void) => void): CommandContext {
  let profile: Promise<Profile> | undefined;
  const loadProfile = () => (profile ??= import('./profile.js').then((m) => m.requireProfile()));
  return {
    subscriptionOption: opts.subscription,
    profile: loadProfile,
    async arm() {
      const p = await loadProfile();
      const [{ resolveSubscription }, { ArmClient }, { closeTransport }] = await Promise.all([
        import('./profile.js'),
        import('./arm-client.js'),
        import('./transport.js'),
      ]);
      onClose(closeTransport);
      return new ArmClient(p, resolveSubscription(p, opts.subscription).id);
    },
    async confirm(yes, question = 'Are you sure you want to perform this operation?') {
      if (yes) return;
      if (!process.stdin.isTTY) throw new CliError('Unable to prompt for confirmation as no tty available. Use --yes.');
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = (await rl.question(`${question} (y/n): `)).trim().toLowerCase();
      rl.close();
      if (answer !== 'y' && answer !== 'yes') throw new CliError('Operation cancelled.');
    },
  };
}
