/**
 * The Key Vault data plane driven by `@azure/keyvault-secrets` and `@azure/keyvault-keys` with their
 * default options, on the host-style name `{vault}.vault.keyless.localhost:<port>` (the SDKs need a
 * vault origin of its own): the challenge protocol, secrets with versions and soft delete, keys with
 * RSA/EC creation, import, wrap/unwrap, encrypt/decrypt, sign/verify; RBAC data actions and access
 * policies with Azure's Forbidden bodies; another tenant's vault refused.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { addTestApp, armToken, type TestApp } from '../compat/rbac-fixture.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { ENGINES } from '../support/stores.js';
import { assignRole, putResource, removeRole, ROLES } from './fixture.js';
import { startSdkRunner, type SdkRunner } from './host-style.js';

/** Every row of every table of a PostgreSQL database, as text. */
async function dumpPostgres(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public'");
    let text = '';
    for (const { table_name: table } of tables.rows) {
      const rows = await client.query<{ row: string }>(`select t::text as row from "${table}" t`);
      text += rows.rows.map((r) => r.row).join('\n');
    }
    return text;
  } finally {
    await client.end();
  }
}

// Secrets and keys live (sealed) in Keyless's own store: the whole suite runs on SQLite and on PostgreSQL.
for (const engine of ENGINES)
  describe(`Key Vault data plane with the Azure SDKs (host-style) [${engine}]`, () => {
    let db: TestDatabase | undefined;
    let server: RunningKeyless;
    let adminArm: string;
    let worker: TestApp;
    let vaultId: string;
    let port: string;
    let runner: SdkRunner;
    let policyRunner: SdkRunner;

    before(async () => {
      db = engine === 'postgres' ? await createTestDatabase() : undefined;
      server = await startKeyless({ via: 'node', ...(db ? { databaseUrl: db.url } : {}) });
      const b = server.bootstrap;
      port = new URL(b.armEndpoint).port;
      adminArm = await armToken(
        new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true }),
      );
      worker = await addTestApp(server, 'vault-worker', db?.url);
      const base = { tenantId: b.tenantId, softDeleteRetentionInDays: 7, sku: { family: 'A', name: 'standard' } };
      vaultId = (
        await putResource(
          server,
          { group: 'rg-kv', type: 'Microsoft.KeyVault/vaults', name: 'kvtest1', properties: { ...base, enableRbacAuthorization: true, accessPolicies: [] } },
          db?.url,
        )
      ).id;
      await putResource(
        server,
        {
          group: 'rg-kv',
          type: 'Microsoft.KeyVault/vaults',
          name: 'kvpolicy1',
          properties: {
            ...base,
            enableRbacAuthorization: false,
            accessPolicies: [{ tenantId: b.tenantId, objectId: worker.objectId, permissions: { secrets: ['get', 'list'], keys: [] } }],
          },
        },
        db?.url,
      );
      await putResource(
        server,
        {
          group: 'rg-kv',
          type: 'Microsoft.KeyVault/vaults',
          name: 'kvforeign1',
          properties: { ...base, tenantId: randomUUID(), enableRbacAuthorization: true },
        },
        db?.url,
      );
      const env = {
        RUNNER_CREDENTIAL: 'secret',
        RUNNER_TENANT: b.tenantId,
        RUNNER_CLIENT_ID: worker.clientId,
        RUNNER_SECRET: worker.secret,
        RUNNER_AUTHORITY: b.authorityHost,
      };
      const names = ['kvtest1.vault.keyless.localhost', 'kvpolicy1.vault.keyless.localhost', 'kvforeign1.vault.keyless.localhost'];
      runner = await startSdkRunner(names, { ...env, RUNNER_VAULT_URL: `https://kvtest1.vault.keyless.localhost:${port}` });
      policyRunner = await startSdkRunner(names, { ...env, RUNNER_VAULT_URL: `https://kvpolicy1.vault.keyless.localhost:${port}` });
    });
    after(async () => {
      await runner?.close();
      await policyRunner?.close();
      await server?.dispose();
      await db?.drop();
    });

    it('answers the challenge, then refuses a principal without a data role with ForbiddenByRbac', async () => {
      const r = await fetch(`https://127.0.0.1:${port}/.keyless-dataplane/vault/kvtest1/secrets?api-version=7.5`);
      assert.equal(r.status, 401);
      assert.equal(
        r.headers.get('www-authenticate'),
        `Bearer authorization="${server.bootstrap.authorityHost}/${server.bootstrap.tenantId}", resource="https://vault.keyless.localhost:${port}"`,
      );
      const refused = await runner.call('secrets', 'setSecret', 'db-password', 's3cret');
      assert.equal(refused.ok, false);
      assert.equal(refused.status, 403);
      assert.equal(refused.code, 'Forbidden');
      assert.match(refused.message!, /Caller is not authorized to perform action on resource[\s\S]*Microsoft\.KeyVault\/vaults\/secrets\/setSecret\/action/);
    });

    it('secrets: set, versions, get by name and version, list, delete, recover, purge', async () => {
      const assignment = await assignRole(server, adminArm, vaultId, ROLES.kvSecretsOfficer, worker.objectId);
      const v1 = await runner.call('secrets', 'setSecret', 'db-password', 'first-value-7Qz', { contentType: 'text/plain', tags: { env: 'test' } });
      assert.ok(v1.ok, v1.message);
      const v2 = await runner.call('secrets', 'setSecret', 'db-password', 'second-value-7Qz');
      assert.equal((await runner.call('secrets', 'getSecret', 'db-password')).value.value, 'second-value-7Qz');
      const old = await runner.call('secrets', 'getSecret', 'db-password', { version: v1.value.properties.version });
      assert.equal(old.value.value, 'first-value-7Qz');
      assert.equal(old.value.properties.contentType, 'text/plain');
      assert.equal(old.value.properties.vaultUrl, `https://kvtest1.vault.keyless.localhost:${port}`);
      const versions = await runner.call('secrets', 'listPropertiesOfSecretVersions', 'db-password');
      assert.deepEqual(new Set(versions.value.map((v: { version: string }) => v.version)), new Set([v1.value.properties.version, v2.value.properties.version]));
      await runner.call('secrets', 'setSecret', 'api-key', 'k');
      const listed = await runner.call('secrets', 'listPropertiesOfSecrets');
      assert.deepEqual(listed.value.map((s: { name: string }) => s.name).sort(), ['api-key', 'db-password']);
      const deleted = await runner.call('secrets', 'beginDeleteSecret', 'api-key');
      assert.ok(deleted.ok, deleted.message);
      assert.equal((await runner.call('secrets', 'getSecret', 'api-key')).status, 404);
      const reuse = await runner.call('secrets', 'setSecret', 'api-key', 'again');
      assert.equal(reuse.status, 409);
      assert.ok((await runner.call('secrets', 'beginRecoverDeletedSecret', 'api-key')).ok);
      assert.equal((await runner.call('secrets', 'getSecret', 'api-key')).value.value, 'k');
      assert.ok((await runner.call('secrets', 'beginDeleteSecret', 'api-key')).ok);
      assert.ok((await runner.call('secrets', 'purgeDeletedSecret', 'api-key')).ok);
      assert.equal((await runner.call('secrets', 'getDeletedSecret', 'api-key')).status, 404);
      await removeRole(server, adminArm, assignment);
      assert.equal((await runner.call('secrets', 'getSecret', 'db-password')).status, 403);
      // Sealed at rest: a copy of the database holds neither value (the SQLite file and its WAL, or every
      // row of every PostgreSQL table as text).
      const copy = db
        ? Buffer.from(await dumpPostgres(db.url))
        : Buffer.concat([
            await readFile(join(server.dataDir, 'keyless.db')),
            await readFile(join(server.dataDir, 'keyless.db-wal')).catch(() => Buffer.alloc(0)),
          ]);
      assert.ok(copy.length > 1000, 'the copy holds the data');
      for (const plain of ['first-value-7Qz', 'second-value-7Qz']) assert.ok(!copy.includes(plain), plain);
    });

    it('keys: RSA and EC, import, wrap/unwrap with Crypto Service Encryption User, encrypt/decrypt, sign/verify', async () => {
      const officer = await assignRole(server, adminArm, vaultId, ROLES.kvCryptoOfficer, worker.objectId);
      const rsa = await runner.call('keys', 'createRsaKey', 'disk-key', { keySize: 2048 });
      assert.ok(rsa.ok, rsa.message);
      assert.equal(rsa.value.keyType, 'RSA');
      const ec = await runner.call('keys', 'createEcKey', 'sign-key', { curve: 'P-256' });
      assert.equal(ec.value.key.crv, 'P-256');
      const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
      const imported = await runner.call('keys', 'importKey', 'imported', { ...jwk, keyOps: ['sign', 'verify'] });
      assert.ok(imported.ok, imported.message);
      assert.equal(imported.value.key.d, undefined, 'the private key never leaves the vault');
      const names = (await runner.call('keys', 'listPropertiesOfKeys')).value.map((k: { name: string }) => k.name).sort();
      assert.deepEqual(names, ['disk-key', 'imported', 'sign-key']);
      const kid = rsa.value.id as string;
      const crypto = `crypto:${kid}`;
      const dek = Buffer.from('0123456789abcdef0123456789abcdef');
      const wrapped = await runner.call(crypto, 'wrapKey', 'RSA-OAEP-256', { $bytes: dek.toString('base64') });
      assert.ok(wrapped.ok, wrapped.message);
      const unwrapped = await runner.call(crypto, 'unwrapKey', 'RSA-OAEP-256', { $bytes: Buffer.from(wrapped.value.result, 'base64url').toString('base64') });
      assert.equal(Buffer.from(unwrapped.value.result, 'base64url').toString(), dek.toString());
      const encrypted = await runner.call(crypto, 'encrypt', { algorithm: 'RSA-OAEP', plaintext: { $bytes: Buffer.from('hello').toString('base64') } });
      const decrypted = await runner.call(crypto, 'decrypt', {
        algorithm: 'RSA-OAEP',
        ciphertext: { $bytes: Buffer.from(encrypted.value.result, 'base64url').toString('base64') },
      });
      assert.equal(Buffer.from(decrypted.value.result, 'base64url').toString(), 'hello');
      // RS256 through signData/verifyData (the SDK verifies locally with the public key).
      const signed = await runner.call(crypto, 'signData', 'RS256', { $bytes: Buffer.from('message').toString('base64') });
      assert.ok(signed.ok, signed.message);
      const verified = await runner.call(
        crypto,
        'verifyData',
        'RS256',
        { $bytes: Buffer.from('message').toString('base64') },
        { $bytes: Buffer.from(signed.value.result, 'base64url').toString('base64') },
      );
      assert.equal(verified.value.result, true);
      const forged = await runner.call(
        crypto,
        'verifyData',
        'RS256',
        { $bytes: Buffer.from('other').toString('base64') },
        { $bytes: Buffer.from(signed.value.result, 'base64url').toString('base64') },
      );
      assert.equal(forged.value.result, false);
      // PS256 over a digest, verified by the vault (keyvault-keys' local verifyData checks PS* with
      // PKCS#1 v1.5 padding — rsaCryptographyProvider `createVerify` — so it cannot verify PSS locally).
      const digest = createHash('sha256').update('message').digest();
      const pss = await runner.call(crypto, 'sign', 'PS256', { $bytes: digest.toString('base64') });
      assert.ok(pss.ok, pss.message);
      const pssOk = await runner.call(
        crypto,
        'verify',
        'PS256',
        { $bytes: digest.toString('base64') },
        { $bytes: Buffer.from(pss.value.result, 'base64url').toString('base64') },
      );
      assert.ok(pssOk.ok, pssOk.message);
      assert.equal(pssOk.value.result, true);
      const otherDigest = createHash('sha256').update('other').digest();
      const pssBad = await runner.call(
        crypto,
        'verify',
        'PS256',
        { $bytes: otherDigest.toString('base64') },
        { $bytes: Buffer.from(pss.value.result, 'base64url').toString('base64') },
      );
      assert.equal(pssBad.value.result, false);
      await removeRole(server, adminArm, officer);
      // Crypto Service Encryption User: read, wrap and unwrap only.
      const seu = await assignRole(server, adminArm, `${vaultId}/keys/disk-key`, ROLES.kvCryptoServiceEncryptionUser, worker.objectId);
      const again = await runner.call(crypto, 'unwrapKey', 'RSA-OAEP-256', { $bytes: Buffer.from(wrapped.value.result, 'base64url').toString('base64') });
      assert.ok(again.ok, again.message);
      const refused = await runner.call(crypto, 'decrypt', {
        algorithm: 'RSA-OAEP',
        ciphertext: { $bytes: Buffer.from(encrypted.value.result, 'base64url').toString('base64') },
      });
      assert.equal(refused.status, 403);
      assert.equal((await runner.call('keys', 'createRsaKey', 'other')).status, 403);
      await removeRole(server, adminArm, seu);
    });

    it('access-policy vaults: what the policy lists is allowed, the rest is ForbiddenByPolicy', async () => {
      // The vault's policy gives the worker secrets get/list only; the admin's Owner role does not count on a policy vault.
      const set = await policyRunner.call('secrets', 'setSecret', 'x', 'y');
      assert.equal(set.status, 403);
      assert.match(set.message!, /does not have secrets set permission on key vault 'kvpolicy1;location=westeurope'/);
      const list = await policyRunner.call('secrets', 'listPropertiesOfSecrets');
      assert.ok(list.ok, list.message);
      assert.deepEqual(list.value, []);
    });

    it('refuses a vault of another tenant (401), bad names and bad bodies (400), writing nothing', async () => {
      const foreign = await startSdkRunner(['kvforeign1.vault.keyless.localhost', 'vault.keyless.localhost'], {
        RUNNER_CREDENTIAL: 'secret',
        RUNNER_TENANT: server.bootstrap.tenantId,
        RUNNER_CLIENT_ID: worker.clientId,
        RUNNER_SECRET: worker.secret,
        RUNNER_AUTHORITY: server.bootstrap.authorityHost,
        RUNNER_VAULT_URL: `https://kvforeign1.vault.keyless.localhost:${port}`,
      });
      try {
        // The challenge names the foreign tenant: this tenant's app gets no token for it.
        const r = await foreign.call('secrets', 'getSecret', 'x');
        assert.equal(r.ok, false);
      } finally {
        await foreign.close();
      }
      // A token of this tenant presented to the foreign vault anyway: 401 AKV10032.
      const token = (await worker.credential.getToken(`https://vault.keyless.localhost:${port}/.default`))!.token;
      const direct = await fetch(`https://127.0.0.1:${port}/.keyless-dataplane/vault/kvforeign1/secrets/x?api-version=7.5`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(direct.status, 401);
      assert.match(((await direct.json()) as { error: { message: string } }).error.message, /AKV10032/);
      const assignment = await assignRole(server, adminArm, vaultId, ROLES.kvAdministrator, worker.objectId);
      assert.equal((await runner.call('secrets', 'setSecret', 'bad_name', 'v')).status, 400);
      assert.equal((await runner.call('secrets', 'setSecret', 'big', 'x'.repeat(30 * 1024))).status, 400);
      assert.equal((await runner.call('keys', 'createKey', 'weird', 'oct')).status, 400);
      const names = (await runner.call('secrets', 'listPropertiesOfSecrets')).value.map((s: { name: string }) => s.name);
      assert.ok(!names.includes('big') && !names.includes('bad_name'));
      await removeRole(server, adminArm, assignment);
    });
  });
