/**
 * Workload identity federation with the real `az` (Debian's 2.45) against `keyless serve`:
 * `az identity federated-credential create|show|list|delete` (api-version 2022-01-31-preview), and
 * `az login --service-principal -u <client id> --federated-token <jwt> --tenant <tenant>` with a
 * token of a test OIDC issuer over HTTPS — for a user-assigned identity and for an app registration
 * whose federated credential was made with `az ad app federated-credential create`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { azSession, azUnavailable, ok, type AzSession } from './helpers.js';

const skip = azUnavailable();
const SUBJECT = 'repo:contoso/app:ref:refs/heads/main';

describe('workload identity with the real az', { skip, timeout: 600_000 }, () => {
  let server: RunningKeyless;
  let issuer: TestIssuer;
  let admin: AzSession;
  let setupLines: string;
  let identity: { clientId: string; principalId: string; id: string };

  before(async () => {
    issuer = await startTestIssuer({ path: '/github-like', subject: SUBJECT });
    server = await startKeyless({ via: 'node' });
    admin = await azSession(server);
    setupLines = (await promisify(execFile)(process.execPath, [join(ROOT, 'bin/keyless.js'), 'az-setup', '--data-dir', server.dataDir])).stdout;
    ok(await admin.sh(`${setupLines}\naz group create -n wi -l westus2 -o none`), 'admin login');
    identity = ok(await admin.az(['identity', 'create', '-n', 'deployer', '-g', 'wi', '-o', 'json']), 'identity create').json;
  });
  after(async () => {
    await server?.dispose();
    await issuer?.close();
  });

  it('az identity federated-credential create|show|list|delete', async () => {
    const created = ok(
      await admin.az([
        'identity',
        'federated-credential',
        'create',
        '-n',
        'github-main',
        '--identity-name',
        'deployer',
        '-g',
        'wi',
        '--issuer',
        issuer.issuer,
        '--subject',
        SUBJECT,
        '-o',
        'json',
      ]),
      'fic create',
    ).json;
    assert.deepEqual(created.audiences, ['api://AzureADTokenExchange'], "az's default audience");
    assert.equal(created.issuer, issuer.issuer);
    assert.equal(created.subject, SUBJECT);
    assert.equal(created.name, 'github-main');
    assert.equal(created.resourceGroup, 'wi');
    assert.equal(created.type, 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials');
    const shown = ok(
      await admin.az(['identity', 'federated-credential', 'show', '-n', 'github-main', '--identity-name', 'deployer', '-g', 'wi', '-o', 'json']),
      'fic show',
    ).json;
    assert.deepEqual(shown, created);
    ok(
      await admin.az([
        'identity',
        'federated-credential',
        'create',
        '-n',
        'second',
        '--identity-name',
        'deployer',
        '-g',
        'wi',
        '--issuer',
        issuer.issuer,
        '--subject',
        'repo:contoso/app:environment:prod',
        '--audiences',
        'api://AzureADTokenExchange',
        '-o',
        'none',
      ]),
      'second',
    );
    const listed = ok(
      await admin.az(['identity', 'federated-credential', 'list', '--identity-name', 'deployer', '-g', 'wi', '--query', '[].name', '-o', 'json']),
      'fic list',
    ).json;
    assert.deepEqual(listed.sort(), ['github-main', 'second']);
    // Azure's refusals reach the user as az prints them.
    const http = await admin.az([
      'identity',
      'federated-credential',
      'create',
      '-n',
      'plain',
      '--identity-name',
      'deployer',
      '-g',
      'wi',
      '--issuer',
      'http://insecure.example/',
      '--subject',
      's',
    ]);
    assert.equal(http.code, 1);
    assert.match(http.stderr, /BadRequest.*https/s);
    assert.doesNotMatch(http.stderr, /Traceback/);
    const dup = await admin.az([
      'identity',
      'federated-credential',
      'create',
      '-n',
      'dup',
      '--identity-name',
      'deployer',
      '-g',
      'wi',
      '--issuer',
      issuer.issuer,
      '--subject',
      SUBJECT,
    ]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /Issuer and subject combination already exists/);
    ok(await admin.az(['identity', 'federated-credential', 'delete', '-n', 'second', '--identity-name', 'deployer', '-g', 'wi', '--yes']), 'fic delete');
    assert.deepEqual(
      ok(await admin.az(['identity', 'federated-credential', 'list', '--identity-name', 'deployer', '-g', 'wi', '--query', '[].name', '-o', 'json']), 'list')
        .json,
      ['github-main'],
    );
  });

  it('az login --federated-token as the user-assigned identity, then acting as it (limited by its roles)', async () => {
    const jwt = await issuer.sign({});
    const ci = await azSession(server);
    const lines = setupLines.replace(
      /^az login .*$/m,
      `az login --service-principal -u ${identity.clientId} --federated-token ${jwt} --tenant ${server.bootstrap.tenantId} --allow-no-subscriptions -o none`,
    );
    ok(await ci.sh(lines), 'federated login');
    const account = ok(await ci.az(['account', 'show', '-o', 'json']), 'account show').json;
    assert.equal(account.user.name, identity.clientId);
    assert.equal(account.user.type, 'servicePrincipal');
    const token = ok(await ci.az(['account', 'get-access-token', '-o', 'json']), 'get-access-token').json;
    const claims = JSON.parse(Buffer.from(token.accessToken.split('.')[1], 'base64url').toString());
    assert.equal(claims.oid, identity.principalId);
    assert.equal(claims.xms_mirid.toLowerCase(), identity.id.toLowerCase());
    // No role yet (so az lists no subscription): ARM accepts az's token and refuses the identity by its object id.
    const url = `${server.bootstrap.armEndpoint}/subscriptions/${server.bootstrap.subscriptionId}/resourcegroups/wi?api-version=2021-04-01`;
    const denied = await fetch(url, { headers: { authorization: `Bearer ${token.accessToken}` } });
    assert.equal(denied.status, 403);
    const error = ((await denied.json()) as any).error;
    assert.equal(error.code, 'AuthorizationFailed');
    assert.match(error.message, new RegExp(identity.principalId));
  });

  it("az login --federated-token with a token the credential does not trust fails with Entra's code", async () => {
    const wrong = await issuer.sign({ sub: 'repo:contoso/app:pull_request' });
    const ci = await azSession(server);
    const lines = setupLines.replace(
      /^az login .*$/m,
      `az login --service-principal -u ${identity.clientId} --federated-token ${wrong} --tenant ${server.bootstrap.tenantId} --allow-no-subscriptions -o none`,
    );
    const failed = await ci.sh(lines);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /AADSTS700213/);
  });

  it('az aks create|update --enable-oidc-issuer, az aks show --query oidcIssuerProfile.issuerUrl, az aks oidc-issuer rotate-signing-keys', async () => {
    const home = await mkdtemp(join(tmpdir(), 'keyless-wi-home-'));
    const created = ok(
      await admin.sh('az aks create -g wi -n wiaks --enable-managed-identity --enable-oidc-issuer --generate-ssh-keys --node-count 1 -o json', { HOME: home }),
      'aks create',
    ).json;
    const b = server.bootstrap;
    assert.match(
      created.oidcIssuerProfile.issuerUrl,
      new RegExp(`^${b.armEndpoint.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/oidc/${b.tenantId}/[0-9a-f-]{36}/$`),
    );
    const shown = ok(
      await admin.az(['aks', 'show', '-g', 'wi', '-n', 'wiaks', '--query', 'oidcIssuerProfile.issuerUrl', '-o', 'tsv']),
      'aks show',
    ).stdout.trim();
    assert.equal(shown, created.oidcIssuerProfile.issuerUrl);
    // az round-trips the cluster through its 2022-11-01 model: the issuer URL is kept.
    const updated = ok(await admin.sh('az aks update -g wi -n wiaks --enable-oidc-issuer -o json', { HOME: home }), 'aks update').json;
    assert.equal(updated.oidcIssuerProfile.issuerUrl, shown);
    ok(await admin.az(['aks', 'oidc-issuer', 'rotate-signing-keys', '-g', 'wi', '-n', 'wiaks', '--yes']), 'rotate-signing-keys');
    const jwks = (await (await fetch(`${shown}openid/v1/jwks`)).json()) as { keys: unknown[] };
    assert.equal(jwks.keys.length, 2, 'old and new keys published during the overlap');
    const fic = ok(
      await admin.az([
        'identity',
        'federated-credential',
        'create',
        '-n',
        'aks-workload',
        '--identity-name',
        'deployer',
        '-g',
        'wi',
        '--issuer',
        shown,
        '--subject',
        'system:serviceaccount:default:workload',
        '-o',
        'json',
      ]),
      'fic for the cluster',
    ).json;
    assert.equal(fic.issuer, shown);
  });

  it('az ad app federated-credential create|list|show|delete, and az login --federated-token as the app', async () => {
    const app = ok(await admin.az(['ad', 'app', 'create', '--display-name', 'gh-deployer', '-o', 'json']), 'ad app create').json;
    ok(await admin.az(['ad', 'sp', 'create', '--id', app.appId, '-o', 'none']), 'ad sp create');
    const parameters = join(server.dataDir, 'fic.json');
    await writeFile(
      parameters,
      JSON.stringify({
        name: 'main-branch',
        issuer: issuer.issuer,
        subject: SUBJECT,
        description: 'deploys from main',
        audiences: ['api://AzureADTokenExchange'],
      }),
    );
    const created = ok(
      await admin.az(['ad', 'app', 'federated-credential', 'create', '--id', app.appId, '--parameters', `@${parameters}`, '-o', 'json']),
      'app fic create',
    ).json;
    assert.equal(created.name, 'main-branch');
    assert.equal(created.issuer, issuer.issuer);
    assert.equal(created.description, 'deploys from main');
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    const listed = ok(await admin.az(['ad', 'app', 'federated-credential', 'list', '--id', app.appId, '-o', 'json']), 'app fic list').json;
    assert.deepEqual(
      listed.map((c: any) => c.name),
      ['main-branch'],
    );
    const shown = ok(
      await admin.az(['ad', 'app', 'federated-credential', 'show', '--id', app.appId, '--federated-credential-id', 'main-branch', '-o', 'json']),
      'app fic show',
    ).json;
    assert.equal(shown.id, created.id);

    const ci = await azSession(server);
    const login = (jwt: string) =>
      ci.sh(
        setupLines.replace(
          /^az login .*$/m,
          `az login --service-principal -u ${app.appId} --federated-token ${jwt} --tenant ${server.bootstrap.tenantId} --allow-no-subscriptions -o none`,
        ),
      );
    ok(await login(await issuer.sign({})), 'app federated login');
    assert.equal(ok(await ci.az(['account', 'show', '--query', 'user.name', '-o', 'tsv']), 'account').stdout.trim(), app.appId);

    ok(await admin.az(['ad', 'app', 'federated-credential', 'delete', '--id', app.appId, '--federated-credential-id', created.id]), 'app fic delete');
    assert.deepEqual(ok(await admin.az(['ad', 'app', 'federated-credential', 'list', '--id', app.appId, '-o', 'json']), 'list').json, []);
    const after = await azSession(server);
    const refused = await after.sh(
      setupLines.replace(
        /^az login .*$/m,
        `az login --service-principal -u ${app.appId} --federated-token ${await issuer.sign({})} --tenant ${server.bootstrap.tenantId} --allow-no-subscriptions -o none`,
      ),
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /AADSTS70021/);
  });
});
