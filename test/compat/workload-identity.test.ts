/**
 * Workload identity federation against `keyless serve` (real TLS, real SDKs): a user-assigned identity
 * and its federated credential made with @azure/arm-msi, a test OIDC issuer over HTTPS signing tokens
 * with jose, unmodified `WorkloadIdentityCredential` / `ClientAssertionCredential` getting the
 * identity's managed-identity token, and every refusal of issue 14 item 7 as a named test: Entra's
 * AADSTS code, HTTP status, no token issued.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientAssertionCredential, ClientSecretCredential, WorkloadIdentityCredential } from '@azure/identity';
import { SignJWT } from 'jose';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { ENGINES } from '../support/stores.js';

const RG = 'wi-rg';
const SUBJECT = 'system:serviceaccount:default:workload';
const ARM = 'https://management.azure.com/.default';

interface Exchange {
  status: number;
  body: any;
}

for (const engine of ENGINES)
  describe(`workload identity federation (keyless serve on ${engine}, real SDKs)`, { timeout: 180_000 }, () => {
    let server: RunningKeyless;
    let db: TestDatabase | undefined;
    let issuer: TestIssuer;
    let other: TestIssuer;
    let msi: ManagedServiceIdentityClient;
    let identity: { id: string; clientId: string; principalId: string };
    let dir: string;
    /** A second, ES256 key the issuer publishes from the start. */
    let es: Awaited<ReturnType<TestIssuer['newKey']>>;

    /** A raw exchange at the v2 endpoint, as MSAL sends it. */
    async function exchange(clientId: string, assertion: string, extra: Record<string, string> = {}): Promise<Exchange> {
      const b = server.bootstrap;
      const res = await fetch(`${b.authorityHost}/${b.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          scope: ARM,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
          ...extra,
        }),
      });
      return { status: res.status, body: await res.json() };
    }

    /** The exchange is refused with `aadsts`, HTTP `status`, and no token. */
    function refused(got: Exchange, aadsts: number, status: number, message?: RegExp) {
      assert.equal(got.status, status, JSON.stringify(got.body));
      assert.deepEqual(got.body.error_codes, [aadsts], JSON.stringify(got.body));
      assert.match(got.body.error_description, new RegExp(`^AADSTS${aadsts}: `));
      if (message) assert.match(got.body.error_description, message);
      assert.equal(got.body.access_token, undefined);
    }

    const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

    before(async () => {
      issuer = await startTestIssuer();
      es = await issuer.newKey('ES256');
      issuer.published.push(es);
      other = await startTestIssuer({ path: '/other-cluster/' });
      db = engine === 'postgres' ? await createTestDatabase() : undefined;
      server = await startKeyless({ via: 'node', ...(db ? { databaseUrl: db.url } : {}) });
      const b = server.bootstrap;
      const admin = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
      await new ResourceManagementClient(admin, b.subscriptionId, { endpoint: b.armEndpoint }).resourceGroups.createOrUpdate(RG, { location: 'westus2' });
      msi = new ManagedServiceIdentityClient(admin, b.subscriptionId, { endpoint: b.armEndpoint });
      const created = await msi.userAssignedIdentities.createOrUpdate(RG, 'workload', { location: 'westus2' });
      identity = { id: created.id!, clientId: created.clientId!, principalId: created.principalId! };
      // The SDK's own api-version (2024-11-30) and body shape.
      const fic = await msi.federatedIdentityCredentials.createOrUpdate(RG, 'workload', 'cluster-a', {
        issuer: issuer.issuer,
        subject: SUBJECT,
        audiences: ['api://AzureADTokenExchange'],
      });
      assert.equal(fic.issuer, issuer.issuer);
      dir = await mkdtemp(join(tmpdir(), 'keyless-wi-'));
    });
    after(async () => {
      await server?.dispose();
      await db?.drop();
      await issuer?.close();
      await other?.close();
    });

    it("WorkloadIdentityCredential, unmodified, gets the identity's managed-identity token from a projected token file", async () => {
      const b = server.bootstrap;
      const file = join(dir, 'azure-identity-token');
      await writeFile(file, await issuer.sign({}));
      const credential = new WorkloadIdentityCredential({
        tenantId: b.tenantId,
        clientId: identity.clientId,
        tokenFilePath: file,
        authorityHost: b.authorityHost,
        disableInstanceDiscovery: true,
      });
      const token = await credential.getToken(ARM);
      const claims = claimsOf(token.token);
      assert.equal(claims.appid, identity.clientId);
      assert.equal(claims.oid, identity.principalId);
      assert.equal(claims.sub, identity.principalId);
      assert.equal(claims.tid, b.tenantId);
      assert.equal(claims.appidacr, '2', "a signed assertion, like a managed identity's certificate");
      assert.equal(claims.xms_mirid.toLowerCase(), identity.id.toLowerCase());
      assert.equal(claims.aud, 'https://management.azure.com');
      assert.ok(claims.exp - claims.iat > 12 * 3600, "a managed identity's lifetime (about a day), not an app token's hour");
      // ARM accepts it as the identity: it has no role yet, so the refusal names its object id.
      const res = await fetch(`${b.armEndpoint}/subscriptions/${b.subscriptionId}/resourcegroups?api-version=2021-04-01`, {
        headers: { authorization: `Bearer ${token.token}` },
      });
      assert.equal(res.status, 403);
      assert.match(((await res.json()) as any).error.message, new RegExp(identity.principalId));
    });

    it("ManagedIdentityCredential and DefaultAzureCredential switch to workload identity on the webhook's variables", async () => {
      const b = server.bootstrap;
      const file = join(dir, 'projected-token');
      await writeFile(file, await issuer.sign({}));
      const env = {
        ...process.env,
        AZURE_TENANT_ID: b.tenantId,
        AZURE_CLIENT_ID: identity.clientId,
        AZURE_FEDERATED_TOKEN_FILE: file,
        AZURE_AUTHORITY_HOST: b.authorityHost,
        AZURE_CLIENT_SECRET: '',
        IDENTITY_ENDPOINT: '',
        MSI_ENDPOINT: '',
      };
      // A process of its own: MSAL keeps the managed-identity source in a static.
      const script = `import { ManagedIdentityCredential, DefaultAzureCredential } from '@azure/identity';
      const a = await new ManagedIdentityCredential().getToken('${ARM}');
      const d = await new DefaultAzureCredential({ disableInstanceDiscovery: true }).getToken('${ARM}');
      console.log(JSON.stringify([a.token.split('.')[1], d.token.split('.')[1]]));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env, cwd: ROOT });
      for (const part of JSON.parse(stdout) as string[]) {
        const claims = JSON.parse(Buffer.from(part, 'base64url').toString());
        assert.equal(claims.appid, identity.clientId);
        assert.equal(claims.xms_mirid.toLowerCase(), identity.id.toLowerCase());
      }
    });

    it('ClientAssertionCredential with an ES256 key, and the v1 endpoint', async () => {
      const b = server.bootstrap;
      const credential = new ClientAssertionCredential(b.tenantId, identity.clientId, () => issuer.sign({}, { key: es }), {
        authorityHost: b.authorityHost,
        disableInstanceDiscovery: true,
      });
      assert.equal(claimsOf((await credential.getToken('https://storage.azure.com/.default')).token).appid, identity.clientId);
      const v1 = await fetch(`${b.authorityHost}/${b.tenantId}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: identity.clientId,
          resource: 'https://vault.azure.net',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await issuer.sign({}),
        }),
      });
      assert.equal(v1.status, 200);
      assert.equal(((await v1.json()) as any).resource, 'https://vault.azure.net');
    });

    it("keeps the issuer's keys: exchanges reuse the cached JWKS and refetch only for an unknown kid", async () => {
      const before = { ...issuer.fetches };
      for (let i = 0; i < 5; i++) assert.equal((await exchange(identity.clientId, await issuer.sign({}))).status, 200);
      assert.deepEqual(issuer.fetches, before, 'no fetch while the keys are cached');
      // The issuer rotates: a new key signs; Keyless refetches once (after its short cool-down) and accepts it.
      const rotated = await issuer.newKey('RS256');
      issuer.published.push(rotated);
      await new Promise((r) => setTimeout(r, 5_100));
      assert.equal((await exchange(identity.clientId, await issuer.sign({}, { key: rotated }))).status, 200);
      assert.equal(issuer.fetches.jwks, before.jwks + 1);
    });

    describe("refusals (issue 14 item 7): each with Entra's error, and no token", () => {
      it('a wrong audience: AADSTS700212', async () => {
        refused(await exchange(identity.clientId, await issuer.sign({ aud: 'api://SomethingElse' })), 700212, 401, /audience 'api:\/\/SomethingElse'/);
      });
      it('a wrong subject: AADSTS700213', async () => {
        refused(
          await exchange(identity.clientId, await issuer.sign({ sub: 'system:serviceaccount:default:intruder' })),
          700213,
          401,
          /subject 'system:serviceaccount:default:intruder'/,
        );
      });
      it('a subject differing only in case: AADSTS700213 (exact match)', async () => {
        refused(await exchange(identity.clientId, await issuer.sign({ sub: SUBJECT.toUpperCase() })), 700213, 401);
      });
      it('a wrong issuer: AADSTS700211', async () => {
        refused(
          await exchange(identity.clientId, await other.sign({})),
          700211,
          401,
          new RegExp(`issuer '${other.issuer.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`),
        );
      });
      it('the issuer without its trailing slash: AADSTS700211 (exact match)', async () => {
        refused(await exchange(identity.clientId, await issuer.sign({ iss: issuer.issuer.replace(/\/$/, '') })), 700211, 401);
      });
      it('an expired assertion: AADSTS700024', async () => {
        const now = Math.floor(Date.now() / 1000);
        refused(
          await exchange(identity.clientId, await issuer.sign({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 })),
          700024,
          401,
          /not within its valid time range/,
        );
      });
      it('an assertion not yet valid: AADSTS700024', async () => {
        const now = Math.floor(Date.now() / 1000);
        refused(await exchange(identity.clientId, await issuer.sign({ nbf: now + 3600, exp: now + 7200 })), 700024, 401);
      });
      it('an assertion without exp: AADSTS700024', async () => {
        const token = await issuer.sign({});
        const [h, , s] = token.split('.');
        const body = Buffer.from(JSON.stringify({ iss: issuer.issuer, sub: SUBJECT, aud: ['api://AzureADTokenExchange'] })).toString('base64url');
        refused(await exchange(identity.clientId, `${h}.${body}.${s}`), 700024, 401);
      });
      it('alg none: refused before anything else (AADSTS700027)', async () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        const body = Buffer.from(JSON.stringify({ iss: issuer.issuer, sub: SUBJECT, aud: 'api://AzureADTokenExchange', exp: now + 600 })).toString('base64url');
        refused(await exchange(identity.clientId, `${header}.${body}.`), 700027, 401, /algorithm 'none' is not allowed/);
        refused(await exchange(identity.clientId, `${header}.${body}.c2ln`), 700027, 401);
      });
      it("HS256 signed with the issuer's public modulus as the secret (key confusion): AADSTS700027", async () => {
        const secret = Buffer.from(String(issuer.published[0]!.jwk['n']), 'base64url');
        const token = await new SignJWT({ iss: issuer.issuer, sub: SUBJECT, aud: ['api://AzureADTokenExchange'] })
          .setProtectedHeader({ alg: 'HS256', kid: issuer.published[0]!.kid })
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(secret);
        refused(await exchange(identity.clientId, token), 700027, 401, /algorithm 'HS256' is not allowed/);
      });
      it('signed by a key the issuer does not publish: AADSTS7000272', async () => {
        const rogue = await issuer.newKey('RS256', 'rogue-key');
        refused(await exchange(identity.clientId, await issuer.sign({}, { key: rogue })), 7000272, 401, /rogue-key/);
      });
      it('signed by an unpublished key under a published kid: AADSTS700027', async () => {
        const rogue = await issuer.newKey('RS256', issuer.published[0]!.kid);
        refused(await exchange(identity.clientId, await issuer.sign({}, { key: rogue })), 700027, 401, /signature/);
      });
      it('a tampered payload: AADSTS700027', async () => {
        const [h, , s] = (await issuer.sign({})).split('.');
        const now = Math.floor(Date.now() / 1000);
        const body = Buffer.from(JSON.stringify({ iss: issuer.issuer, sub: SUBJECT, aud: ['api://AzureADTokenExchange'], exp: now + 999 })).toString(
          'base64url',
        );
        refused(await exchange(identity.clientId, `${h}.${body}.${s}`), 700027, 401);
      });
      it('an http issuer: no credential may trust it, so no exchange matches (400 at create, AADSTS700211 at exchange)', async () => {
        await assert.rejects(
          msi.federatedIdentityCredentials.createOrUpdate(RG, 'workload', 'plain-http', {
            issuer: 'http://127.0.0.1:1/',
            subject: SUBJECT,
            audiences: ['api://AzureADTokenExchange'],
          }),
          (e: any) => e.statusCode === 400 && /https/.test(e.message),
        );
        refused(await exchange(identity.clientId, await issuer.sign({ iss: 'http://127.0.0.1:1/' })), 700211, 401);
      });
      it('an unreachable issuer: AADSTS90061, after the claims matched a credential', async () => {
        const port = await freePort();
        const dead = `https://127.0.0.1:${port}/gone/`;
        await msi.federatedIdentityCredentials.createOrUpdate(RG, 'workload', 'unreachable', {
          issuer: dead,
          subject: SUBJECT,
          audiences: ['api://AzureADTokenExchange'],
        });
        refused(await exchange(identity.clientId, await issuer.sign({ iss: dead })), 90061, 400, /External OIDC endpoint failed/);
        await msi.federatedIdentityCredentials.delete(RG, 'workload', 'unreachable');
      });
      it('a client with no federated credential: AADSTS70021', async () => {
        const bare = await msi.userAssignedIdentities.createOrUpdate(RG, 'bare', { location: 'westus2' });
        refused(await exchange(bare.clientId!, await issuer.sign({})), 70021, 401, /No matching federated identity record/);
      });
      it("a managed identity's client id with a client secret: not an application (AADSTS700016)", async () => {
        const b = server.bootstrap;
        const res = await fetch(`${b.authorityHost}/${b.tenantId}/oauth2/v2.0/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_id: identity.clientId, client_secret: 'guess', scope: ARM }),
        });
        refused({ status: res.status, body: await res.json() }, 700016, 400);
      });
      it("one cluster's service-account token used for another cluster's subject: AADSTS700211", async () => {
        // `other` is a second cluster; its token for the same namespace and account does not match cluster A's credential.
        refused(await exchange(identity.clientId, await other.sign({ sub: SUBJECT })), 700211, 401);
      });
      it('an access token of Keyless itself as the assertion: AADSTS700222', async () => {
        const b = server.bootstrap;
        const own = await new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, {
          authorityHost: b.authorityHost,
          disableInstanceDiscovery: true,
        }).getToken(ARM);
        refused(await exchange(identity.clientId, own.token), 700222, 401);
      });
      it('a malformed assertion or a wrong assertion type: 400 invalid_request', async () => {
        refused(await exchange(identity.clientId, 'not-a-jwt'), 50027, 400);
        refused(
          await exchange(identity.clientId, await issuer.sign({}), { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }),
          900144,
          400,
        );
      });
      it('the SDK surfaces the refusal as an AuthenticationError with the AADSTS code', async () => {
        const b = server.bootstrap;
        const credential = new ClientAssertionCredential(b.tenantId, identity.clientId, () => issuer.sign({ sub: 'system:serviceaccount:kube-system:other' }), {
          authorityHost: b.authorityHost,
          disableInstanceDiscovery: true,
        });
        await assert.rejects(credential.getToken(ARM), /AADSTS700213/);
      });
    });

    describe('an app registration with a federated credential (Graph)', () => {
      let graphAuth: string;
      let app: { id: string; appId: string };
      const graph = async (method: string, path: string, body?: unknown, auth = graphAuth) => {
        const res = await fetch(`${server.bootstrap.armEndpoint}/v1.0${path}`, {
          method,
          headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      };
      const ficBody = (name: string, subject: string) => ({
        name,
        issuer: issuer.issuer,
        subject,
        audiences: ['api://AzureADTokenExchange'],
        description: `for ${subject}`,
      });

      before(async () => {
        const b = server.bootstrap;
        const admin = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
        graphAuth = `Bearer ${(await admin.getToken('https://graph.microsoft.com/.default')).token}`;
        app = (await graph('POST', '/applications', { displayName: 'ci-app' })).body;
        assert.equal((await graph('POST', '/servicePrincipals', { appId: app.appId })).status, 201);
      });

      it("creates (201), lists, reads by id or name, updates (204) and deletes (204) credentials with Graph's shapes", async () => {
        const created = await graph('POST', `/applications/${app.id}/federatedIdentityCredentials`, ficBody('main', 'repo:contoso/app:ref:refs/heads/main'));
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.deepEqual(
          Object.keys(created.body)
            .filter((k) => !k.startsWith('@'))
            .sort(),
          ['audiences', 'description', 'id', 'issuer', 'name', 'subject'],
        );
        assert.equal((await graph('GET', `/applications/${app.id}/federatedIdentityCredentials/main`)).body.id, created.body.id);
        assert.equal((await graph('GET', `/applications/${app.id}/federatedIdentityCredentials/${created.body.id}`)).body.name, 'main');
        assert.equal((await graph('PATCH', `/applications/${app.id}/federatedIdentityCredentials/main`, { description: 'changed' })).status, 204);
        const listed = await graph('GET', `/applications/${app.id}/federatedIdentityCredentials`);
        assert.deepEqual(
          listed.body.value.map((c: any) => [c.name, c.description]),
          [['main', 'changed']],
        );
      });

      it('ClientAssertionCredential signs in as the application (an app token, appidacr 2)', async () => {
        const b = server.bootstrap;
        const credential = new ClientAssertionCredential(b.tenantId, app.appId, () => issuer.sign({ sub: 'repo:contoso/app:ref:refs/heads/main' }), {
          authorityHost: b.authorityHost,
          disableInstanceDiscovery: true,
        });
        const claims = claimsOf((await credential.getToken(ARM)).token);
        assert.equal(claims.appid, app.appId);
        assert.equal(claims.appidacr, '2');
        assert.equal(claims.xms_mirid, undefined);
        refused(await exchange(app.appId, await issuer.sign({ sub: 'repo:contoso/app:pull_request' })), 700213, 401);
      });

      it('refuses what Graph refuses (no name, http issuer, two audiences, duplicates, the 21st, non-admins) and writes nothing', async () => {
        const path = `/applications/${app.id}/federatedIdentityCredentials`;
        const cases: [body: unknown, message: RegExp][] = [
          [{ issuer: issuer.issuer, subject: 's', audiences: ['api://AzureADTokenExchange'] }, /'name' is required/],
          [{ ...ficBody('plain', 's'), issuer: 'http://example.test/' }, /https/],
          [{ ...ficBody('two', 's'), audiences: ['a', 'b'] }, /exactly one audience/],
          [ficBody('dup', 'repo:contoso/app:ref:refs/heads/main'), /Issuer and subject combination already exists/],
          [ficBody('main', 'other'), /already exists/],
          [ficBody('x', 's'), /is invalid/],
        ];
        for (const [body, message] of cases) {
          const res = await graph('POST', path, body);
          assert.equal(res.status, 400, JSON.stringify(res.body));
          assert.equal(res.body.error.code, 'Request_BadRequest');
          assert.match(res.body.error.message, message);
        }
        for (let i = 1; i < 20; i++) assert.equal((await graph('POST', path, ficBody(`extra-${i}`, `s-${i}`))).status, 201);
        const over = await graph('POST', path, ficBody('extra-20', 's-20'));
        assert.equal(over.status, 400);
        assert.match(over.body.error.message, /maximum allowed \(20\)/);
        const b = server.bootstrap;
        const ownToken = await new ClientAssertionCredential(b.tenantId, app.appId, () => issuer.sign({ sub: 'repo:contoso/app:ref:refs/heads/main' }), {
          authorityHost: b.authorityHost,
          disableInstanceDiscovery: true,
        }).getToken('https://graph.microsoft.com/.default');
        const denied = await graph('POST', path, ficBody('by-app', 's-app'), `Bearer ${ownToken.token}`);
        assert.equal(denied.status, 403);
        assert.equal((await graph('GET', path)).body.value.length, 20, 'nothing more was written');
      });

      it("deleting the application's credential stops its exchanges within a second", async () => {
        const assertion = await issuer.sign({ sub: 'repo:contoso/app:ref:refs/heads/main' });
        assert.equal((await exchange(app.appId, assertion)).status, 200);
        assert.equal((await graph('DELETE', `/applications/${app.id}/federatedIdentityCredentials/main`)).status, 204);
        const deleted = Date.now();
        let got = await exchange(app.appId, assertion);
        while (got.status === 200 && Date.now() - deleted < 1000) got = await exchange(app.appId, assertion);
        refused(got, 700213, 401);
      });
    });

    it('deleting the credential, then the identity, stops exchanges within a second', async () => {
      await msi.federatedIdentityCredentials.createOrUpdate(RG, 'workload', 'short-lived', {
        issuer: other.issuer,
        subject: 'system:serviceaccount:ci:deploy',
        audiences: ['api://AzureADTokenExchange'],
      });
      const assertion = await other.sign({ sub: 'system:serviceaccount:ci:deploy' });
      assert.equal((await exchange(identity.clientId, assertion)).status, 200);
      await msi.federatedIdentityCredentials.delete(RG, 'workload', 'short-lived');
      const deleted = Date.now();
      let got = await exchange(identity.clientId, assertion);
      while (got.status === 200 && Date.now() - deleted < 1000) got = await exchange(identity.clientId, assertion);
      refused(got, 700211, 401);
      assert.ok(Date.now() - deleted <= 1000);

      assert.equal((await exchange(identity.clientId, await issuer.sign({}))).status, 200);
      await msi.userAssignedIdentities.delete(RG, 'workload');
      const gone = Date.now();
      got = await exchange(identity.clientId, await issuer.sign({}));
      while (got.status === 200 && Date.now() - gone < 1000) got = await exchange(identity.clientId, await issuer.sign({}));
      assert.notEqual(got.status, 200, 'no token once the identity is gone');
      assert.equal(got.body.error_codes[0], 700016);
    });
  });
