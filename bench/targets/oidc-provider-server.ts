/**
 * Baseline (b): panva's oidc-provider issuing RS256 JWT access tokens for client_credentials, over
 * HTTPS (node:https, a certificate made for the run), in its own process. Configured as close to the
 * Keyless case as the library allows: one confidential client (client_secret_post), resource
 * indicators with `https://management.azure.com/` as the default resource, JWT access tokens.
 * Reports `{ type: 'ready', … }` over IPC once it listens; stops on SIGTERM.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBaselineTls } from '../lib/tls.js';

/** What the parent needs to load this server. */
export interface OidcProviderReady {
  type: 'ready';
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  caPem: string;
}

const ARM = 'https://management.azure.com/';

// oidc-provider 9 warns on Node 20 (it asks for 22; it runs) and about its in-memory adapter, which
// client_credentials with JWT access tokens never writes to. Keep the benchmark output readable.
const warn = console.warn;
const quiet = ['Unsupported runtime', 'in-memory adapter'];
console.warn = (...args: unknown[]) => {
  if (!quiet.some((q) => String(args[0]).includes(q))) warn(...args);
};
const info = console.info;
console.info = (...args: unknown[]) => {
  if (!quiet.some((q) => String(args[0]).includes(q))) info(...args);
};
const { default: Provider } = await import('oidc-provider');

const tls = await createBaselineTls('oidc-provider baseline');
// The provider is built once the port is known; requests reach it through this slot.
const slot: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
const server = createServer({ key: tls.keyPem, cert: tls.certPem, keepAliveTimeout: 30_000 }, (req, res) => slot.handler!(req, res));
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const { port } = server.address() as AddressInfo;
const issuer = `https://127.0.0.1:${port}`;

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const clientId = 'bench-client';
const clientSecret = randomBytes(32).toString('base64url');
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  ttl: { ClientCredentials: 3599 },
  jwks: { keys: [{ ...signingKey, kid: 'bench', alg: 'RS256', use: 'sig' }] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => ARM,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: `${ARM}.default`,
        audience: ARM,
        accessTokenTTL: 3599,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
slot.handler = provider.callback();

const ready: OidcProviderReady = { type: 'ready', tokenUrl: `${issuer}/token`, clientId, clientSecret, caPem: tls.caPem };
process.send!(ready);

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
