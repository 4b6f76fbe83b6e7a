/**
 * The `keyless` command. Sub-commands load their modules lazily so that `keyless --help` stays fast.
 */
import { Command, Option } from 'commander';

const program = new Command();
program
  .name('keyless')
  .description(
    'Self-hosted managed identities for Azure resources: an ARM-compatible control plane, an Entra-compatible token authority and an IMDS host agent.',
  )
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander exits 1 on usage errors; az (and Keyless) use 2.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program
  .command('serve')
  .description('Run the Keyless server: ARM control plane and token authority on one HTTPS listener.')
  .option('--data-dir <dir>', 'where certificates, the SQLite database and bootstrap.json live (env KEYLESS_DATA_DIR)', undefined)
  .option('--host <host>', 'address to listen on (env KEYLESS_HOST)', undefined)
  .option('--port <port>', 'port to listen on; 0 takes a free port (env KEYLESS_PORT)', undefined)
  .option('--public-url <url>', 'https origin clients use (e.g. a load balancer); names the issuer and endpoints (env KEYLESS_PUBLIC_URL)', undefined)
  .option('--database-url <url>', 'PostgreSQL URL; embedded SQLite in the data dir when absent (env KEYLESS_DATABASE_URL)', undefined)
  .addOption(new Option('--log-level <level>', 'log level (env KEYLESS_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
  .option(
    '--metrics-port <port>',
    'serve Prometheus metrics at http://<metrics host>:<port>/metrics (plain HTTP, no token); off when absent (env KEYLESS_METRICS_PORT)',
    undefined,
  )
  .option('--metrics-host <host>', 'address of the metrics listener (env KEYLESS_METRICS_HOST; default 127.0.0.1)', undefined)
  .addHelpText(
    'after',
    `
Examples:
  keyless serve                                   # https://127.0.0.1:8443, data in ./.keyless
  keyless serve --data-dir /tmp/k --port 0        # a free port; see /tmp/k/bootstrap.json
  keyless serve --database-url postgres://user@localhost/keyless`,
  )
  .action(async (opts: import('./serve.js').ServeOptions) => {
    const { runServe } = await import('./serve.js');
    await runServe(opts);
  });

program
  .command('agent')
  .description('Run the host agent for one virtual machine or AKS node (agent pool): serves managed-identity tokens locally like Azure IMDS.')
  .option('--data-dir <dir>', 'where bootstrap.json and the saved host key live (default ./.keyless)', undefined)
  .option('--resource <id>', 'ARM id of the host this agent serves: a virtual machine, or an AKS agent pool')
  .option('--port <port>', 'local port; 0 takes a free port (default 0)', undefined)
  .option('--host <host>', 'local address to listen on (default 127.0.0.1)', undefined)
  .option('--join-token <token>', 'one-time join token from the keylessAgentJoin action on the VM (default: obtained with bootstrap.json)', undefined)
  .option('--server <url>', 'the Keyless server (default: armEndpoint of bootstrap.json)', undefined)
  .option('--ca <file>', 'CA certificate of the server (default: caCertFile of bootstrap.json)', undefined)
  .option('--arc', 'also answer Azure Arc style challenges (needs /var/opt/azcmagent/tokens)', false)
  .option('--service-account <namespace/name>', 'AKS node: write projected service-account tokens of this account (workload identity)', undefined)
  .option('--federated-token-file <path>', 'where the service-account token goes (inside --data-dir or under /var/run/secrets/azure/)', undefined)
  .option('--workload-client-id <client id>', 'the AZURE_CLIENT_ID printed for the workload (the identity it signs in as)', undefined)
  .option('--metrics-port <port>', 'serve Prometheus metrics at http://<metrics host>:<port>/metrics (plain HTTP, no token); off when absent', undefined)
  .option('--metrics-host <host>', 'address of the metrics listener (default 127.0.0.1)', undefined)
  .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
  .addHelpText(
    'after',
    `
Example:
  keyless agent --data-dir /tmp/k --resource /subscriptions/<s>/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1
  # prints: export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:<port> (and IDENTITY_ENDPOINT / IDENTITY_HEADER)`,
  )
  .action(async (opts: import('./agent.js').AgentCommandOptions) => {
    const { runAgent } = await import('./agent.js');
    await runAgent(opts);
  });

program
  .command('az-setup')
  .description('Print the shell lines that point the Azure CLI (az) at a Keyless server and sign in as its admin.')
  .option('--data-dir <dir>', "the server's data dir, holding bootstrap.json and az-cloud.json (default ./.keyless)", undefined)
  .option('--cloud-name <name>', 'the name az registers the cloud under (default keyless)', undefined)
  .addHelpText(
    'after',
    `
Example:
  eval "$(keyless az-setup --data-dir .keyless)"   # then: az group list`,
  )
  .action(async (opts: import('./commands/az-setup.js').AzSetupOptions) => {
    const { runAzSetup } = await import('./commands/az-setup.js');
    await runAzSetup(opts);
  });

program
  .command('check')
  .description('Check a Keyless database for broken invariants (half-made objects); exits 1 when any is found. Opens the database read-only.')
  .option('--data-dir <dir>', 'the data dir whose SQLite database to check (env KEYLESS_DATA_DIR; default ./.keyless)', undefined)
  .option('--database-url <url>', 'check this PostgreSQL database instead (env KEYLESS_DATABASE_URL)', undefined)
  .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
  .addHelpText(
    'after',
    `
Examples:
  keyless check --data-dir /var/lib/keyless
  keyless check --database-url postgres://keyless@db/keyless --output json`,
  )
  .action(async (opts: import('./check.js').CheckCommandOptions) => {
    const { runCheck } = await import('./check.js');
    await runCheck(opts);
  });

const keys = program.command('keys').description("Manage the server's token-signing keys.");
keys
  .command('rotate')
  .description(
    'Rotate the token-signing keys now: the published next key starts signing, a new next key is published; tokens already issued keep verifying until they expire.',
  )
  .option('--data-dir <dir>', "a server's data dir: its SQLite database and key encryption key (env KEYLESS_DATA_DIR; default ./.keyless)", undefined)
  .option('--database-url <url>', 'rotate the keys of this PostgreSQL database (env KEYLESS_DATABASE_URL; needs KEYLESS_KEY_ENCRYPTION_KEY)', undefined)
  .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
  .addHelpText(
    'after',
    `
Examples:
  keyless keys rotate --data-dir /var/lib/keyless
  KEYLESS_KEY_ENCRYPTION_KEY=… keyless keys rotate --database-url postgres://keyless@db/keyless`,
  )
  .action(async (opts: import('./keys.js').KeysRotateOptions) => {
    const { runKeysRotate } = await import('./keys.js');
    await runKeysRotate(opts);
  });

// az-compatible groups (login, account, group, identity, …): only the one named is loaded.
const { registerCommandGroups } = await import('./groups.js');
await registerCommandGroups(program, process.argv.slice(2));

await program.parseAsync(process.argv);
