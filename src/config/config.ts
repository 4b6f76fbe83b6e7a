/**
 * Every setting of the server, with its default and the reason for it. This is the only module that
 * reads `process.env`; everything else receives a {@link ServerConfig}.
 * Precedence: command-line option, then environment variable, then default.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

export interface ServerConfig {
  /** Where the CA, server certificate, SQLite file and bootstrap.json live. */
  dataDir: string;
  host: string;
  /** 0 takes a free port. */
  port: number;
  /**
   * The https origin clients use to reach this server, e.g. a load balancer in front of several
   * servers sharing one database. It names the token issuer, the discovery and paging URLs and the
   * endpoints in bootstrap.json, so servers behind one address must share it. Default: the listener's
   * own origin (`https://<host>:<port>`, with 127.0.0.1 for a wildcard host).
   */
  publicUrl: string | undefined;
  /**
   * Key encryption key for signing keys at rest (32 bytes, base64). Unset: a key file in the data dir.
   * Servers sharing one database must share it. Environment only: secrets stay off command lines.
   */
  keyEncryptionKey: string | undefined;
  /** PostgreSQL URL; when absent the embedded SQLite file `<dataDir>/keyless.db` is used. */
  databaseUrl: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Lifetime of client-credentials tokens, seconds (Entra: 60–90 minutes; we use 3599 like its `expires_in`). */
  appTokenLifetimeSeconds: number;
  /** Lifetime of managed-identity tokens, seconds (Azure: about 24 hours). */
  managedIdentityTokenLifetimeSeconds: number;
  /** How long one signing key is current before the next takes over, seconds. */
  keyRotationSeconds: number;
  /**
   * How often a server re-reads the signing keys, seconds: how soon it signs with a key promoted by
   * `keyless keys rotate` on another machine. Reading three rows is cheap; the default is a minute.
   */
  keyRefreshSeconds: number;
  /** Worker threads that sign tokens; signing is the CPU-bound part of issuing. */
  signingThreads: number;
  /**
   * `keyless`: tokens carry this server's own issuer. `azure`: tokens carry Azure's issuer strings
   * (`https://sts.windows.net/{tid}/`), for resource servers that accept only those.
   */
  issuerMode: 'keyless' | 'azure';
  /** A request whose headers have not all arrived within this is closed with 408 (slow clients, slow-loris), seconds. */
  headersTimeoutSeconds: number;
  /** A whole request (headers and body) must arrive within this, seconds; at least the headers timeout. */
  requestTimeoutSeconds: number;
  /** An idle keep-alive connection is closed after this, seconds (longer than a load balancer's own idle timeout). */
  keepAliveTimeoutSeconds: number;
  /**
   * Days Activity Log and sign-in events are kept (Azure's Activity Log: 90 days); each server prunes
   * older ones hourly (docs/adr/0016-activity-log.md).
   */
  activityRetentionDays: number;
  /**
   * The DNS suffix of the data planes' host-style names: `{account}.blob.<suffix>`,
   * `{account}.dfs.<suffix>`, `{vault}.vault.<suffix>` (docs/adr/0011-data-planes.md). Those names
   * must resolve to this server (DNS records or `/etc/hosts` lines); the TLS certificate covers them.
   */
  dnsSuffix: string;
  /**
   * Who may grant a role: `azure` (default) — `Microsoft.Authorization/roleAssignments/write` at the
   * scope suffices, as in Azure; `strict` — the granter must also hold every permission of the role
   * (docs/adr/0005-rbac.md).
   */
  rbacGrantRule: 'azure' | 'strict';
  /**
   * Port of the Prometheus `/metrics` listener (plain HTTP, no token); unset = no listener
   * (docs/adr/0017-metrics-and-soak.md). 0 takes a free port.
   */
  metricsPort: number | undefined;
  /** Address of the metrics listener. Default 127.0.0.1: the metrics say how the service is used, so they stay on the host unless chosen otherwise. */
  metricsHost: string;
}

type Source = Record<string, string | undefined>;

interface Setting<K extends keyof ServerConfig> {
  key: K;
  env: string;
  parse: (raw: string) => ServerConfig[K];
  fallback: (partial: Partial<ServerConfig>) => ServerConfig[K];
}

function int(name: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
    return n;
  };
}

function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got '${raw}'`);
    return raw as T;
  };
}

function parsePublicUrl(raw: string): string | undefined {
  if (raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`public URL must be an absolute https URL, got '${raw}'`);
  }
  // Azure SDKs refuse bearer tokens and authorities over plain http.
  if (url.protocol !== 'https:') throw new ConfigError(`public URL must use https (Azure SDKs refuse http authorities), got '${raw}'`);
  if (url.pathname !== '/' || url.search || url.hash) throw new ConfigError(`public URL must be an origin with no path, got '${raw}'`);
  return url.origin;
}

/** A DNS suffix: dot-separated labels of letters, digits and hyphens, lower-cased. */
function parseDnsSuffix(raw: string): string {
  const value = raw
    .trim()
    .replace(/^\.+|\.+$/g, '')
    .toLowerCase();
  const label = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
  if (value === '' || value.length > 200 || !value.split('.').every((l) => label.test(l))) {
    throw new ConfigError(`DNS suffix must be a domain name such as 'keyless.localhost' or 'azure.example.com', got '${raw}'`);
  }
  return value;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const SETTINGS: { [K in keyof ServerConfig]: Setting<K> } = {
  dataDir: { key: 'dataDir', env: 'KEYLESS_DATA_DIR', parse: (r) => resolve(r), fallback: () => resolve('.keyless') },
  host: { key: 'host', env: 'KEYLESS_HOST', parse: (r) => r, fallback: () => '127.0.0.1' },
  port: { key: 'port', env: 'KEYLESS_PORT', parse: int('port', 0, 65535), fallback: () => 8443 },
  publicUrl: { key: 'publicUrl', env: 'KEYLESS_PUBLIC_URL', parse: parsePublicUrl, fallback: () => undefined },
  keyEncryptionKey: { key: 'keyEncryptionKey', env: 'KEYLESS_KEY_ENCRYPTION_KEY', parse: (r) => r || undefined, fallback: () => undefined },
  databaseUrl: { key: 'databaseUrl', env: 'KEYLESS_DATABASE_URL', parse: (r) => r || undefined, fallback: () => undefined },
  logLevel: {
    key: 'logLevel',
    env: 'KEYLESS_LOG_LEVEL',
    parse: oneOf('log level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    fallback: () => 'warn',
  },
  appTokenLifetimeSeconds: {
    key: 'appTokenLifetimeSeconds',
    env: 'KEYLESS_APP_TOKEN_LIFETIME',
    parse: int('app token lifetime', 60, 86400),
    fallback: () => 3599,
  },
  managedIdentityTokenLifetimeSeconds: {
    key: 'managedIdentityTokenLifetimeSeconds',
    env: 'KEYLESS_MI_TOKEN_LIFETIME',
    parse: int('managed identity token lifetime', 300, 7 * 86400),
    fallback: () => 86399,
  },
  keyRotationSeconds: { key: 'keyRotationSeconds', env: 'KEYLESS_KEY_ROTATION', parse: int('key rotation', 3600, 365 * 86400), fallback: () => 14 * 86400 },
  keyRefreshSeconds: { key: 'keyRefreshSeconds', env: 'KEYLESS_KEY_REFRESH', parse: int('key refresh', 1, 3600), fallback: () => 60 },
  signingThreads: {
    key: 'signingThreads',
    env: 'KEYLESS_SIGNING_THREADS',
    parse: int('signing threads', 1, 64),
    fallback: () => Math.max(1, Math.min(availableParallelism(), 8)),
  },
  issuerMode: { key: 'issuerMode', env: 'KEYLESS_ISSUER_MODE', parse: oneOf('issuer mode', ['keyless', 'azure'] as const), fallback: () => 'keyless' },
  headersTimeoutSeconds: { key: 'headersTimeoutSeconds', env: 'KEYLESS_HEADERS_TIMEOUT', parse: int('headers timeout', 1, 600), fallback: () => 60 },
  requestTimeoutSeconds: {
    key: 'requestTimeoutSeconds',
    env: 'KEYLESS_REQUEST_TIMEOUT',
    parse: int('request timeout', 1, 3600),
    fallback: (p) => Math.max(120, p.headersTimeoutSeconds ?? 60),
  },
  keepAliveTimeoutSeconds: { key: 'keepAliveTimeoutSeconds', env: 'KEYLESS_KEEP_ALIVE_TIMEOUT', parse: int('keep-alive timeout', 1, 3600), fallback: () => 75 },
  activityRetentionDays: {
    key: 'activityRetentionDays',
    env: 'KEYLESS_ACTIVITY_RETENTION_DAYS',
    parse: int('activity retention (days)', 1, 3650),
    fallback: () => 90,
  },
  dnsSuffix: { key: 'dnsSuffix', env: 'KEYLESS_DNS_SUFFIX', parse: parseDnsSuffix, fallback: () => 'keyless.localhost' },
  rbacGrantRule: {
    key: 'rbacGrantRule',
    env: 'KEYLESS_RBAC_GRANT_RULE',
    parse: oneOf('RBAC grant rule', ['azure', 'strict'] as const),
    fallback: () => 'azure',
  },
  metricsPort: {
    key: 'metricsPort',
    env: 'KEYLESS_METRICS_PORT',
    parse: (r) => (r === '' ? undefined : int('metrics port', 0, 65535)(r)),
    fallback: () => undefined,
  },
  metricsHost: { key: 'metricsHost', env: 'KEYLESS_METRICS_HOST', parse: (r) => r || '127.0.0.1', fallback: () => '127.0.0.1' },
};

/** A whole request includes its headers: its timeout cannot be shorter. */
function checkTimeouts(config: ServerConfig): ServerConfig {
  if (config.requestTimeoutSeconds < config.headersTimeoutSeconds) {
    throw new ConfigError(`request timeout (${config.requestTimeoutSeconds} s) must be at least the headers timeout (${config.headersTimeoutSeconds} s)`);
  }
  return config;
}

/** Builds the configuration from explicit options (e.g. CLI flags as strings), then `env`, then defaults. */
export function loadConfig(options: Partial<Record<keyof ServerConfig, string | undefined>>, env: Source = process.env): ServerConfig {
  const out: Partial<ServerConfig> = {};
  for (const setting of Object.values(SETTINGS) as Setting<keyof ServerConfig>[]) {
    const raw = options[setting.key] ?? env[setting.env];
    (out as Record<string, unknown>)[setting.key] = raw === undefined ? setting.fallback(out) : setting.parse(raw);
  }
  return checkTimeouts(out as ServerConfig);
}

/** The settings table, for `--help` and the README. */
export function describeSettings(): { key: string; env: string }[] {
  return Object.values(SETTINGS).map((s) => ({ key: s.key, env: s.env }));
}
