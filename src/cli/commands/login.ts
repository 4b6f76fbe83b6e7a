/**
 * `keyless login` / `keyless logout` (az login / az logout). Sign-in is client credentials: the
 * bootstrap admin of a local server (`--data-dir`, reading its bootstrap.json) or any service
 * principal (`--service-principal -u <client-id> -p <secret> --tenant <tenant> --server <url>`).
 * Prints the subscriptions found, as `az login` does.
 */
import { copyFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { defineCommand } from '../framework/command.js';
import { CliError, UsageError } from '../framework/errors.js';
import { clearProfile, configDir, loadProfile, saveProfile, type Profile } from '../framework/profile.js';
import { fetchSubscriptions, toAccount } from './account-shape.js';

interface LoginOptions {
  dataDir?: string;
  servicePrincipal?: boolean;
  username?: string;
  password?: string;
  tenant?: string;
  server?: string;
  ca?: string;
}

/** The fields of a server's bootstrap.json the CLI needs. */
interface BootstrapFile {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  armEndpoint: string;
  authorityHost: string;
  caCertFile?: string;
}

async function readBootstrap(dataDir: string): Promise<BootstrapFile> {
  const file = join(resolve(dataDir), 'bootstrap.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as BootstrapFile;
  } catch (e) {
    throw new CliError(
      `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (is the server started with this --data-dir?)' : (e as Error).message}`,
    );
  }
}

/** Keeps a copy of the CA in the config dir, so the profile survives the data dir moving. */
async function keepCa(caFile: string): Promise<string> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(configDir(), { recursive: true, mode: 0o700 });
  const target = join(configDir(), 'ca.pem');
  await copyFile(caFile, target).catch((e: Error) => {
    throw new CliError(`Cannot read the CA certificate ${caFile}: ${e.message}`);
  });
  return target;
}

async function signIn(opts: LoginOptions): Promise<Profile> {
  if (opts.servicePrincipal) {
    const missing = [
      ['--username/-u', opts.username],
      ['--password/-p', opts.password],
      ['--tenant/-t', opts.tenant],
      ['--server', opts.server],
    ]
      .filter(([, v]) => !v)
      .map(([k]) => k);
    if (missing.length) throw new UsageError(`the following arguments are required: ${missing.join(', ')}`);
    let origin: string;
    try {
      origin = new URL(opts.server!).origin;
    } catch {
      throw new UsageError(`argument --server: invalid url value: '${opts.server}'`);
    }
    return {
      server: { armEndpoint: origin, authorityHost: origin, ...(opts.ca ? { caFile: await keepCa(resolve(opts.ca)) } : {}) },
      credential: { type: 'servicePrincipal', tenantId: opts.tenant!, clientId: opts.username!, clientSecret: opts.password! },
      subscriptions: [],
    };
  }
  const dataDir = opts.dataDir ?? '.keyless';
  const b = await readBootstrap(dataDir);
  const caFile = opts.ca ?? b.caCertFile ?? join(resolve(dataDir), 'ca.pem');
  return {
    server: { armEndpoint: b.armEndpoint, authorityHost: b.authorityHost, caFile: await keepCa(caFile) },
    credential: { type: 'servicePrincipal', tenantId: b.tenantId, clientId: b.clientId, clientSecret: b.clientSecret },
    subscriptions: [],
  };
}

export function registerLogin(program: Command): void {
  defineCommand<LoginOptions>(program, {
    name: 'login',
    summary: 'Log in to a Keyless server: as the bootstrap admin of a local server, or as a service principal.',
    options: [
      { flags: '--data-dir <dir>', description: 'Data dir of a local server: signs in as its bootstrap admin with bootstrap.json (default ./.keyless).' },
      { flags: '--service-principal', description: 'The credential is a service principal: give --username, --password, --tenant and --server.' },
      { flags: '-u, --username <client-id>', description: 'Client (application) id of the service principal.' },
      { flags: '-p, --password <secret>', description: 'Client secret of the service principal.' },
      { flags: '-t, --tenant <tenant>', description: 'The tenant of the service principal.' },
      { flags: '--server <url>', description: 'The Keyless server (https origin of its ARM API and token authority).' },
      { flags: '--ca <file>', description: "PEM CA certificate that issued the server's TLS certificate (default with --data-dir: the server's CA)." },
    ],
    examples: [
      { title: 'Log in as the admin of a local server started with `keyless serve --data-dir ./.keyless`.', command: 'keyless login --data-dir ./.keyless' },
      {
        title: 'Log in with a service principal using a client secret.',
        command: 'keyless login --service-principal -u <app-id> -p <secret> --tenant <tenant> --server https://keyless.example:8443 --ca ca.pem',
      },
    ],
    async run(_ctx, opts) {
      const previous = await loadProfile().catch(() => undefined);
      // Signing in again clears the old session's tokens, as az login does.
      await clearProfile();
      const profile = await signIn(opts);
      profile.subscriptions = await fetchSubscriptions(profile, previous);
      if (profile.subscriptions.length === 0) throw new CliError(`No subscriptions found for ${profile.credential.clientId}.`);
      await saveProfile(profile);
      return profile.subscriptions.map((s) => toAccount(profile, s, 'cloudName'));
    },
  });
}

export function registerLogout(program: Command): void {
  defineCommand<object>(program, {
    name: 'logout',
    summary: 'Log out to remove access to the Keyless server: forgets the credential and cached tokens.',
    examples: [{ title: 'Log out of the active account.', command: 'keyless logout' }],
    async run() {
      if (!(await loadProfile())) throw new CliError('There are no active accounts.');
      await clearProfile();
      return undefined;
    },
  });
}
