/**
 * The kubelet's part of workload identity for a pod on an emulated AKS node (issue 14 item 5): the
 * agent asks the server for a projected service-account token of `<namespace>/<name>` (signed with
 * the cluster's OIDC issuer key), writes it to the token file atomically (a temporary file renamed
 * over it, never following a link), and refreshes it at 80 % of its lifetime as kubelet does
 * (retrying every 10 s on failure). The file may only be written where the agent is meant to write:
 * inside its data dir, or under `/var/run/secrets/azure/` (the workload identity webhook's mount).
 */
import { lstat, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { AGENT_API_PREFIX, HOST_AUTH_SCHEME } from '../contract/agent-api.js';
import { requestJson } from './upstream-http.js';

/** Where the webhook mounts the token (v1.5): `/var/run/secrets/azure/tokens/azure-identity-token`. */
export const WEBHOOK_TOKEN_ROOT = '/var/run/secrets/azure';

/** The absolute token path, or an error message when the agent may not write there. */
export function checkTokenFile(path: string, dataDir: string): { file: string } | { error: string } {
  const file = resolve(path);
  const inside = (root: string) => {
    const rel = relative(resolve(root), file);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  if (!inside(dataDir) && !inside(WEBHOOK_TOKEN_ROOT)) {
    return { error: `--federated-token-file must be inside the agent's data dir (${resolve(dataDir)}) or under ${WEBHOOK_TOKEN_ROOT}/, got '${path}'` };
  }
  return { file };
}

export interface ProjectedTokenOptions {
  serverUrl: string;
  hostKey: string;
  ca?: string;
  namespace: string;
  name: string;
  file: string;
  onError?(message: string): void;
}

export interface ProjectedToken {
  tenantId: string;
  issuer: string;
  stop(): void;
}

interface Issued {
  token: string;
  expiresOn: number;
  issuer: string;
  tenantId: string;
}

async function fetchToken(opts: ProjectedTokenOptions): Promise<Issued> {
  const res = await requestJson(new URL(`${opts.serverUrl}${AGENT_API_PREFIX}/serviceAccountToken`), {
    method: 'POST',
    headers: { authorization: `${HOST_AUTH_SCHEME} ${opts.hostKey}` },
    body: { namespace: opts.namespace, name: opts.name },
    ...(opts.ca ? { ca: opts.ca } : {}),
    timeoutMs: 15_000,
  });
  if (res.status !== 200) {
    const error = (res.body as { error?: { message?: string } } | undefined)?.error;
    throw new Error(`the server refused a service-account token (HTTP ${res.status}): ${error?.message ?? 'no reason given'}`);
  }
  return res.body as Issued;
}

async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const existing = await lstat(file).catch(() => undefined);
  if (existing && !existing.isFile()) throw new Error(`${file} exists and is not a regular file (a link or a directory): refusing to write the token there`);
  const temporary = join(dirname(file), `.${Date.now()}.${process.pid}.tmp`);
  await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
  await rename(temporary, file);
}

/** Writes the first token (rejects when that fails), then keeps it fresh until `stop()`. */
export async function startProjectedToken(opts: ProjectedTokenOptions): Promise<ProjectedToken> {
  const first = await fetchToken(opts);
  await writeAtomically(opts.file, first.token);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (expiresOn: number) => {
    const now = Date.now() / 1000;
    const lifetime = Math.max(0, expiresOn - now);
    timer = setTimeout(refresh, Math.max(1_000, lifetime * 0.8 * 1000));
  };
  const refresh = async () => {
    if (stopped) return;
    try {
      const next = await fetchToken(opts);
      await writeAtomically(opts.file, next.token);
      if (!stopped) schedule(next.expiresOn);
    } catch (error) {
      opts.onError?.(`service-account token refresh failed: ${(error as Error).message}`);
      if (!stopped) timer = setTimeout(refresh, 10_000);
    }
  };
  schedule(first.expiresOn);
  return {
    tenantId: first.tenantId,
    issuer: first.issuer,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
