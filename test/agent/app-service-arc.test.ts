/**
 * The App Service style (§1.2: X-IDENTITY-HEADER, api-version 2019-08-01) and the Azure Arc
 * challenge (§1.3: 401 + key file, retry with its content) over real HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { imdsPath, MANAGEMENT, startAgentFixture, type AgentFixture } from './fixture.js';

const SECRET = 'test-identity-header-secret';

function appServicePath(params: Record<string, string>): string {
  return `/msi/token?${new URLSearchParams({ 'api-version': '2019-08-01', resource: MANAGEMENT, ...params }).toString()}`;
}

describe('agent App Service endpoint', () => {
  let fx: AgentFixture;
  const uami = { clientId: '', objectId: '', resourceId: '' };
  before(async () => {
    fx = await startAgentFixture({ identityHeaderSecret: SECRET });
    const identity = fx.upstream.newUserAssigned('web');
    fx.upstream.assign(identity);
    Object.assign(uami, identity);
  });
  after(() => fx.close());

  it('exports the endpoint and secret a process needs', () => {
    const env = fx.agent.env();
    assert.equal(env.AZURE_POD_IDENTITY_AUTHORITY_HOST, fx.base);
    assert.equal(env.IDENTITY_ENDPOINT, `${fx.base}/msi/token`);
    assert.equal(env.IDENTITY_HEADER, SECRET);
  });

  it('issues tokens in the App Service shape, by default and by each selector', async () => {
    const system = await fx.get(appServicePath({}), { 'X-IDENTITY-HEADER': SECRET });
    assert.equal(system.status, 200);
    assert.deepEqual(Object.keys(system.json).sort(), ['access_token', 'client_id', 'expires_on', 'resource', 'token_type']);
    assert.match(system.json.expires_on as string, /^\d{10}$/);
    assert.equal(system.json.client_id, fx.upstream.system.clientId);
    assert.equal(system.json.resource, MANAGEMENT);
    for (const [name, value] of Object.entries({
      client_id: uami.clientId,
      principal_id: uami.objectId,
      object_id: uami.objectId,
      mi_res_id: uami.resourceId,
    })) {
      const res = await fx.get(appServicePath({ [name]: value }), { 'X-IDENTITY-HEADER': SECRET });
      assert.equal(res.status, 200, name);
      const { payload } = await jwtVerify(res.json.access_token as string, createLocalJWKSet(fx.upstream.jwks), { audience: MANAGEMENT });
      assert.equal(payload.oid, uami.objectId, name);
    }
  });

  it('refuses a missing or wrong X-IDENTITY-HEADER, a bad api-version and two selectors', async () => {
    const missing = await fx.get(appServicePath({}), {});
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.json, { error: 'invalid_request', error_description: 'Required X-IDENTITY-HEADER header not specified' });
    const wrong = await fx.get(appServicePath({}), { 'X-IDENTITY-HEADER': `${SECRET}x` });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.error, 'invalid_request');
    const version = await fx.get(appServicePath({ 'api-version': '2017-09-01' }), { 'X-IDENTITY-HEADER': SECRET });
    assert.equal(version.status, 400);
    assert.match(version.json.error_description as string, /api-version '2017-09-01'/);
    const two = await fx.get(appServicePath({ principal_id: uami.objectId, object_id: uami.objectId }), { 'X-IDENTITY-HEADER': SECRET });
    assert.equal(two.status, 400);
    const proxied = await fx.get(appServicePath({}), { 'X-IDENTITY-HEADER': SECRET, 'X-Forwarded-For': '10.1.1.1' });
    assert.equal(proxied.status, 400);
    const unknown = await fx.get(appServicePath({ client_id: '11111111-2222-4333-8444-555555555555' }), { 'X-IDENTITY-HEADER': SECRET });
    assert.deepEqual([unknown.status, unknown.json], [400, { error: 'invalid_request', error_description: 'Identity not found' }]);
  });
});

describe('agent Azure Arc challenge', () => {
  let fx: AgentFixture;
  let keyDir: string;
  const uami = { clientId: '', objectId: '', resourceId: '' };
  const arcPath = (params: Record<string, string> = {}) => imdsPath({ 'api-version': '2020-06-01', resource: MANAGEMENT, ...params });
  before(async () => {
    keyDir = join(await mkdtemp(join(tmpdir(), 'keyless-arc-')), 'tokens');
    fx = await startAgentFixture({ arc: true, arcKeyDir: keyDir });
    const identity = fx.upstream.newUserAssigned('arc-app');
    fx.upstream.assign(identity);
    Object.assign(uami, identity);
  });
  after(async () => {
    await fx.close();
    await rm(join(keyDir, '..'), { recursive: true, force: true });
  });

  async function challenge(params: Record<string, string> = {}): Promise<string> {
    const res = await fx.get(arcPath(params), { Metadata: 'true' });
    assert.equal(res.status, 401);
    assert.equal(res.json.error, 'unauthorized');
    const realm = /^Basic realm=(.+\.key)$/.exec(res.headers['www-authenticate'] as string)?.[1];
    if (!realm) return assert.fail('no Basic realm');
    assert.ok(realm.startsWith(`${keyDir}/`), `realm in ${keyDir}`);
    assert.equal((await stat(realm)).mode & 0o777, 0o600);
    return readFile(realm, 'utf8');
  }

  it('challenges, then issues to the holder of the key file and echoes the identity', async () => {
    const secret = await challenge({ client_id: uami.clientId });
    assert.ok(secret.length >= 32);
    const res = await fx.get(arcPath({ client_id: uami.clientId }), { Metadata: 'true', Authorization: `Basic ${secret}` });
    assert.equal(res.status, 200);
    assert.equal(res.json.client_id, uami.clientId);
    assert.equal(res.json.object_id, uami.objectId);
    assert.equal(res.json.msi_res_id, uami.resourceId);
    const { payload } = await jwtVerify(res.json.access_token as string, createLocalJWKSet(fx.upstream.jwks), { audience: MANAGEMENT });
    assert.equal(payload.oid, uami.objectId);
    // Single use: the same secret does not work twice, and its file is gone.
    const again = await fx.get(arcPath({ client_id: uami.clientId }), { Metadata: 'true', Authorization: `Basic ${secret}` });
    assert.equal(again.status, 401);
  });

  it('refuses a wrong Basic secret without calling the server', async () => {
    await challenge();
    const calls = fx.upstream.calls.length;
    const res = await fx.get(arcPath(), { Metadata: 'true', Authorization: 'Basic not-the-secret' });
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], undefined);
    assert.deepEqual(res.json, { error: 'invalid_client', error_description: 'The Basic secret does not match a live challenge' });
    assert.equal(fx.upstream.calls.length, calls);
  });

  it('still serves plain IMDS api-versions without a challenge, and removes key files on stop', async () => {
    const res = await fx.get(imdsPath({ 'api-version': '2018-02-01', resource: MANAGEMENT }), { Metadata: 'true' });
    assert.equal(res.status, 200);
    assert.ok((await readdir(keyDir)).length > 0);
    await fx.agent.stop();
    assert.deepEqual(await readdir(keyDir), []);
  });

  it('turns Arc off when the key directory cannot be written', async () => {
    const other = await startAgentFixture({ arc: true, arcKeyDir: '/dev/null/tokens' });
    try {
      assert.equal(other.agent.arcEnv(), undefined);
      const res = await other.get(arcPath(), { Metadata: 'true' });
      assert.equal(res.status, 200, 'served as plain IMDS');
    } finally {
      await other.close();
    }
  });
});
