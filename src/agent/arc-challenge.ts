/**
 * The Azure Arc (himds) challenge, azure-wire-contracts.md §1.3: a request with api-version
 * 2020-06-01 and no `Authorization` gets 401 with `WWW-Authenticate: Basic realm=<file>.key`; the file
 * holds a fresh random secret readable only by its owner; the client proves it can read that file by
 * retrying with `Authorization: Basic <file content>`. Each secret is single-use and expires.
 *
 * Limit: msal-node only follows a realm of exactly `/var/opt/azcmagent/tokens/<name>.key` (Windows:
 * `%ProgramData%\AzureConnectedMachineAgent\Tokens\`), so SDK clients work only with the default key
 * directory, which the agent must be able to create or write (normally root). Clients must run as the
 * agent's user (or root) to read the 0600 file. Other key directories serve custom clients only.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { AgentLogger } from './logger.js';
import type { WireError } from './wire.js';

/** The api-version msal-node sends to Azure Arc; the agent challenges only this version. */
export const ARC_API_VERSION = '2020-06-01';
/** The only key directory the Azure SDKs accept on Linux. */
export const DEFAULT_ARC_KEY_DIR = '/var/opt/azcmagent/tokens';

export interface ArcChallenge {
  readonly keyDir: string;
  /** Writes a new key file and returns the 401 that names it. */
  challenge(): Promise<WireError>;
  /** True when `authorization` is `Basic <secret>` for a live challenge; the secret is spent. */
  verify(authorization: string | undefined): boolean;
  /** Deletes the key files still outstanding. */
  close(): Promise<void>;
}

export interface ArcChallengeOptions {
  keyDir: string;
  clock: Clock;
  logger: AgentLogger;
  /** How long a secret stays valid. Default 60 s: the SDK retries at once. */
  ttlMs?: number;
  /** Outstanding secrets kept at most (the oldest is dropped), so local callers cannot fill the disk. Default 64. */
  maxOutstanding?: number;
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Creates the challenge, or returns undefined (and logs why) when the key directory is not writable. */
export async function createArcChallenge(options: ArcChallengeOptions): Promise<ArcChallenge | undefined> {
  const { keyDir, clock, logger } = options;
  const ttlMs = options.ttlMs ?? 60_000;
  const maxOutstanding = options.maxOutstanding ?? 64;
  try {
    await mkdir(keyDir, { recursive: true, mode: 0o700 });
    await access(keyDir, constants.W_OK);
  } catch (error) {
    logger.warn({ keyDir, err: (error as Error).message }, 'Azure Arc style disabled: key directory is not writable');
    return undefined;
  }
  // By digest, so that the lookup does not compare the secret itself byte by byte.
  const outstanding = new Map<string, { file: string; expiresAt: number }>();

  function forget(key: string): Promise<void> {
    const entry = outstanding.get(key);
    if (!entry) return Promise.resolve();
    outstanding.delete(key);
    return unlink(entry.file).catch(() => {});
  }

  function sweep(): void {
    const now = clock.now();
    for (const [key, entry] of outstanding) if (entry.expiresAt <= now) void forget(key);
    while (outstanding.size >= maxOutstanding) void forget(outstanding.keys().next().value!);
  }

  return {
    keyDir,
    async challenge() {
      sweep();
      const secret = randomBytes(32).toString('base64url');
      const file = join(keyDir, `${randomUUID()}.key`);
      await writeFile(file, secret, { mode: 0o600, flag: 'wx' });
      outstanding.set(digest(secret), { file, expiresAt: clock.now() + ttlMs });
      return {
        status: 401,
        error: 'unauthorized',
        description: 'Read the key file named in WWW-Authenticate and retry with Authorization: Basic <its content>',
        headers: { 'www-authenticate': `Basic realm=${file}` },
      };
    },
    verify(authorization) {
      if (authorization === undefined || !/^basic /i.test(authorization)) return false;
      const key = digest(authorization.slice(6).trim());
      const entry = outstanding.get(key);
      if (!entry) return false;
      void forget(key);
      return entry.expiresAt > clock.now();
    },
    async close() {
      await Promise.all([...outstanding.keys()].map(forget));
    },
  };
}
