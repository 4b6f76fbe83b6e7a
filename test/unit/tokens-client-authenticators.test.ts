/**
 * The grant registry seam: the client-credentials grant picks the client authenticator whose proof
 * the request carries, refuses proofs no authenticator handles, and reports how the client
 * authenticated (the token's `appidacr`). In-memory repositories: no I/O.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServicePrincipal, Tenant } from '../../src/core/model.js';
import { clientSecretAuthenticator, runClientCredentials, type ClientAuthenticator, type GrantDeps } from '../../src/core/tokens/client-credentials.js';
import { OAuthError } from '../../src/core/tokens/oauth-error.js';

const tenant: Tenant = { id: '11111111-1111-4111-8111-111111111111', displayName: 't', defaultDomain: 't.local', createdAt: '2026-01-01T00:00:00Z' };
const app: ServicePrincipal = {
  objectId: '22222222-2222-4222-8222-222222222222',
  appId: '33333333-3333-4333-8333-333333333333',
  tenantId: tenant.id,
  displayName: 'app',
  kind: 'Application',
  resourceId: null,
  createdAt: tenant.createdAt,
};
const deps: GrantDeps = {
  repos: {
    tenants: {
      get: async (id: string) => (id === tenant.id ? tenant : undefined),
      getByDomain: async () => undefined,
    } as unknown as GrantDeps['repos']['tenants'],
    principals: { getByAppId: async (_t: string, appId: string) => (appId === app.appId ? app : undefined) } as unknown as GrantDeps['repos']['principals'],
    clientSecrets: { listByApp: async () => [] } as unknown as GrantDeps['repos']['clientSecrets'],
  },
  secrets: { verify: () => false },
  clock: { now: () => Date.parse('2026-06-01T00:00:00Z') },
};
const base = { endpoint: 'v2' as const, grantType: 'client_credentials', clientId: app.appId, scope: 'https://management.azure.com/.default' };

/** A stand-in assertion authenticator: accepts the literal assertion `good`. */
const assertion: ClientAuthenticator = {
  name: 'client_assertion',
  presentIn: (p) => p.clientAssertion !== undefined,
  authenticate: (state) => {
    if (state.params.clientAssertion !== 'good') throw new OAuthError('invalid_client', 700211, 'bad assertion');
  },
  clientAuthentication: 'certificate',
};

describe('client authenticators (grant registry)', () => {
  it("refuses a client assertion while only client_secret is registered, with Entra's invalid_client", async () => {
    await assert.rejects(
      runClientCredentials(tenant.id, { ...base, clientAssertion: 'good' }, deps),
      (e: unknown) => e instanceof OAuthError && e.error === 'invalid_client' && e.aadsts === 7000216,
    );
  });

  it('refuses a request with no proof at all', async () => {
    await assert.rejects(
      runClientCredentials(tenant.id, base, deps, [clientSecretAuthenticator, assertion]),
      (e: unknown) => e instanceof OAuthError && e.error === 'invalid_client',
    );
  });

  it('dispatches to the authenticator whose proof is present and records how the client authenticated', async () => {
    const grant = await runClientCredentials(tenant.id, { ...base, clientAssertion: 'good' }, deps, [clientSecretAuthenticator, assertion]);
    assert.equal(grant.principal.appId, app.appId);
    assert.equal(grant.clientAuthentication, 'certificate');
    assert.equal(grant.audience, 'https://management.azure.com');
    await assert.rejects(
      runClientCredentials(tenant.id, { ...base, clientAssertion: 'forged' }, deps, [clientSecretAuthenticator, assertion]),
      (e: unknown) => e instanceof OAuthError && e.aadsts === 700211,
    );
  });

  it('checks a secret against the stored digests (none match here)', async () => {
    await assert.rejects(
      runClientCredentials(tenant.id, { ...base, clientSecret: 'nope' }, deps),
      (e: unknown) => e instanceof OAuthError && e.error === 'invalid_client',
    );
  });
});
