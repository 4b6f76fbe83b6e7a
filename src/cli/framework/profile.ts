/**
 * The sign-in profile, as az keeps `azureProfile.json` and its MSAL caches in `AZURE_CONFIG_DIR`
 * (default `~/.azure`): Keyless keeps `profile.json` (server, credential, subscriptions) and
 * `tokens.json` in `KEYLESS_CONFIG_DIR` (default `~/.keyless`). Both hold secrets, so they are written
 * mode 0600 in a 0700 directory, replaced atomically.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './errors.js';

/** A subscription the signed-in principal can see (az `azureProfile.json` `subscriptions[]`). */
export interface ProfileSubscription {
  id: string;
  name: string;
  state: string;
  tenantId: string;
  isDefault: boolean;
}

export interface Profile {
  /** ARM origin (`https://host:port`) and the token authority origin. */
  server: { armEndpoint: string; authorityHost: string; caFile?: string };
  /** Client-credentials sign-in (az `--service-principal`). */
  credential: { type: 'servicePrincipal'; tenantId: string; clientId: string; clientSecret: string };
  subscriptions: ProfileSubscription[];
}

/** One cached access token per audience (az keeps these in `msal_token_cache.json`). */
export interface CachedToken {
  accessToken: string;
  expiresOn: number;
  tokenType: string;
}
export type TokenCache = Record<string, CachedToken>;

/** `KEYLESS_CONFIG_DIR`, else `~/.keyless` (as `AZURE_CONFIG_DIR`, else `~/.azure`). */
export function configDir(): string {
  return process.env.KEYLESS_CONFIG_DIR || join(homedir(), '.keyless');
}

const profileFile = () => join(configDir(), 'profile.json');
const tokenFile = () => join(configDir(), 'tokens.json');

async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`Cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(`${path} is not valid JSON; run 'keyless login' again.`);
  }
}

/** Writes `value` as JSON, owner-only, replacing the file atomically. */
export async function writeSecretJson(path: string, value: unknown): Promise<void> {
  await mkdir(configDir(), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export async function loadProfile(): Promise<Profile | undefined> {
  return readJson<Profile>(profileFile());
}

/** The profile, or az's "Please run 'az login' to setup account." error. */
export async function requireProfile(): Promise<Profile> {
  const profile = await loadProfile();
  if (!profile?.credential || !profile.server) throw new CliError("Please run 'keyless login' to setup account.");
  return profile;
}

export async function saveProfile(profile: Profile): Promise<void> {
  await writeSecretJson(profileFile(), profile);
}

/** Forgets the sign-in and every cached token (az logout). */
export async function clearProfile(): Promise<void> {
  await rm(profileFile(), { force: true });
  await rm(tokenFile(), { force: true });
  await rm(join(configDir(), 'ca.pem'), { force: true });
}

export async function loadTokenCache(): Promise<TokenCache> {
  return (await readJson<TokenCache>(tokenFile())) ?? {};
}

export async function saveTokenCache(cache: TokenCache): Promise<void> {
  await writeSecretJson(tokenFile(), cache);
}

/**
 * The subscription a command works in: `--subscription` (id or display name, case-insensitive, as az
 * matches) or the default one.
 */
export function resolveSubscription(profile: Profile, wanted: string | undefined): ProfileSubscription {
  if (wanted) {
    const w = wanted.toLowerCase();
    const found = profile.subscriptions.find((s) => s.id.toLowerCase() === w) ?? profile.subscriptions.find((s) => s.name.toLowerCase() === w);
    if (!found) throw new CliError(`Subscription '${wanted}' not found. Check the spelling and casing and try again.`);
    return found;
  }
  const current = profile.subscriptions.find((s) => s.isDefault) ?? profile.subscriptions[0];
  if (!current) throw new CliError("No subscription found. Run 'keyless account set' to select a subscription.");
  return current;
}
