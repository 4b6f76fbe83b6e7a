/**
 * A signing thread of the {@link createSignerPool} pool. It holds the current private key as a
 * KeyObject and turns claim sets (already JSON) into compact RS256 JWS with node:crypto directly:
 * RSA signing is the CPU-bound part of issuing a token, so it runs here, off the HTTP thread.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** Messages the pool sends. */
export type SignerRequest = { t: 'key'; kid: string; pem: string } | { t: 'sign'; id: number; payload: string };

/** Messages a worker answers with. */
export type SignerResponse = { id: number; token: string } | { id: number; error: string };

let key: KeyObject | undefined;
let prefix = '';

/** Entra's access-token header: `kid` and `x5t` carry the same thumbprint (azure-wire-contracts §3.1). */
function headerFor(kid: string): string {
  return Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5t: kid, kid })).toString('base64url');
}

function handle(message: SignerRequest): SignerResponse | undefined {
  if (message.t === 'key') {
    key = createPrivateKey(message.pem);
    prefix = headerFor(message.kid) + '.';
    return undefined;
  }
  if (!key) return { id: message.id, error: 'no signing key loaded' };
  const input = prefix + Buffer.from(message.payload, 'utf8').toString('base64url');
  // For an RSA KeyObject, sign('sha256') is RSASSA-PKCS1-v1_5 with SHA-256, i.e. JWS RS256.
  const signature = sign('sha256', Buffer.from(input, 'latin1'), key).toString('base64url');
  return { id: message.id, token: `${input}.${signature}` };
}

const port = parentPort;
if (port) {
  port.on('message', (message: SignerRequest) => {
    let reply: SignerResponse | undefined;
    try {
      reply = handle(message);
    } catch (error) {
      reply = message.t === 'sign' ? { id: message.id, error: error instanceof Error ? error.message : String(error) } : undefined;
    }
    if (reply) port.postMessage(reply);
  });
}
