/**
 * Runs the README's command-line walkthrough block as written (bash, `npx keyless` → the built
 * binary), in a directory whose `.keyless` is a running server's data dir, then checks the token the
 * workload got: it is the identity's, and the identity may read its group through ARM.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { ROOT, startKeyless, type RunningKeyless } from '../support/keyless.js';

describe('README: the keyless command-line walkthrough', () => {
  let kl: RunningKeyless | undefined;
  let dir: string | undefined;
  after(async () => {
    await kl?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs as written and ends with a token for the identity', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- readme-cli-walkthrough -->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block, 'the README has the walkthrough block');
    dir = await mkdtemp(join(tmpdir(), 'keyless-readme-'));
    const dataDir = join(dir, '.keyless');
    await mkdir(dataDir);
    for (const f of ['ca.pem', 'ca-key.pem']) await copyFile(join(process.env.KEYLESS_TEST_CA_DIR!, f), join(dataDir, f));
    kl = await startKeyless({ dataDir, via: 'node' });

    const script = [
      'set -euo pipefail',
      `keyless() { node ${JSON.stringify(join(ROOT, 'bin/keyless.js'))} "$@"; }`,
      block.replaceAll('npx keyless', 'keyless'),
      'echo',
      'echo "GROUP_ID=$GROUP_ID"',
      // The agent the block started in the background (a subshell running node): stop the node process.
      'pkill -f -- "agent --data-dir .keyless --resource $VM_ID" || true',
    ].join('\n');
    const env: NodeJS.ProcessEnv = { ...process.env, KEYLESS_CONFIG_DIR: join(dir, 'config') };
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: dir, env, timeout: 120_000 });
    const lines = stdout.trim().split('\n');
    const tokenLine = lines.find((l) => l.startsWith('{"access_token"'));
    assert.ok(tokenLine, `the workload printed a token answer:\n${stdout}`);
    const answer = JSON.parse(tokenLine) as { access_token: string; client_id: string; resource: string; expires_on: string };
    assert.equal(answer.resource, 'https://management.azure.com/');
    const claims = decodeJwt(answer.access_token);
    assert.equal(claims.appid, answer.client_id);
    assert.match(String(claims.xms_mirid), /\/userAssignedIdentities\/myIdentity$/);

    // The Reader assignment made by the block lets the identity read the group.
    const groupId = lines.find((l) => l.startsWith('GROUP_ID='))!.slice('GROUP_ID='.length);
    const group = (await (
      await fetch(`${kl.bootstrap.armEndpoint}${groupId}?api-version=2021-04-01`, {
        headers: { authorization: `Bearer ${answer.access_token}` },
      })
    ).json()) as { name?: string; error?: { code: string } };
    assert.equal(group.name, 'myResourceGroup', JSON.stringify(group));
  });
});
