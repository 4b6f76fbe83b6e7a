/**
 * The Blob and Data Lake data plane driven by `@azure/storage-blob` and `@azure/storage-file-datalake`
 * unmodified, path-style on the server's own origin: bearer tokens with RBAC data actions (refusals
 * as Azure), Shared Key with the account keys, block lists, ranges, listings, Data Lake paths, and
 * bad input refused with nothing written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { BlobServiceClient, StorageSharedKeyCredential, RestError } from '@azure/storage-blob';
import { DataLakeServiceClient } from '@azure/storage-file-datalake';
import { startKeyless, type RunningKeyless } from '../support/keyless.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { ENGINES } from '../support/stores.js';
import { addTestApp, armToken, type TestApp } from '../compat/rbac-fixture.js';
import { assignRole, putStorageAccount, removeRole, ROLES } from './fixture.js';

/** The refusal a client call ends in. Downloads are streamed, so their code comes from `x-ms-error-code`. */
async function refusal(p: Promise<unknown>): Promise<{ statusCode: number | undefined; code: string | undefined }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RestError)
      return {
        statusCode: e.statusCode,
        code: e.code ?? (e.details as { errorCode?: string } | undefined)?.errorCode ?? e.response?.headers.get('x-ms-error-code'),
      };
    throw e;
  }
  assert.fail('expected a refusal');
}

// Blob contents live in Keyless's own store: the whole suite runs on SQLite and on PostgreSQL.
for (const engine of ENGINES)
  describe(`Blob and Data Lake data plane with the Azure SDKs (path-style) [${engine}]`, () => {
    let db: TestDatabase | undefined;
    let server: RunningKeyless;
    let admin: ClientSecretCredential;
    let adminArm: string;
    let account: { id: string; keys: string[] };
    let url: string;
    let worker: TestApp;

    before(async () => {
      db = engine === 'postgres' ? await createTestDatabase() : undefined;
      server = await startKeyless({ via: 'node', ...(db ? { databaseUrl: db.url } : {}) });
      const b = server.bootstrap;
      admin = new ClientSecretCredential(b.tenantId, b.clientId, b.clientSecret, { authorityHost: b.authorityHost, disableInstanceDiscovery: true });
      adminArm = await armToken(admin);
      account = await putStorageAccount(server, 'rg-data', 'keylessdata1', {}, db?.url);
      url = `${b.armEndpoint}/keylessdata1`;
      worker = await addTestApp(server, 'blob-worker', db?.url);
    });
    after(async () => {
      await server?.dispose();
      await db?.drop();
    });

    it('an Owner without data roles creates containers but may not touch blobs (AuthorizationPermissionMismatch)', async () => {
      const client = new BlobServiceClient(url, admin);
      const container = client.getContainerClient('owner-only');
      await container.create();
      const refused = await refusal(container.getBlockBlobClient('a.txt').upload('hello', 5));
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.code, 'AuthorizationPermissionMismatch');
      assert.equal(
        await container
          .getBlockBlobClient('a.txt')
          .exists()
          .catch((e: RestError) => e.statusCode),
        403,
      );
    });

    it('a principal with no role is refused; Storage Blob Data Contributor at the account lets it work; removal stops it at once', async () => {
      const client = new BlobServiceClient(url, worker.credential);
      const container = client.getContainerClient('work');
      assert.equal((await refusal(container.create())).code, 'AuthorizationPermissionMismatch');
      const assignment = await assignRole(server, adminArm, account.id, ROLES.blobContributor, worker.objectId);
      await container.create({ metadata: { team: 'data' } });
      const blob = container.getBlockBlobClient('dir/hello.txt');
      await blob.upload('hello, world', 12, { blobHTTPHeaders: { blobContentType: 'text/plain' }, metadata: { k: 'v' } });
      const props = await blob.getProperties();
      assert.equal(props.contentLength, 12);
      assert.equal(props.contentType, 'text/plain');
      assert.deepEqual(props.metadata, { k: 'v' });
      assert.equal((await blob.downloadToBuffer()).toString(), 'hello, world');
      const ranged = await blob.download(7, 5);
      assert.equal(ranged.contentRange, 'bytes 7-11/12');
      assert.equal(await streamText(ranged.readableStreamBody!), 'world');
      await removeRole(server, adminArm, assignment);
      assert.equal((await refusal(blob.downloadToBuffer())).code, 'AuthorizationPermissionMismatch');
    });

    it('uploads through a block list, lists with prefix, delimiter and paging, deletes', async () => {
      const assignment = await assignRole(server, adminArm, account.id, ROLES.blobOwner, worker.objectId);
      const container = new BlobServiceClient(url, worker.credential).getContainerClient('listing');
      await container.create();
      const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
      big.write('start', 0);
      const blob = container.getBlockBlobClient('big.bin');
      // Forces staged blocks and Put Block List.
      await blob.uploadData(big, { maxSingleShotSize: 1024 * 1024, blockSize: 1024 * 1024 });
      const blocks = await blob.getBlockList('committed');
      assert.equal(blocks.committedBlocks?.length, 4);
      assert.ok((await blob.downloadToBuffer()).equals(big));
      for (let i = 0; i < 7; i++) await container.getBlockBlobClient(`logs/2024/${i}.log`).upload(`line ${i}`, 6);
      await container.getBlockBlobClient('logs/readme').upload('r', 1);
      const names: string[] = [];
      for await (const page of container.listBlobsFlat({ prefix: 'logs/2024/' }).byPage({ maxPageSize: 3 })) {
        assert.ok(page.segment.blobItems.length <= 3);
        names.push(...page.segment.blobItems.map((b) => b.name));
      }
      assert.deepEqual(
        names,
        [0, 1, 2, 3, 4, 5, 6].map((i) => `logs/2024/${i}.log`),
      );
      const tree: string[] = [];
      for await (const item of container.listBlobsByHierarchy('/', { prefix: 'logs/' }))
        tree.push(item.kind === 'prefix' ? `${item.name} (prefix)` : item.name);
      assert.deepEqual(tree, ['logs/2024/ (prefix)', 'logs/readme']);
      await container.getBlockBlobClient('logs/readme').delete();
      assert.equal(await container.getBlockBlobClient('logs/readme').exists(), false);
      const containers: string[] = [];
      for await (const c of new BlobServiceClient(url, worker.credential).listContainers()) containers.push(c.name);
      assert.deepEqual(containers, ['listing', 'owner-only', 'work']);
      await removeRole(server, adminArm, assignment);
    });

    it('Data Lake: file systems, directories, append + flush, read, list paths', async () => {
      const assignment = await assignRole(server, adminArm, account.id, ROLES.blobOwner, worker.objectId);
      const lake = new DataLakeServiceClient(url, worker.credential);
      const fs = lake.getFileSystemClient('lake');
      await fs.create();
      await fs.getDirectoryClient('raw/2024').create();
      const file = fs.getFileClient('raw/2024/events.json');
      await file.create();
      await file.append('{"a":1}\n', 0, 8);
      await file.append('{"a":2}\n', 8, 8);
      await file.flush(16);
      assert.equal((await file.readToBuffer()).toString(), '{"a":1}\n{"a":2}\n');
      await fs.getFileClient('raw/top.txt').upload(Buffer.from('top'));
      const paths: string[] = [];
      for await (const p of fs.listPaths({ path: 'raw', recursive: true })) paths.push(`${p.name ?? ''}${p.isDirectory ? '/' : ''}`);
      assert.deepEqual(paths, ['raw/2024/', 'raw/2024/events.json', 'raw/top.txt']);
      const shallow: string[] = [];
      for await (const p of fs.listPaths({ path: 'raw', recursive: false })) shallow.push(p.name ?? '');
      assert.deepEqual(shallow, ['raw/2024', 'raw/top.txt']);
      // A flush at the wrong position is refused and changes nothing.
      await file.append('xx', 16, 2);
      const bad = await refusal(file.flush(99));
      assert.equal(bad.statusCode, 400);
      assert.equal((await file.readToBuffer()).length, 16);
      await removeRole(server, adminArm, assignment);
    });

    it('Shared Key with the account key works; a wrong key is AuthenticationFailed', async () => {
      const good = new BlobServiceClient(url, new StorageSharedKeyCredential('keylessdata1', account.keys[0]!));
      const container = good.getContainerClient('shared-key');
      await container.create();
      await container.getBlockBlobClient('k.txt').upload('key', 3);
      assert.equal((await container.getBlockBlobClient('k.txt').downloadToBuffer()).toString(), 'key');
      const wrong = new BlobServiceClient(url, new StorageSharedKeyCredential('keylessdata1', Buffer.alloc(64, 1).toString('base64')));
      const refused = await refusal(wrong.getContainerClient('shared-key').getBlockBlobClient('k.txt').downloadToBuffer());
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.code, 'AuthenticationFailed');
    });

    it('refuses Shared Key when the account disallows it, and bad names, with nothing written', async () => {
      const locked = await putStorageAccount(server, 'rg-data', 'keylesslocked', { allowSharedKeyAccess: false }, db?.url);
      const client = new BlobServiceClient(`${server.bootstrap.armEndpoint}/keylesslocked`, new StorageSharedKeyCredential('keylesslocked', locked.keys[0]!));
      const refused = await refusal(client.getContainerClient('nope').create());
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.code, 'KeyBasedAuthenticationNotPermitted');
      const keyed = new BlobServiceClient(url, new StorageSharedKeyCredential('keylessdata1', account.keys[1]!));
      for (const name of ['UPPER', 'a', 'double--hyphen', '-start']) {
        const e = await refusal(keyed.getContainerClient(name).create());
        assert.equal(e.statusCode, 400, name);
      }
      const names: string[] = [];
      for await (const c of keyed.listContainers()) names.push(c.name);
      assert.ok(!names.some((n) => ['UPPER', 'a', 'double--hyphen', '-start'].includes(n)));
    });

    it('answers 401 with the challenge without a token, and for a token of another audience', async () => {
      const anonymous = await fetch(`${url}/work?restype=container`);
      assert.equal(anonymous.status, 401);
      assert.match(
        anonymous.headers.get('www-authenticate') ?? '',
        /^Bearer authorization_uri=https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\/oauth2\/authorize resource_id=https:\/\/storage\.azure\.com$/,
      );
      assert.equal(anonymous.headers.get('x-ms-error-code'), 'NoAuthenticationInformation');
      assert.match(await anonymous.text(), /<Code>NoAuthenticationInformation<\/Code>/);
      const wrongAudience = await fetch(`${url}/work?restype=container`, { headers: { authorization: `Bearer ${adminArm}`, 'x-ms-version': '2025-01-05' } });
      assert.equal(wrongAudience.status, 401);
      assert.equal(wrongAudience.headers.get('x-ms-error-code'), 'InvalidAuthenticationInfo');
      assert.match(await wrongAudience.text(), /<AuthenticationErrorDetail>.*audience/);
    });
  });

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString();
}
