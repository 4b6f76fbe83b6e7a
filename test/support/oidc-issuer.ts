/**
 * A test OIDC issuer over real HTTPS (a certificate from the test CA, which every test process and
 * server trusts through NODE_EXTRA_CA_CERTS): `{issuer}/.well-known/openid-configuration` and a JWKS,
 * and tokens signed with jose — what a Kubernetes API server, GitHub Actions or GitLab publish.
 * Tests rotate keys, count fetches, and sign tokens the issuer does not publish.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type CryptoKey } from 'jose';
import { issueServerCertificate } from '../../src/crypto/certificates.js';

export interface TestSigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: Record<string, unknown>;
}

export interface TestIssuer {
  /** e.g. `https://127.0.0.1:PORT/tenant/cluster/` (trailing slash, like AKS's). */
  issuer: string;
  /** How many times the discovery document and the JWKS were fetched. */
  fetches: { discovery: number; jwks: number };
  /** Keys the JWKS publishes (the first signs by default). */
  published: TestSigningKey[];
  newKey(alg?: 'RS256' | 'ES256', kid?: string): Promise<TestSigningKey>;
  /** A signed token; `claims` override the defaults (iss, sub, aud, iat, nbf, exp one hour). */
  sign(claims: JWTPayload & Record<string, unknown>, options?: { key?: TestSigningKey; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

export async function startTestIssuer(options: { path?: string; subject?: string } = {}): Promise<TestIssuer> {
  const caDir = process.env.KEYLESS_TEST_CA_DIR;
  if (!caDir) throw new Error('KEYLESS_TEST_CA_DIR is not set: run tests through scripts/run-tests.ts');
  const ca = { certPem: await readFile(join(caDir, 'ca.pem'), 'utf8'), keyPem: await readFile(join(caDir, 'ca-key.pem'), 'utf8') };
  const tls = await issueServerCertificate(ca);
  const path = options.path ?? '/tenant/cluster/';
  const fetches = { discovery: 0, jwks: 0 };
  const published: TestSigningKey[] = [];
  let issuer = '';

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const url = (req.url ?? '').split('?')[0]!;
    const base = new URL(issuer).pathname.replace(/\/+$/, '');
    if (url === `${base}/.well-known/openid-configuration`) {
      fetches.discovery++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer,
          jwks_uri: `${issuer.replace(/\/+$/, '')}/openid/v1/jwks`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        }),
      );
      return;
    }
    if (url === `${base}/openid/v1/jwks`) {
      fetches.jwks++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  issuer = `https://127.0.0.1:${(server.address() as { port: number }).port}${path}`;

  async function newKey(alg: 'RS256' | 'ES256' = 'RS256', kid?: string): Promise<TestSigningKey> {
    const pair = await generateKeyPair(alg, { extractable: true });
    const id = kid ?? `key-${Math.random().toString(36).slice(2, 10)}`;
    return { kid: id, alg, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: id, alg, use: 'sig' } };
  }
  published.push(await newKey());

  return {
    get issuer() {
      return issuer;
    },
    fetches,
    published,
    newKey,
    async sign(claims, opts = {}) {
      const key = opts.key ?? published[0]!;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        sub: options.subject ?? 'system:serviceaccount:default:workload',
        aud: ['api://AzureADTokenExchange'],
        iat: now,
        nbf: now,
        exp: now + 3600,
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...opts.header })
        .sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
