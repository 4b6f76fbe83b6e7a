/**
 * A child process that drives the official data-plane SDKs on host-style names. The test runs it
 * under `unshare --mount` with its own /etc/hosts bind-mounted (see host-style.ts), so names such as
 * `myvault.vault.keyless.localhost` resolve to the server without touching the machine's hosts file.
 * Protocol: one JSON command per stdin line `{id, client, method, args}`; one JSON answer per stdout
 * line `{id, ok, value}` or `{id, ok: false, status, code, message}`.
 *
 * Clients: `secrets` (SecretClient), `keys` (KeyClient), `crypto:<keyId>` (CryptographyClient),
 * `blob` (BlobServiceClient), `container:<name>` — each with the credential from the environment:
 * RUNNER_CREDENTIAL=secret (RUNNER_TENANT/RUNNER_CLIENT_ID/RUNNER_SECRET/RUNNER_AUTHORITY) or `managed`
 * (ManagedIdentityCredential through the agent named by the usual variables).
 */
import { createInterface } from 'node:readline';
import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import { SecretClient } from '@azure/keyvault-secrets';
import { BlobServiceClient } from '@azure/storage-blob';

const env = process.env;
const credential: TokenCredential =
  env.RUNNER_CREDENTIAL === 'managed'
    ? new ManagedIdentityCredential(env.RUNNER_CLIENT_ID ? { clientId: env.RUNNER_CLIENT_ID } : {})
    : new ClientSecretCredential(env.RUNNER_TENANT!, env.RUNNER_CLIENT_ID!, env.RUNNER_SECRET!, {
        authorityHost: env.RUNNER_AUTHORITY!,
        disableInstanceDiscovery: true,
      });

const clients = new Map<string, any>();
function client(name: string): any {
  let c = clients.get(name);
  if (c) return c;
  if (name === 'secrets') c = new SecretClient(env.RUNNER_VAULT_URL!, credential);
  else if (name === 'keys') c = new KeyClient(env.RUNNER_VAULT_URL!, credential);
  else if (name.startsWith('crypto:')) c = new CryptographyClient(name.slice('crypto:'.length), credential);
  else if (name === 'blob') c = new BlobServiceClient(env.RUNNER_BLOB_URL!, credential);
  else if (name.startsWith('container:')) c = client('blob').getContainerClient(name.slice('container:'.length));
  else if (name.startsWith('blobtext:')) {
    // `blobtext:{container}/{blob}`: `read` downloads the blob as text.
    const [container, ...rest] = name.slice('blobtext:'.length).split('/');
    const blob = client('blob').getContainerClient(container).getBlobClient(rest.join('/'));
    return { read: async () => (await blob.downloadToBuffer()).toString('utf8') };
  } else throw new Error(`unknown client ${name}`);
  clients.set(name, c);
  return c;
}

/** Turns SDK results into JSON: Uint8Arrays as base64url, pollers run to completion, paged lists collected. */
async function settle(value: any, depth = 0): Promise<unknown> {
  // SDK results are plain data; clients and pipelines (deep, cyclic) are not sent back.
  if (depth > 8 || (value && typeof value === 'object' && 'pipeline' in value)) return undefined;
  if (value && typeof value.pollUntilDone === 'function') return settle(await value.pollUntilDone(), depth + 1);
  if (value && typeof value[Symbol.asyncIterator] === 'function' && typeof value.byPage === 'function') {
    const out: unknown[] = [];
    for await (const item of value) out.push(await settle(item, depth + 1));
    return out;
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64url');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return Promise.all(value.map((v) => settle(v, depth + 1)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v !== 'function' && k !== '_response') out[k] = await settle(v, depth + 1);
    return out;
  }
  return value;
}

/** Arguments: `{"$bytes": "<base64>"}` becomes a Buffer. */
function revive(arg: any): any {
  if (arg && typeof arg === 'object' && typeof arg.$bytes === 'string') return Buffer.from(arg.$bytes, 'base64');
  if (Array.isArray(arg)) return arg.map(revive);
  if (arg && typeof arg === 'object') return Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, revive(v)]));
  return arg;
}

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const cmd = JSON.parse(line) as { id: number; client: string; method: string; args: unknown[] };
  try {
    const c = client(cmd.client);
    let result = await c[cmd.method](...(cmd.args ?? []).map(revive));
    if (cmd.method === 'downloadToBuffer' || Buffer.isBuffer(result)) result = Buffer.from(result).toString('utf8');
    process.stdout.write(JSON.stringify({ id: cmd.id, ok: true, value: await settle(result) }) + '\n');
  } catch (e: any) {
    process.stdout.write(
      JSON.stringify({
        id: cmd.id,
        ok: false,
        status: e?.statusCode,
        code: e?.code ?? e?.details?.errorCode,
        message: String(e?.message ?? e).slice(0, 2000),
      }) + '\n',
    );
  }
});
