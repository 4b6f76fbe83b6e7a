/**
 * The agent API and the join action, in-process over both storage engines: attestation (join token
 * once, host key bound to the VM), managed-identity tokens with Azure's claims verified against the
 * JWKS, refusals (forged key, unassigned identity, another VM's identity, bad resource, deleted VM),
 * and the identities long-poll noticing a detach well within 1 s.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { ResourceRecord, ServicePrincipal } from '../../src/core/model.js';
import { ENGINES } from '../support/stores.js';
import { BASE_URL, createAgentApiFixture, type AgentApiFixture } from './agent-api-fixture.js';

const TOKEN = '/keyless/agent/v1/token';
const IDENTITIES = '/keyless/agent/v1/identities';

for (const engine of ENGINES) {
  describe(`agent API [${engine}]`, () => {
    let fx: AgentApiFixture;
    let vm: ResourceRecord;
    let system: ServicePrincipal;
    let uami: ServicePrincipal;
    let hostKey: string;
    before(async () => {
      fx = await createAgentApiFixture(engine);
      uami = await fx.createUami('app-id');
      const created = await fx.createVm('vm1', { userAssigned: [uami] });
      vm = created.vm;
      system = created.system!;
      hostKey = await fx.hostKeyFor(vm);
    });
    after(() => fx.close());

    const token = (key: string, body: unknown) =>
      fx.app.inject({ method: 'POST', url: TOKEN, headers: { authorization: `KeylessHost ${key}` }, payload: body as object });
    const verify = (jwt: string, audience: string) =>
      jwtVerify(jwt, createLocalJWKSet(fx.keys.jwks() as never), { audience, issuer: `${BASE_URL}/${fx.tenantId}/` });

    it('the join action needs an ARM token and an existing VM', async () => {
      const anonymous = await fx.app.inject({ method: 'POST', url: `${vm.id}/keylessAgentJoin?api-version=2024-07-01` });
      assert.equal(anonymous.statusCode, 401);
      const missing = await fx.app.inject({ method: 'POST', url: `${vm.id}x/keylessAgentJoin?api-version=2024-07-01`, headers: { authorization: fx.auth } });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'ResourceNotFound');
      assert.match(missing.json().error.message, /virtualMachines\/vm1x/);
    });

    it('a join token works once, also under concurrent exchanges, and is stored only hashed', async () => {
      const joined = await fx.app.inject({ method: 'POST', url: `${vm.id}/keylessAgentJoin?api-version=2024-07-01`, headers: { authorization: fx.auth } });
      assert.equal(joined.statusCode, 200);
      const { joinToken, expiresOn, resourceId } = joined.json();
      assert.match(joinToken, /^kjt\.[\w-]+\.[\w-]{43}$/);
      assert.equal(resourceId, vm.id);
      const ttl = Date.parse(expiresOn) - Date.now();
      assert.ok(ttl > 9 * 60_000 && ttl <= 10 * 60_000, `join token lives 10 min, got ${ttl} ms`);
      const stored = await fx.store.hostCredentials.getJoinToken(joinToken.split('.')[1]);
      assert.ok(stored && !stored.hash.includes(joinToken.split('.')[2]));
      const exchanges = await Promise.all([1, 2, 3].map(() => fx.app.inject({ method: 'POST', url: '/keyless/agent/v1/join', payload: { joinToken } })));
      assert.deepEqual(exchanges.map((r) => r.statusCode).sort(), [200, 401, 401]);
      const refused = exchanges.find((r) => r.statusCode === 401)!;
      assert.equal(refused.json().error.code, 'JoinTokenRefused');
      const replay = await fx.app.inject({ method: 'POST', url: '/keyless/agent/v1/join', payload: { joinToken } });
      assert.equal(replay.statusCode, 401);
    });

    it('issues a system-assigned token with Azure MI claims, verifiable through the JWKS', async () => {
      const response = await token(hostKey, { identity: { kind: 'system' }, resource: 'https://management.azure.com/' });
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json();
      const { payload, protectedHeader } = await verify(body.accessToken, 'https://management.azure.com/');
      assert.equal(protectedHeader.alg, 'RS256');
      assert.equal(payload.oid, system.objectId);
      assert.equal(payload.sub, system.objectId);
      assert.equal(payload.appid, system.appId);
      assert.equal(payload.tid, fx.tenantId);
      assert.equal(payload.idtyp, 'app');
      assert.equal(payload.appidacr, '2');
      assert.equal(payload.ver, '1.0');
      assert.equal(payload.xms_mirid, vm.id.replace('/resourceGroups/', '/resourcegroups/'));
      assert.equal(payload.exp! - payload.nbf! - 300, 86399, 'lifetime ≈ 24 h');
      assert.deepEqual([body.clientId, body.objectId, body.identityResourceId, body.expiresOn], [system.appId, system.objectId, vm.id, payload.exp]);
    });

    it('issues user-assigned tokens by client id, object id and resource id', async () => {
      for (const identity of [
        { kind: 'clientId', value: uami.appId.toUpperCase() },
        { kind: 'objectId', value: uami.objectId },
        { kind: 'resourceId', value: uami.resourceId!.toLowerCase() },
      ]) {
        const response = await token(hostKey, { identity, resource: 'api://my-app' });
        assert.equal(response.statusCode, 200, `${identity.kind}: ${response.body}`);
        const { payload } = await verify(response.json().accessToken, 'api://my-app');
        assert.equal(payload.oid, uami.objectId);
        assert.equal(payload.appid, uami.appId);
        assert.equal(payload.xms_mirid, uami.resourceId!.replace('/resourceGroups/', '/resourcegroups/'));
      }
    });

    it('refuses unassigned identities, identities of another VM, bad resources and bad bodies', async () => {
      const other = await fx.createUami('other');
      const { vm: vm2, system: system2 } = await fx.createVm('vm2', { userAssigned: [other] });
      for (const identity of [
        { kind: 'clientId', value: other.appId },
        { kind: 'objectId', value: system2!.objectId },
        { kind: 'resourceId', value: vm2.id },
        { kind: 'clientId', value: 'not-a-guid' },
      ]) {
        const response = await token(hostKey, { identity, resource: 'https://vault.azure.net' });
        assert.equal(response.statusCode, 404, JSON.stringify(identity));
        assert.deepEqual(response.json(), { error: { code: 'IdentityNotFound', message: 'Identity not found' } });
      }
      for (const resource of ['', 'not a uri', 'vault', 'https://', 'x'.repeat(2000)]) {
        const response = await token(hostKey, { identity: { kind: 'system' }, resource });
        assert.equal(response.statusCode, 400, resource);
        assert.equal(response.json().error.code, 'InvalidResource');
        assert.match(response.json().error.message, /AADSTS500011/);
      }
      const guidAudience = await token(hostKey, { identity: { kind: 'system' }, resource: '00000002-0000-0000-c000-000000000000' });
      assert.equal(guidAudience.statusCode, 200);
      for (const body of [{}, { identity: { kind: 'nope' }, resource: 'api://a' }, { identity: { kind: 'clientId' }, resource: 'api://a' }]) {
        const response = await token(hostKey, body);
        assert.equal(response.statusCode, 400);
        assert.equal(response.json().error.code, 'InvalidRequest');
      }
      const notJson = await fx.app.inject({
        method: 'POST',
        url: TOKEN,
        headers: { authorization: `KeylessHost ${hostKey}`, 'content-type': 'application/json' },
        payload: '{',
      });
      assert.equal(notJson.statusCode, 400);
      assert.equal(notJson.json().error.code, 'InvalidRequest');
    });

    it('refuses missing, malformed and forged host keys', async () => {
      const [, id, secret] = hostKey.split('.');
      const forged = `khk.${id}.${secret!.slice(0, -2)}${secret!.endsWith('AA') ? 'BB' : 'AA'}`;
      for (const authorization of [undefined, 'Bearer x', `KeylessHost ${forged}`, 'KeylessHost khk.x.y', `KeylessHost kjt.${id}.${secret}`]) {
        const response = await fx.app.inject({
          method: 'POST',
          url: TOKEN,
          headers: authorization ? { authorization } : {},
          payload: { identity: { kind: 'system' }, resource: 'api://a' },
        });
        assert.equal(response.statusCode, 401, String(authorization));
        assert.equal(response.json().error.code, 'HostUnauthorized');
        assert.equal(response.headers['www-authenticate'], 'KeylessHost');
        const watch = await fx.app.inject({ method: 'GET', url: `${IDENTITIES}?timeoutMs=0`, headers: authorization ? { authorization } : {} });
        assert.equal(watch.statusCode, 401);
      }
    });

    it('the identities long-poll returns at once when stale and notices a detach within 1 s without a notify', async () => {
      const auth = { authorization: `KeylessHost ${hostKey}` };
      const first = await fx.app.inject({ method: 'GET', url: IDENTITIES, headers: auth });
      assert.equal(first.statusCode, 200);
      const snapshot = first.json();
      assert.deepEqual(snapshot.identities.map((i: { objectId: string }) => i.objectId).sort(), [system.objectId, uami.objectId].sort());
      const idle = performance.now();
      const unchanged = await fx.app.inject({ method: 'GET', url: `${IDENTITIES}?since=${snapshot.version}&timeoutMs=300`, headers: auth });
      assert.equal(unchanged.json().version, snapshot.version);
      assert.ok(performance.now() - idle >= 290, 'held until the timeout');

      const waiting = fx.app.inject({ method: 'GET', url: `${IDENTITIES}?since=${snapshot.version}&timeoutMs=20000`, headers: auth });
      await new Promise((r) => setTimeout(r, 100));
      const detachedAt = performance.now();
      await fx.setIdentity(vm, {
        systemAssigned: true,
        principalId: system.objectId,
        tenantId: fx.tenantId,
        clientId: system.appId,
        userAssignedIdentities: {},
      });
      const changed = await waiting;
      const delay = performance.now() - detachedAt;
      assert.ok(delay < 1000, `detach seen after ${delay.toFixed(0)} ms`);
      assert.notEqual(changed.json().version, snapshot.version);
      assert.deepEqual(
        changed.json().identities.map((i: { objectId: string }) => i.objectId),
        [system.objectId],
      );
      const refused = await token(hostKey, { identity: { kind: 'clientId', value: uami.appId }, resource: 'api://a' });
      assert.equal(refused.statusCode, 404, 'no token for a detached identity');
    });

    it('a deleted VM revokes its host key, ends pending watches, and a re-created namesake needs a new join', async () => {
      const { vm: vm3 } = await fx.createVm('vm3');
      const key3 = await fx.hostKeyFor(vm3);
      const auth = { authorization: `KeylessHost ${key3}` };
      const version = (await fx.app.inject({ method: 'GET', url: IDENTITIES, headers: auth })).json().version;
      const waiting = fx.app.inject({ method: 'GET', url: `${IDENTITIES}?since=${version}&timeoutMs=20000`, headers: auth });
      await new Promise((r) => setTimeout(r, 100));
      // What deleting a VM does: the resource and its system-assigned principal go.
      await fx.store.transaction(async (tx) => {
        await tx.resources.delete(vm3.id);
        await tx.principals.deleteByResourceScope(vm3.id);
      });
      fx.notifier.notify();
      const ended = await waiting;
      assert.equal(ended.statusCode, 401);
      assert.equal(ended.json().error.code, 'HostUnauthorized');
      assert.equal(await fx.store.hostCredentials.getHostKey(key3.split('.')[1]!), undefined, 'host key revoked');
      await new Promise((r) => setTimeout(r, 5));
      await fx.createVm('vm3');
      const again = await token(key3, { identity: { kind: 'system' }, resource: 'api://a' });
      assert.equal(again.statusCode, 401);
    });
  });
}

describe('managed-identity tokens with issuerMode azure', () => {
  let fx: AgentApiFixture;
  before(async () => {
    fx = await createAgentApiFixture('sqlite', { issuerMode: 'azure' });
  });
  after(() => fx.close());

  it('carry https://sts.windows.net/{tid}/ as iss and idp', async () => {
    const { vm } = await fx.createVm('vm-azure');
    const key = await fx.hostKeyFor(vm);
    const response = await fx.app.inject({
      method: 'POST',
      url: TOKEN,
      headers: { authorization: `KeylessHost ${key}` },
      payload: { identity: { kind: 'system' }, resource: 'https://storage.azure.com/' },
    });
    const { payload } = await jwtVerify(response.json().accessToken, createLocalJWKSet(fx.keys.jwks() as never), {
      issuer: `https://sts.windows.net/${fx.tenantId}/`,
      audience: 'https://storage.azure.com/',
    });
    assert.equal(payload.idp, `https://sts.windows.net/${fx.tenantId}/`);
  });
});
