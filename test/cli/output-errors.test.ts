/**
 * az's output formats, `--query`, `--debug`, and az's error texts and exit codes, through the real
 * binary against a real server: usage errors exit 2, service errors print `(Code) Message` then
 * `Code:` / `Message:` and exit 1, and a principal without roles gets AuthorizationFailed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addTestApp } from '../compat/rbac-fixture.js';
import { json, runKeyless, startCliServer, type CliServer } from './helpers.js';

describe('keyless output formats and errors', () => {
  let cli: CliServer;

  before(async () => {
    cli = await startCliServer();
    const r = await cli.run(['group', 'create', '-n', 'rg-out', '-l', 'westus2', '--tags', 'env=test']);
    assert.equal(r.code, 0, r.stderr);
    await cli.run(['identity', 'create', '-n', 'id-out', '-g', 'rg-out']);
  });
  after(async () => {
    await cli?.dispose();
  });

  it('-o table uses az columns (group list: Name, Location, Status)', async () => {
    const r = await cli.run(['group', 'list', '-o', 'table']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines[0]!.split(/\s{2,}/), ['Name', 'Location', 'Status']);
    assert.match(lines[1]!, /^-+ {2}-+ {2}-+$/);
    assert.deepEqual(lines[2]!.split(/\s{2,}/), ['rg-out', 'westus2', 'Succeeded']);
    // Without a transform: scalar fields, id/type left out, first letter capitalised, keys sorted.
    const ids = (await cli.run(['identity', 'list', '-g', 'rg-out', '-o', 'table'])).stdout.split('\n');
    assert.deepEqual(ids[0]!.split(/\s{2,}/), ['ClientId', 'ClientSecretUrl', 'Location', 'Name', 'PrincipalId', 'ResourceGroup', 'TenantId']);
  });

  it('-o tsv prints values in key order with nested objects empty; scalars bare', async () => {
    const g = await cli.run(['group', 'show', '-n', 'rg-out', '-o', 'tsv']);
    const sub = cli.server.bootstrap.subscriptionId;
    // id, location, managedBy (None), name, properties (dict), tags (dict), type
    assert.equal(g.stdout, `/subscriptions/${sub}/resourceGroups/rg-out\twestus2\t\trg-out\t\t\tMicrosoft.Resources/resourceGroups\n`);
    const exists = await cli.run(['group', 'exists', '-n', 'rg-out', '-o', 'tsv']);
    assert.equal(exists.stdout, 'True\n', 'Python str() of a boolean, as az prints it');
  });

  it('-o yaml, -o jsonc and -o none', async () => {
    const yaml = (await cli.run(['group', 'show', '-n', 'rg-out', '-o', 'yaml'])).stdout;
    assert.match(
      yaml,
      /^id: \/subscriptions\/.+\/resourceGroups\/rg-out\nlocation: westus2\nmanagedBy: null\nname: rg-out\nproperties:\n {2}provisioningState: Succeeded\ntags:\n {2}env: test\ntype: Microsoft.Resources\/resourceGroups\n$/,
    );
    const jsonc = (await cli.run(['group', 'show', '-n', 'rg-out', '-o', 'jsonc'])).stdout;
    assert.ok(jsonc.includes('\x1b['), 'coloured');
    // eslint-disable-next-line no-control-regex
    assert.deepEqual(JSON.parse(jsonc.replace(/\x1b\[\d+m/g, '')).name, 'rg-out');
    const none = await cli.run(['group', 'show', '-n', 'rg-out', '-o', 'none']);
    assert.deepEqual([none.code, none.stdout], [0, '']);
  });

  it('--query applies JMESPath before output, keeping the projection order in tables', async () => {
    const q = await cli.run(['group', 'list', '--query', "[?tags.env=='test'].{Name:name,Env:tags.env}"]);
    assert.deepEqual(json(q), [{ Env: 'test', Name: 'rg-out' }]);
    const table = await cli.run(['group', 'list', '-o', 'table', '--query', "[?contains(name, 'rg-')].{Name:name,State:properties.provisioningState}"]);
    assert.equal(table.stdout, 'Name    State\n------  ---------\nrg-out  Succeeded\n');
    const bad = await cli.run(['group', 'list', '--query', '[?']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^ERROR: argument --query: invalid jmespath_type value: '\[\?'$/m);
  });

  it('usage errors exit 2 with argparse wording', async () => {
    const unknownFlag = await cli.run(['group', 'show', '-n', 'rg-out', '--bogus']);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /^ERROR: unrecognized arguments: --bogus$/m);
    const missing = await cli.run(['identity', 'create', '--resource-group', 'rg-out']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^ERROR: the following arguments are required: --name\/-n$/m);
    const groupName = await cli.run(['group', 'create', '-l', 'westus2']);
    assert.match(groupName.stderr, /^ERROR: the following arguments are required: --name\/--resource-group\/-g\/-n$/m);
    const choice = await cli.run(['group', 'list', '-o', 'xml']);
    assert.equal(choice.code, 2);
    assert.match(
      choice.stderr,
      /^ERROR: argument --output\/-o: invalid choice: 'xml' \(choose from 'json', 'jsonc', 'table', 'tsv', 'yaml', 'yamlc', 'none'\)$/m,
    );
    const noValue = await cli.run(['group', 'show', '--name']);
    assert.equal(noValue.code, 2);
    assert.match(noValue.stderr, /^ERROR: argument --name\/-n: expected one argument$/m);
    const misspelled = await cli.run(['grup', 'list']);
    assert.equal(misspelled.code, 2);
    assert.match(misspelled.stderr, /^ERROR: 'grup' is misspelled or not recognized by the system\.$/m);
    const extra = await cli.run(['group', 'list', 'stray']);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /^ERROR: unrecognized arguments: stray$/m);
  });

  it("a missing group prints az's ResourceGroupNotFound lines and exits 1", async () => {
    const r = await cli.run(['identity', 'create', '-n', 'x', '-g', 'noSuchGroup']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      [
        "ERROR: (ResourceGroupNotFound) Resource group 'noSuchGroup' could not be found.",
        'Code: ResourceGroupNotFound',
        "Message: Resource group 'noSuchGroup' could not be found.",
        '',
      ].join('\n'),
    );
    const show = await cli.run(['group', 'show', '-n', 'noSuchGroup']);
    assert.equal(show.code, 3, 'az exits 3 for a missing resource on show');
    assert.match(show.stderr, /^Code: ResourceGroupNotFound$/m);
  });

  it('a principal without the needed role gets AuthorizationFailed (exit 1)', async () => {
    const app = await addTestApp(cli.server, 'cli-reader');
    const b = cli.server.bootstrap;
    // Reader on the group only (granted through ARM with the admin's token from the CLI itself).
    const admin = json(await cli.run(['account', 'get-access-token']));
    const scope = `/subscriptions/${b.subscriptionId}/resourceGroups/rg-out`;
    const grant = await fetch(`${b.armEndpoint}${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        properties: {
          roleDefinitionId: `/subscriptions/${b.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
          principalId: app.objectId,
          principalType: 'ServicePrincipal',
        },
      }),
    });
    assert.equal(grant.status, 201, await grant.text());
    const dir = await mkdtemp(join(tmpdir(), 'keyless-cli-sp-'));
    try {
      const login = await runKeyless(dir, [
        'login',
        '--service-principal',
        '-u',
        app.clientId,
        '-p',
        app.secret,
        '--tenant',
        b.tenantId,
        '--server',
        b.armEndpoint,
        '--ca',
        b.caCertFile,
      ]);
      assert.equal(login.code, 0, login.stderr);
      assert.deepEqual(json<{ user: unknown }[]>(login)[0]!.user, { name: app.clientId, type: 'servicePrincipal' });
      const readable = await runKeyless(dir, ['group', 'show', '-n', 'rg-out', '--query', 'name', '-o', 'tsv']);
      assert.deepEqual([readable.code, readable.stdout], [0, 'rg-out\n'], readable.stderr);
      const denied = await runKeyless(dir, ['identity', 'create', '-n', 'denied', '-g', 'rg-out']);
      assert.equal(denied.code, 1);
      assert.equal(denied.stdout, '');
      assert.match(
        denied.stderr,
        /^ERROR: \(AuthorizationFailed\) The client '.+' with object id '.+' does not have authorization to perform action 'Microsoft\.ManagedIdentity\/userAssignedIdentities\/write'/m,
      );
      assert.match(denied.stderr, /^Code: AuthorizationFailed$/m);
      assert.match(denied.stderr, /^Message: The client /m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--debug traces HTTP calls without tokens or secrets; --verbose reports timing', async () => {
    const tokenDir = cli.configDir;
    const token = json(await cli.run(['account', 'get-access-token']));
    assert.equal(token.tokenType, 'Bearer');
    assert.equal(token.subscription, cli.server.bootstrap.subscriptionId);
    assert.equal(token.tenant, cli.server.bootstrap.tenantId);
    assert.match(String(token.expiresOn), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(String(token.accessToken).split('.').length, 3);
    const r = await cli.run(['group', 'show', '-n', 'rg-out', '--debug']);
    assert.equal(r.code, 0);
    assert.match(
      r.stderr,
      /DEBUG: keyless\.http: Request URL: 'https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.+\/resourceGroups\/rg-out\?api-version=2022-09-01'/,
    );
    assert.match(r.stderr, /Request method: 'GET'/);
    assert.match(r.stderr, /Response status: 200/);
    assert.match(r.stderr, /'authorization': '\*\*\*\*\*'/);
    assert.ok(!r.stderr.includes(String(token.accessToken)), 'no access token in the trace');
    assert.ok(!r.stderr.includes(cli.server.bootstrap.clientSecret), 'no secret in the trace');
    // A fresh sign-in traces the token request too: its body (client_secret) and answer are redacted.
    const fresh = await runKeyless(tokenDir, ['login', '--data-dir', cli.server.dataDir, '--debug']);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stderr, /oauth2\/v2\.0\/token/);
    assert.ok(!fresh.stderr.includes(cli.server.bootstrap.clientSecret));
    assert.ok(!/eyJ[\w-]+\.[\w-]+\./.test(fresh.stderr), 'no JWT in the trace');
    const verbose = await cli.run(['group', 'show', '-n', 'rg-out', '--verbose']);
    assert.match(verbose.stderr, /^INFO: Command ran in \d+\.\d+ seconds$/m);
  });

  it('help on every group and command has az-style Examples; logout forgets the sign-in', async () => {
    const help = await cli.run(['identity', 'create', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples\n {4}Create an identity\.\n {8}keyless identity create --name myIdentity --resource-group myResourceGroup/);
    assert.match(help.stdout, /\nGlobal Arguments\n {2}-o, --output <format>/);
    const group = await cli.run(['group']);
    assert.equal(group.code, 0);
    assert.match(group.stdout + group.stderr, /exists/);
    const dir = await mkdtemp(join(tmpdir(), 'keyless-cli-out-'));
    try {
      assert.equal((await runKeyless(dir, ['login', '--data-dir', cli.server.dataDir])).code, 0);
      assert.equal((await runKeyless(dir, ['logout'])).code, 0);
      const after = await runKeyless(dir, ['group', 'list']);
      assert.equal(after.code, 1);
      assert.match(after.stderr, /^ERROR: Please run 'keyless login' to setup account\.$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
