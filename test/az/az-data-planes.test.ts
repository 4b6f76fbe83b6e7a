/**
 * The real Azure CLI (Debian's azure-cli 2.45) against Keyless's Storage and Key Vault, one server for
 * the file: `az storage account create`, containers and blobs with `--auth-mode login`, `az keyvault
 * create --enable-rbac-authorization`, then a secret and a key — each after the data role was granted
 * with `az role assignment create` (the az-compat shim) — and Azure's refusals before the grant (blob)
 * and after its removal (secret). Debian's az cannot run `az keyvault secret|key` at all (a packaging
 * defect, below), so those operations go through `az rest` with az's token for the vault.
 *
 * az builds `https://{account}.blob.<suffix>` and `https://{vault}.vault.<suffix>` from the cloud's
 * `storage` / `keyVaultDns` suffixes (az-cloud.json), so every az call runs under `unshare --mount`
 * with a private /etc/hosts bind-mounted that maps those names to 127.0.0.1 (as the SDK tests do,
 * test/dataplanes/host-style.ts), and REQUESTS_CA_BUNDLE names the data dir's CA (helpers.ts).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { azSession, azUnavailable, ok, type AzResult, type AzSession } from './helpers.js';

/** Why az cannot run on host-style names here (no az, or no private mount namespace), or undefined. */
function unavailable(): string | undefined {
  const az = azUnavailable();
  if (az) return az;
  const probe = spawnSync('unshare', ['--mount', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return `unshare --mount is not available here (needs root or CAP_SYS_ADMIN): ${(probe.stderr || probe.error?.message || '').trim()}`;
  return undefined;
}
const skip = unavailable();

const ACCOUNT = 'kldatacli1';
const CONTAINER = 'config';
const VAULT = 'kl-cli-vault1';
const GROUP = 'rg-data-cli';

describe('the real az against Keyless Storage and Key Vault (host-style names)', { skip, timeout: 240_000 }, () => {
  let server: RunningKeyless;
  let session: AzSession;
  let hosts: string;
  let work: string;
  let objectId: string;
  let suffix: string;

  /** `az <args>` in a private mount namespace whose /etc/hosts maps the data planes' names to 127.0.0.1. */
  const az = (args: string[]) =>
    new Promise<AzResult>((done) => {
      const script = `mount --bind '${hosts}' /etc/hosts && exec az "$@"`;
      execFile(
        'unshare',
        ['--mount', 'sh', '-c', script, 'az', ...args],
        { env: session.env, cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 90_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
          let json: any;
          try {
            json = stdout.trim() ? JSON.parse(stdout) : undefined;
          } catch {
            json = undefined;
          }
          done({ code, stdout, stderr, json });
        },
      );
    });

  before(async () => {
    server = await startKeyless({ via: 'node' });
    session = await azSession(server);
    const port = new URL(server.bootstrap.armEndpoint).port;
    suffix = `keyless.localhost:${port}`;
    work = await mkdtemp(join(tmpdir(), 'keyless-az-data-'));
    hosts = join(work, 'hosts');
    await writeFile(
      hosts,
      `127.0.0.1 localhost\n::1 localhost\n127.0.0.1 ${ACCOUNT}.blob.keyless.localhost ${ACCOUNT}.dfs.keyless.localhost ${VAULT}.vault.keyless.localhost\n`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/keyless.js'), 'az-setup', '--data-dir', server.dataDir]);
    ok(await session.sh(stdout), 'az-setup lines');
    ok(await az(['group', 'create', '-n', GROUP, '-l', 'westus2', '-o', 'json']), 'group create');
    const token = ok(await az(['account', 'get-access-token', '-o', 'json']), 'get-access-token').json;
    objectId = JSON.parse(Buffer.from(token.accessToken.split('.')[1], 'base64url').toString()).oid;
  });
  after(async () => {
    await server?.dispose();
  });

  const grant = async (role: string, scope: string) =>
    ok(
      await az([
        'role',
        'assignment',
        'create',
        '--assignee-object-id',
        objectId,
        '--assignee-principal-type',
        'ServicePrincipal',
        '--role',
        role,
        '--scope',
        scope,
        '-o',
        'json',
      ]),
      `grant ${role}`,
    ).json;

  let accountId = '';

  it('az storage account create: endpoints on Keyless', async () => {
    const account = ok(
      await az(['storage', 'account', 'create', '-n', ACCOUNT, '-g', GROUP, '-l', 'westus2', '--sku', 'Standard_LRS', '-o', 'json']),
      'storage account create',
    ).json;
    assert.equal(account.name, ACCOUNT);
    assert.equal(account.provisioningState, 'Succeeded');
    assert.equal(account.primaryEndpoints.blob, `https://${ACCOUNT}.blob.${suffix}/`);
    assert.equal(account.primaryEndpoints.dfs, `https://${ACCOUNT}.dfs.${suffix}/`);
    accountId = account.id;
  });

  it('an Owner without a data role is refused a blob list (AuthorizationPermissionMismatch)', async () => {
    const refused = await az(['storage', 'blob', 'list', '--account-name', ACCOUNT, '-c', CONTAINER, '--auth-mode', 'login', '-o', 'json']);
    assert.notEqual(refused.code, 0);
    // az 2.45 replaces the service's message with its role hint exactly when the 403 carries Azure's
    // `AuthorizationPermissionMismatch` (azure/cli/command_modules/storage/__init__.py,
    // get_handler_suppress_some_400), so the hint is the proof the code was on the wire.
    assert.match(refused.stderr, /You do not have the required permissions needed to perform this operation/);
    assert.match(refused.stderr, /"Storage Blob Data Contributor"/);
  });

  it('after Storage Blob Data Contributor: container create, blob upload, list, download', async () => {
    const assignment = await grant('Storage Blob Data Contributor', accountId);
    assert.equal(assignment.scope, accountId);
    const created = ok(
      await az(['storage', 'container', 'create', '--account-name', ACCOUNT, '-n', CONTAINER, '--auth-mode', 'login', '-o', 'json']),
      'container create',
    ).json;
    assert.deepEqual(created, { created: true });
    const content = `{"setting": "${randomBytes(8).toString('hex')}"}\n`;
    const file = join(work, 'app.json');
    await writeFile(file, content);
    ok(
      await az(['storage', 'blob', 'upload', '--account-name', ACCOUNT, '-c', CONTAINER, '-n', 'app.json', '-f', file, '--auth-mode', 'login', '-o', 'json']),
      'blob upload',
    );
    const listed = ok(
      await az(['storage', 'blob', 'list', '--account-name', ACCOUNT, '-c', CONTAINER, '--auth-mode', 'login', '-o', 'json']),
      'blob list',
    ).json;
    assert.deepEqual(
      listed.map((b: any) => b.name),
      ['app.json'],
    );
    assert.equal(listed[0].properties.contentLength, Buffer.byteLength(content));
    const out = join(work, 'downloaded.json');
    ok(
      await az(['storage', 'blob', 'download', '--account-name', ACCOUNT, '-c', CONTAINER, '-n', 'app.json', '-f', out, '--auth-mode', 'login', '-o', 'none']),
      'blob download',
    );
    assert.equal(await readFile(out, 'utf8'), content);
  });

  let vaultId = '';
  let secretsAssignment = '';

  it('az keyvault create --enable-rbac-authorization: vaultUri on Keyless', async () => {
    const vault = ok(
      await az(['keyvault', 'create', '-n', VAULT, '-g', GROUP, '-l', 'westus2', '--enable-rbac-authorization', '-o', 'json']),
      'keyvault create',
    ).json;
    assert.equal(vault.name, VAULT);
    assert.equal(vault.properties.enableRbacAuthorization, true);
    assert.equal(vault.properties.tenantId, server.bootstrap.tenantId);
    assert.equal(vault.properties.vaultUri, `https://${VAULT}.vault.${suffix}/`);
    vaultId = vault.id;
  });

  // `az keyvault secret set|show|list` cannot run on Debian's az 2.45: its secret commands load the
  // track-1 `azure-keyvault` 1.x SDK (`azure.keyvault.KeyVaultClient`, `azure.keyvault.v7_0`), which
  // Debian 12 does not package, so they die with `ModuleNotFoundError: No module named
  // 'azure.keyvault.v7_0'` before any request is sent — against Azure too (`az keyvault key` uses the
  // packaged track-2 `azure-keyvault-keys` and runs). The same secret operations go through `az rest`
  // with az's own token for the vault audience (`--resource https://vault.azure.net`).
  const vaultUrl = (path: string) => `https://${VAULT}.vault.${suffix}${path}`;
  const vaultRest = (method: string, path: string, body?: unknown) =>
    az([
      'rest',
      '--method',
      method,
      '--url',
      vaultUrl(path),
      '--resource',
      'https://vault.azure.net',
      ...(body === undefined ? [] : ['--body', JSON.stringify(body)]),
      '-o',
      'json',
    ]);

  it('after Key Vault Secrets Officer: secret set, show, list (az rest: Debian lacks the secret SDK)', async () => {
    secretsAssignment = (await grant('Key Vault Secrets Officer', vaultId)).id;
    const set = ok(await vaultRest('put', '/secrets/s1?api-version=7.4', { value: 'v1' }), 'secret set').json;
    assert.equal(set.value, 'v1', JSON.stringify(set));
    assert.match(set.id, new RegExp(`^https://${VAULT}\\.vault\\.${suffix.replace('.', '\\.')}/secrets/s1/[0-9a-f]{32}$`));
    const shown = ok(await vaultRest('get', '/secrets/s1?api-version=7.4'), 'secret show').json;
    assert.equal(shown.value, 'v1');
    assert.equal(shown.id, set.id);
    const listed = ok(await vaultRest('get', '/secrets?api-version=7.4'), 'secret list').json;
    assert.deepEqual(
      listed.value.map((s: any) => s.id),
      [vaultUrl('/secrets/s1')],
    );
    assert.equal(listed.value[0].value, undefined, 'list does not return values');
  });

  it('after Key Vault Crypto Officer: key create --kty RSA (az rest: same Debian defect)', async () => {
    // `az keyvault key create` dies the same way on Debian's az 2.45 (its argument loader imports
    // `azure.keyvault.v7_0` for the help text), so the key is created with `az rest` (Create Key, 7.4).
    await grant('Key Vault Crypto Officer', vaultId);
    const key = ok(await vaultRest('post', '/keys/k1/create?api-version=7.4', { kty: 'RSA' }), 'key create').json;
    assert.equal(key?.key?.kty, 'RSA', JSON.stringify(key));
    assert.match(key.key.kid, new RegExp(`^https://${VAULT}\\.vault\\.`));
    assert.ok(Buffer.from(key.key.n, 'base64url').length >= 256, 'a 2048-bit modulus at least');
    assert.equal(key.key.d, undefined, 'no private part');
  });

  it('without a Key Vault role (assignment removed) a secret read is Forbidden', async () => {
    ok(await az(['role', 'assignment', 'delete', '--ids', secretsAssignment]), 'remove secrets role');
    const refused = await vaultRest('get', '/secrets/s1?api-version=7.4');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Forbidden/);
    assert.match(refused.stderr, /Caller is not authorized to perform action on resource/);
    assert.doesNotMatch(refused.stdout + refused.stderr, /\bv1\b/);
  });
});
