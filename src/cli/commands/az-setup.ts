/**
 * `keyless az-setup --data-dir <dir>`: prints the shell lines that point the real Azure CLI at a
 * Keyless server — trust its CA, register and select its cloud from the `az-cloud.json` the server
 * wrote, and sign in as the bootstrap admin. The secret is not printed: the login line reads it from
 * bootstrap.json (mode 0600) when run. `eval "$(keyless az-setup --data-dir .keyless)"` runs them.
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AZ_CLOUD_FILE, type BootstrapFile } from '../../contract/bootstrap.js';
import { AgentCliError, readJsonFile } from '../agent-enrol.js';

export interface AzSetupOptions {
  dataDir?: string;
  cloudName?: string;
}

/** A value safe to paste into a POSIX shell line. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export async function azSetupLines(opts: AzSetupOptions): Promise<string[]> {
  const dataDir = resolve(opts.dataDir ?? '.keyless');
  const cloud = opts.cloudName ?? 'keyless';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cloud)) throw new AgentCliError(`--cloud-name must be letters, digits, '-' or '_', got '${cloud}'`, 2);
  const bootstrapPath = join(dataDir, 'bootstrap.json');
  const bootstrap = await readJsonFile<BootstrapFile>(bootstrapPath);
  const cloudFile = join(dataDir, AZ_CLOUD_FILE);
  const hasCloudFile = await access(cloudFile).then(
    () => true,
    () => false,
  );
  if (!bootstrap || !hasCloudFile) {
    throw new AgentCliError(
      `no ${bootstrap ? AZ_CLOUD_FILE : 'bootstrap.json'} in ${dataDir}: start the server once with \`keyless serve --data-dir ${dataDir}\``,
    );
  }
  const secretFrom = `$(node -p ${shellQuote(`require(${JSON.stringify(bootstrapPath)}).clientSecret`)})`;
  return [
    `export REQUESTS_CA_BUNDLE=${shellQuote(bootstrap.caCertFile)}`,
    `az cloud register -n ${cloud} --cloud-config @${shellQuote(cloudFile)}`,
    `az cloud set -n ${cloud}`,
    `az login --service-principal -u ${bootstrap.clientId} -p "${secretFrom}" --tenant ${bootstrap.tenantId}`,
  ];
}

export async function runAzSetup(opts: AzSetupOptions): Promise<void> {
  try {
    process.stdout.write(`${(await azSetupLines(opts)).join('\n')}\n`);
  } catch (error) {
    if (error instanceof AgentCliError) {
      process.stderr.write(`keyless az-setup: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    throw error;
  }
}
