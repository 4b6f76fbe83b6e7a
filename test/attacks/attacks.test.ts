/**
 * The attack suite, in one place: each attack is a named test against a real `keyless serve` (and a
 * real `keyless agent`) and must be refused. Tokens with forged claims are signed with the server's
 * own current signing key (read from its data dir, as a thief with a copy of the disk could), so that
 * each refusal is due to the claim under test and not to the signature; a control test shows an
 * unchanged re-signed token is accepted. The last test scans the server's and the agent's debug logs
 * for every secret and token this suite was given or issued.
 */
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importPKCS8, SignJWT, type JWTPayload } from 'jose';
import { createKeySealing, loadKeyEncryptionKey } from '../../src/crypto/key-sealing.js';
import { openStore } from '../../src/storage/store.js';
import { armToken, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { startAgentProcess, type RunningAgent } from '../compat/agent-process.js';

const MANAGEMENT = 'https://management.azure.com/';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const OWNER = '8e3af657-a8ff-443c-a75e-2fe8c4bcb635';

describe('attacks', () => {
  let server: RunningKeyless;
  let agent: RunningAgent;
  let admin: string;
  let sub: string;
  let group: string;
  const vm = { vm1: { id: '', principalId: '' }, vm2: { id: '', principalId: '' } };
  let uamiId = '';
  /** Every secret and token the suite was given or saw issued: none may appear in a log. */
  const secrets: string[] = [];
  let signWithServerKey: (payload: JWTPayload, header?: Record<string, unknown>) => Promise<string>;

  const arm = (method: string, path: string, token: string | undefined, body?: unknown) =>
    fetch(`${server.bootstrap.armEndpoint}${path}`, {
      method,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const readGroup = (token: string) => arm('GET', `${group}?api-version=2021-04-01`, token);
  const agentApi = (path: string, body: unknown, hostKey?: string) =>
    fetch(`${server.bootstrap.armEndpoint}/keyless/agent/v1/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(hostKey ? { authorization: `KeylessHost ${hostKey}` } : {}) },
      body: JSON.stringify(body),
    });
  async function refused(res: Response, status: number, code?: RegExp): Promise<{ error: { code: string; message: string } }> {
    const text = await res.text();
    assert.equal(res.status, status, text);
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    if (code) assert.match(body.error.code, code, text);
    return body;
  }

  before(async () => {
    server = await startKeyless({ via: 'node', extraArgs: ['--log-level', 'debug'] });
    const b = server.bootstrap;
    secrets.push(b.clientSecret);
    sub = b.subscriptionId;
    admin = await armToken(b);
    secrets.push(admin);
    group = `/subscriptions/${sub}/resourceGroups/attacks`;
    assert.equal((await arm('PUT', `${group}?api-version=2021-04-01`, admin, { location: 'westus2' })).status, 201);
    for (const name of ['vm1', 'vm2'] as const) {
      const res = await arm('PUT', `${group}/providers/Microsoft.Compute/virtualMachines/${name}?api-version=2024-07-01`, admin, {
        location: 'westus2',
        identity: { type: 'SystemAssigned' },
        properties: { hardwareProfile: { vmSize: 'Standard_B1s' } },
      });
      const json = (await res.json()) as { id: string; identity: { principalId: string } };
      vm[name] = { id: json.id, principalId: json.identity.principalId };
    }
    uamiId = (
      (await (
        await arm('PUT', `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/attack-uami?api-version=2023-01-31`, admin, {
          location: 'westus2',
        })
      ).json()) as { id: string }
    ).id;
    agent = await startAgentProcess(['--data-dir', server.dataDir, '--resource', vm.vm1.id, '--port', '0']);

    // The server's current signing key, as a copy of its disk gives it.
    const store = await openStore({ sqliteFile: `${server.dataDir}/keyless.db` });
    try {
      const kid = decodeProtectedHeader(admin).kid;
      const record = (await store.signingKeys.list()).find((k) => k.kid === kid);
      assert.ok(record, 'the admin token names a stored key');
      const sealing = createKeySealing(await loadKeyEncryptionKey(server.dataDir, undefined));
      const key = await importPKCS8(sealing.open(record.privateKeyPem), 'RS256');
      const header = decodeProtectedHeader(admin);
      signWithServerKey = (payload, extra = {}) => new SignJWT(payload).setProtectedHeader({ ...header, alg: 'RS256', ...extra } as { alg: string }).sign(key);
    } finally {
      await store.close();
    }
  });
  after(async () => {
    await agent?.stop();
    await server?.dispose();
  });

  const adminClaims = () => decodeJwt(admin);
  const now = () => Math.floor(Date.now() / 1000);

  describe('forged and misused tokens at ARM', () => {
    it('control: the admin token re-signed unchanged with the server key is accepted', async () => {
      assert.equal((await readGroup(await signWithServerKey(adminClaims()))).status, 200);
    });

    it('a token whose signature was tampered with', async () => {
      const [h, p, s] = admin.split('.') as [string, string, string];
      const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
      await refused(await readGroup(flipped), 401, /^InvalidAuthenticationToken$/);
    });

    it('a token whose claims were changed after signing (elevated oid)', async () => {
      const [h, , s] = admin.split('.') as [string, string, string];
      const payload = Buffer.from(JSON.stringify({ ...adminClaims(), oid: randomUUID() })).toString('base64url');
      await refused(await readGroup(`${h}.${payload}.${s}`), 401, /^InvalidAuthenticationToken$/);
    });

    it('alg: none', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = admin.split('.')[1]!;
      await refused(await readGroup(`${header}.${payload}.`), 401, /^InvalidAuthenticationToken$/);
    });

    it("HS256 signed with the server's public key as the HMAC secret", async () => {
      const jwks = (await (await fetch(`${server.bootstrap.authorityHost}/${server.bootstrap.tenantId}/discovery/v2.0/keys`)).json()) as {
        keys: Record<string, unknown>[];
      };
      const jwk = jwks.keys.find((k) => k['kid'] === decodeProtectedHeader(admin).kid)!;
      const publicPem = createPublicKey({ key: jwk as never, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: jwk['kid'] })).toString('base64url');
      const payload = admin.split('.')[1]!;
      const signature = createHmac('sha256', publicPem).update(`${header}.${payload}`).digest('base64url');
      await refused(await readGroup(`${header}.${payload}.${signature}`), 401, /^InvalidAuthenticationToken$/);
    });

    it("a kid the server never published (signed by the attacker's own key)", async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      void exportJWK(publicKey);
      const token = await new SignJWT(adminClaims()).setProtectedHeader({ alg: 'RS256', kid: 'attacker-key' }).sign(privateKey);
      await refused(await readGroup(token), 401, /^InvalidAuthenticationToken$/);
      const sameKid = await new SignJWT(adminClaims()).setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(admin).kid! }).sign(privateKey);
      await refused(await readGroup(sameKid), 401, /^InvalidAuthenticationToken$/);
    });

    it('an expired token, and one not yet valid', async () => {
      await refused(
        await readGroup(await signWithServerKey({ ...adminClaims(), iat: now() - 7200, nbf: now() - 7200, exp: now() - 600 })),
        401,
        /^ExpiredAuthenticationToken$/,
      );
      await refused(
        await readGroup(await signWithServerKey({ ...adminClaims(), iat: now() + 3600, nbf: now() + 3600, exp: now() + 7200 })),
        401,
        /^InvalidAuthenticationToken$/,
      );
    });

    it('a token for another audience (Key Vault, Graph)', async () => {
      await refused(
        await readGroup(await signWithServerKey({ ...adminClaims(), aud: 'https://vault.azure.net' })),
        401,
        /^InvalidAuthenticationTokenAudience$/,
      );
      const graph = (await (
        await fetch(`${server.bootstrap.authorityHost}/${server.bootstrap.tenantId}/oauth2/v2.0/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: server.bootstrap.clientId,
            client_secret: server.bootstrap.clientSecret,
            scope: 'https://graph.microsoft.com/.default',
          }),
        })
      ).json()) as { access_token: string };
      secrets.push(graph.access_token);
      await refused(await readGroup(graph.access_token), 401, /^InvalidAuthenticationTokenAudience$/);
    });

    it('a token from another issuer', async () => {
      await refused(
        await readGroup(await signWithServerKey({ ...adminClaims(), iss: 'https://login.evil.example/tenant/' })),
        401,
        /^InvalidAuthenticationToken$/,
      );
    });

    it("a token of another tenant cannot reach this tenant's subscription", async () => {
      const other = randomUUID();
      const claims = adminClaims();
      const iss = String(claims.iss).replace(server.bootstrap.tenantId, other);
      const res = await readGroup(await signWithServerKey({ ...claims, tid: other, iss }));
      assert.ok(res.status === 401 || res.status === 403 || res.status === 404, `answered ${res.status}`);
      const body = (await res.json()) as { error?: { code: string } };
      assert.ok(body.error, 'an ARM error, no data');
    });
  });

  describe('host attestation', () => {
    let joinToken = '';
    let hostKey = '';
    before(async () => {
      const join = await arm('POST', `${vm.vm2.id}/keylessAgentJoin?api-version=2024-07-01`, admin);
      assert.equal(join.status, 200, await join.clone().text());
      joinToken = ((await join.json()) as { joinToken: string }).joinToken;
      secrets.push(joinToken);
      const exchanged = await agentApi('join', { joinToken });
      assert.equal(exchanged.status, 200);
      hostKey = ((await exchanged.json()) as { hostKey: string }).hostKey;
      secrets.push(hostKey);
    });

    it('a replayed join token is refused', async () => {
      await refused(await agentApi('join', { joinToken }), 401, /^JoinTokenRefused$/);
    });

    it('a made-up join token is refused', async () => {
      await refused(await agentApi('join', { joinToken: `${joinToken.slice(0, -4)}AAAA` }), 401, /^JoinTokenRefused$/);
    });

    it("one host's key cannot get a token for another host's identity", async () => {
      await refused(
        await agentApi('token', { identity: { kind: 'objectId', value: vm.vm1.principalId }, resource: MANAGEMENT }, hostKey),
        404,
        /^IdentityNotFound$/,
      );
      await refused(await agentApi('token', { identity: { kind: 'resourceId', value: vm.vm1.id }, resource: MANAGEMENT }, hostKey), 404, /^IdentityNotFound$/);
      const own = await agentApi('token', { identity: { kind: 'system' }, resource: MANAGEMENT }, hostKey);
      assert.equal(own.status, 200, 'control: its own identity works');
      secrets.push(((await own.json()) as { accessToken: string }).accessToken);
    });

    it('a forged host key is refused', async () => {
      await refused(
        await agentApi('token', { identity: { kind: 'system' }, resource: MANAGEMENT }, `${hostKey.slice(0, -6)}AAAAAA`),
        401,
        /^HostUnauthorized$/,
      );
    });
  });

  describe('privilege escalation by a managed identity holding Reader', () => {
    let mi = '';
    before(async () => {
      assert.equal(
        (
          await arm('PUT', `${group}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, admin, {
            properties: {
              roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
              principalId: vm.vm1.principalId,
              principalType: 'ServicePrincipal',
            },
          })
        ).status,
        201,
      );
      const res = await fetch(
        `${agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(MANAGEMENT)}`,
        { headers: { Metadata: 'true' } },
      );
      assert.equal(res.status, 200);
      mi = ((await res.json()) as { access_token: string }).access_token;
      secrets.push(mi);
      // Role assignments reach the RBAC index within a second.
      const deadline = Date.now() + 5000;
      while ((await readGroup(mi)).status !== 200) {
        assert.ok(Date.now() < deadline, 'Reader takes effect');
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    it('cannot grant itself Owner', async () => {
      await refused(
        await arm('PUT', `${group}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, mi, {
          properties: {
            roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${OWNER}`,
            principalId: vm.vm1.principalId,
            principalType: 'ServicePrincipal',
          },
        }),
        403,
        /^AuthorizationFailed$/,
      );
    });

    it('cannot write a custom role with every action', async () => {
      await refused(
        await arm('PUT', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}?api-version=2022-04-01`, mi, {
          properties: {
            roleName: 'all-mine',
            type: 'CustomRole',
            permissions: [{ actions: ['*'], notActions: [] }],
            assignableScopes: [`/subscriptions/${sub}`],
          },
        }),
        403,
        /^AuthorizationFailed$/,
      );
    });

    it('with write access to VMs only, cannot attach a user-assigned identity it may not assign', async () => {
      const roleId = randomUUID();
      assert.equal(
        (
          await arm('PUT', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${roleId}?api-version=2022-04-01`, admin, {
            properties: {
              roleName: 'vm-writer',
              type: 'CustomRole',
              permissions: [{ actions: ['Microsoft.Compute/virtualMachines/*'], notActions: [] }],
              assignableScopes: [group],
            },
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await arm('PUT', `${group}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, admin, {
            properties: {
              roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
              principalId: vm.vm1.principalId,
              principalType: 'ServicePrincipal',
            },
          })
        ).status,
        201,
      );
      await new Promise((r) => setTimeout(r, 1200));
      await refused(
        await arm('PATCH', `${vm.vm2.id}?api-version=2024-07-01`, mi, {
          identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [uamiId]: {} } },
        }),
        403,
        /^LinkedAuthorizationFailed$/,
      );
      const after = (await (await arm('GET', `${vm.vm2.id}?api-version=2024-07-01`, admin)).json()) as { identity: { userAssignedIdentities?: unknown } };
      assert.equal(after.identity.userAssignedIdentities, undefined, 'nothing was attached');
    });
  });

  describe('IMDS SSRF at the agent', () => {
    const imds = (headers: Record<string, string>) =>
      fetch(`${agent.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(MANAGEMENT)}`, {
        headers,
      });

    it('a request relayed by a proxy (X-Forwarded-For, Forwarded) is refused', async () => {
      for (const headers of [
        { Metadata: 'true', 'X-Forwarded-For': '10.0.0.1' },
        { Metadata: 'true', Forwarded: 'for=10.0.0.1' },
      ] as Record<string, string>[]) {
        const res = await imds(headers);
        assert.equal(res.status, 400);
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
      }
    });

    it('a request without Metadata: true (what a URL-fetching SSRF sends) is refused', async () => {
      for (const headers of [{}, { Metadata: 'false' }, { Metadata: 'true, true' }] as Record<string, string>[]) {
        const res = await imds(headers);
        assert.equal(res.status, 400);
        assert.match(((await res.json()) as { error_description: string }).error_description, /metadata header/i);
      }
    });
  });

  describe('secrets in logs', () => {
    it("no secret or token this suite was given or issued appears in the server's or the agent's debug log", () => {
      const logs = `${server.output()}\n${agent.output()}`;
      // Every request was logged (with its headers, at debug level): the scan has something to scan.
      const requestLines = server
        .output()
        .split('\n')
        .filter((l) => l.includes('"reqId"')).length;
      assert.ok(requestLines >= 50, `the server logged its requests (${requestLines} lines)`);
      assert.ok(secrets.length >= 7, `collected ${secrets.length} secrets`);
      const leaked: string[] = [];
      for (const secret of secrets) {
        // A JWT is caught by its signature too, should a log print only part of it.
        const parts = secret.split('.');
        const needles = parts.length === 3 ? [secret, parts[2]!] : [secret];
        if (needles.some((n) => n.length >= 16 && logs.includes(n))) leaked.push(`${secret.slice(0, 12)}…`);
      }
      assert.deepEqual(leaked, []);
    });
  });
});
