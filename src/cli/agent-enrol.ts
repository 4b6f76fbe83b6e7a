/**
 * How `keyless agent` gets its host credential: a host key saved in the data dir from an earlier
 * run; else a join token given on the command line; else, for local use, a join token obtained with
 * the bootstrap admin's credentials (client credentials → ARM `keylessAgentJoin` action on the VM).
 * The host key is written with mode 0600, one file per (server, resource).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { exchangeJoinToken, requestJson } from '../agent/upstream-http.js';
import { AGENT_API_PREFIX, AGENT_JOIN_API_VERSION, HOST_AUTH_SCHEME } from '../contract/agent-api.js';
import type { BootstrapFile } from '../contract/bootstrap.js';

/** An expected failure, printed as `keyless agent: <message>` with the exit code. */
export class AgentCliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

/** The api-version `keyless agent` calls the join action with (accepted for every host type). */
const JOIN_API_VERSION = AGENT_JOIN_API_VERSION;

interface SavedHostKey {
  serverUrl: string;
  resourceId: string;
  hostKey: string;
}

export function hostKeyFile(dataDir: string, serverUrl: string, resourceId: string): string {
  const digest = createHash('sha256').update(`${serverUrl}\n${resourceId.toLowerCase()}`).digest('hex').slice(0, 24);
  return join(dataDir, 'agents', `host-${digest}.json`);
}

export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AgentCliError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

async function saveHostKey(path: string, saved: SavedHostKey): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** True when the server still accepts `hostKey` (a zero-wait watch). */
async function stillValid(serverUrl: string, hostKey: string, ca: string | undefined): Promise<boolean> {
  const response = await requestJson(new URL(`${AGENT_API_PREFIX}/identities?timeoutMs=0`, serverUrl), {
    method: 'GET',
    headers: { authorization: `${HOST_AUTH_SCHEME} ${hostKey}` },
    ca,
    timeoutMs: 15_000,
  }).catch((e: Error) => {
    throw new AgentCliError(e.message);
  });
  if (response.status === 200) return true;
  if (response.status === 401) return false;
  throw new AgentCliError(`the Keyless server answered HTTP ${response.status} when checking the saved host key`);
}

/** A join token from the ARM action, as the bootstrap admin. */
async function joinTokenAsAdmin(bootstrap: BootstrapFile, resourceId: string, ca: string | undefined): Promise<string> {
  const tokenUrl = new URL(`/${bootstrap.tenantId}/oauth2/v2.0/token`, bootstrap.authorityHost);
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: bootstrap.clientId,
    client_secret: bootstrap.clientSecret,
    scope: 'https://management.azure.com/.default',
  }).toString();
  const tokenResponse = await postForm(tokenUrl, form, ca);
  const accessToken = (tokenResponse.body as { access_token?: string } | undefined)?.access_token;
  if (tokenResponse.status !== 200 || !accessToken) {
    throw new AgentCliError(`the bootstrap admin could not get an ARM token (HTTP ${tokenResponse.status}): ${describe(tokenResponse.body)}`);
  }
  const joinUrl = new URL(`${resourceId}/keylessAgentJoin?api-version=${JOIN_API_VERSION}`, bootstrap.armEndpoint);
  const joined = await requestJson(joinUrl, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` }, body: {}, ca, timeoutMs: 30_000 }).catch(
    (e: Error) => {
      throw new AgentCliError(e.message);
    },
  );
  const joinToken = (joined.body as { joinToken?: string } | undefined)?.joinToken;
  if (joined.status === 404)
    throw new AgentCliError(`the host resource '${resourceId}' was not found (a virtual machine or an AKS agent pool): ${describe(joined.body)}`);
  if (joined.status !== 200 || !joinToken)
    throw new AgentCliError(`the join action on '${resourceId}' failed (HTTP ${joined.status}): ${describe(joined.body)}`);
  return joinToken;
}

function postForm(url: URL, form: string, ca: string | undefined) {
  // requestJson sends JSON; the token endpoint wants a form.
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) }, timeout: 30_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (e) => reject(new AgentCliError(`cannot reach the Keyless server at ${url.origin}: ${e.message}`)));
    req.end(form);
  });
}

function describe(body: unknown): string {
  const e = body as { error?: unknown; error_description?: unknown } | undefined;
  if (e && typeof e.error === 'object' && e.error) return String((e.error as { message?: unknown }).message ?? JSON.stringify(e.error));
  if (e && typeof e.error_description === 'string') return e.error_description;
  return typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body ?? null).slice(0, 300);
}

/** The host key for `resourceId` on `serverUrl`: saved, or obtained now and saved. */
export async function obtainHostKey(options: {
  dataDir: string;
  serverUrl: string;
  resourceId: string;
  ca: string | undefined;
  joinToken: string | undefined;
  bootstrap: BootstrapFile | undefined;
}): Promise<string> {
  const file = hostKeyFile(options.dataDir, options.serverUrl, options.resourceId);
  const saved = await readJsonFile<SavedHostKey>(file);
  if (saved?.hostKey && !options.joinToken && (await stillValid(options.serverUrl, saved.hostKey, options.ca))) return saved.hostKey;
  if (saved) await rm(file, { force: true });
  let joinToken = options.joinToken;
  if (!joinToken) {
    if (!options.bootstrap)
      throw new AgentCliError(
        'no host key yet: pass --join-token <token> (from the keylessAgentJoin action on the VM), or a --data-dir holding bootstrap.json',
        2,
      );
    joinToken = await joinTokenAsAdmin(options.bootstrap, options.resourceId, options.ca);
  }
  const joined = await exchangeJoinToken(options.serverUrl, joinToken, options.ca).catch((e: Error) => {
    throw new AgentCliError(`the join token was refused: ${e.message}`);
  });
  if (joined.resourceId.toLowerCase() !== options.resourceId.toLowerCase()) {
    throw new AgentCliError(`the join token is for '${joined.resourceId}', not for --resource '${options.resourceId}'`, 2);
  }
  await saveHostKey(file, { serverUrl: options.serverUrl, resourceId: joined.resourceId, hostKey: joined.hostKey });
  return joined.hostKey;
}
