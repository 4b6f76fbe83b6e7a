/**
 * The token authority mounted alone on the base Fastify app, over a real SQLite store, real signing
 * keys and a real worker-thread signer, with one tenant, one application and one client secret.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isoTime, systemClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/ports.js';
import { createTokenService, type TokenService } from '../../src/core/tokens/token-service.js';
import { createAccessTokenVerifier } from '../../src/crypto/access-token-verifier.js';
import { createKeyRing, type KeyRing } from '../../src/crypto/key-ring.js';
import { clientSecretHasher } from '../../src/crypto/secrets.js';
import { createSignerPool, type SignerPool } from '../../src/crypto/signer-pool.js';
import { createBaseFastify } from '../../src/http/base.js';
import { oauthPlugin } from '../../src/http/oauth/index.js';
import { createSqliteStore } from '../../src/storage/sqlite.js';

export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
export const OBJECT_ID = 'c3c3c3c3-1111-4222-8333-444455556666';
export const DOMAIN = 'contoso.keyless.local';
export const BASE_URL = 'https://keyless.test:8443';

export interface OAuthFixture {
  app: FastifyInstance;
  store: Store;
  ring: KeyRing;
  signer: SignerPool;
  tokens: TokenService;
  verifier: ReturnType<typeof createAccessTokenVerifier>;
  secret: string;
  /** The SQLite file, to reopen after `close`. */
  file: string;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Reuse a data directory (a restart); a new one otherwise. */
  dir?: string;
  baseUrl?: () => string;
}

export async function createOAuthFixture(options: FixtureOptions = {}): Promise<OAuthFixture & { dir: string; dispose(): Promise<void> }> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'keyless-oauth-')));
  const file = join(dir, 'keyless.db');
  const store = await createSqliteStore({ file });
  const clock = systemClock;
  const secret = await seed(store);
  const ring = createKeyRing({ store, clock, policy: { periodSeconds: 14 * 86400, maxTokenLifetimeSeconds: 86400 } });
  await ring.start();
  const signer = createSignerPool({ threads: 2, key: ring.current() });
  ring.onCurrentKeyChange((k) => signer.setKey(k));
  const baseUrl = options.baseUrl ?? (() => BASE_URL);
  const tokens = createTokenService({
    repos: store,
    signer,
    clock,
    baseUrl,
    secrets: clientSecretHasher,
    config: { appTokenLifetimeSeconds: 3599, issuerMode: 'keyless' },
  });
  const verifier = createAccessTokenVerifier({ keys: ring, issuers: tokens.issuers, clock });
  const app = createBaseFastify();
  await app.register(oauthPlugin({ tokens, keys: ring, baseUrl, clock }));
  await app.ready();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      ring.stop();
      await signer.close();
      await store.close();
    })());
  return {
    app,
    store,
    ring,
    signer,
    tokens,
    verifier,
    secret,
    file,
    dir,
    close,
    async dispose() {
      await close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Tenant, application and secret (once: a reopened store already has them). */
async function seed(store: Store): Promise<string> {
  const fixed = 'abc8Q~fixed-test-secret-with-enough-entropy-0123';
  if (await store.tenants.get(TENANT_ID)) return fixed;
  const now = isoTime(Date.now());
  await store.tenants.insert({ id: TENANT_ID, displayName: 'Contoso', defaultDomain: DOMAIN, createdAt: now });
  await store.principals.insert({
    objectId: OBJECT_ID,
    appId: CLIENT_ID,
    tenantId: TENANT_ID,
    displayName: 'app',
    kind: 'Application',
    resourceId: null,
    createdAt: now,
  });
  await store.clientSecrets.insert({
    id: '0d0d0d0d-1111-4222-8333-444455556666',
    tenantId: TENANT_ID,
    appId: CLIENT_ID,
    hash: clientSecretHasher.hash(fixed),
    hint: fixed.slice(0, 3),
    displayName: 'test',
    createdAt: now,
    expiresAt: null,
  });
  return fixed;
}

/** A form body as MSAL sends it. */
export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
