/**
 * Real clients, unmodified: @azure/identity ManagedIdentityCredential and DefaultAzureCredential and
 * @azure/msal-node ManagedIdentityApplication, each in a child process configured only by the
 * variables the agent exports (IMDS style, App Service style, Arc style). Every token they return is
 * verified against the test authority's JWKS, with the identity and audience asked for.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, constants, mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { DEFAULT_ARC_KEY_DIR } from '../../src/agent/arc-challenge.js';
import type { AssignedIdentity } from '../../src/agent/upstream.js';
import { TEST_ISSUER } from '../support/agent-upstream.js';
import type { ClientResult, ClientStep } from './clients/get-tokens.js';
import { startAgentFixture, type AgentFixture } from './fixture.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLIENT = join(ROOT, 'test/agent/clients/get-tokens.ts');

/** The test process's environment without anything that would steer the SDKs elsewhere (§0.2, §0.3). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(AZURE_|IDENTITY_|MSI_|IMDS_ENDPOINT)/.test(name)) env[name] = value;
  return { ...env, ...extra };
}

async function runClient(env: Record<string, string>, steps: ClientStep[]): Promise<ClientResult[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify(steps)], {
    cwd: ROOT,
    env: cleanEnv(env),
    timeout: 90_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ClientResult[];
}

describe('real Azure SDK clients against the agent', () => {
  let fx: AgentFixture;
  let uami: AssignedIdentity;
  before(async () => {
    fx = await startAgentFixture();
    uami = fx.upstream.newUserAssigned('sdk-app');
    fx.upstream.assign(uami);
  });
  after(() => fx.close());

  async function verify(result: ClientResult | undefined, step: ClientStep, identity: AssignedIdentity): Promise<void> {
    const label = `${step.client}/${step.kind} ${step.resource}`;
    assert.ok(result?.ok, `${label}: ${result?.error}`);
    const { payload } = await jwtVerify(result.token!, createLocalJWKSet(fx.upstream.jwks), { issuer: TEST_ISSUER, audience: step.resource });
    assert.equal(payload.oid, identity.objectId, label);
    assert.equal(payload.appid, identity.clientId, label);
    assert.equal(payload.xms_mirid, identity.resourceId, label);
    // MSAL turns `expires_on` into `expires_in` against its own clock and back again, so the SDK's
    // expiry may land one second before the token's `exp` when a second boundary passes in between.
    const drift = payload.exp! * 1000 - result.expiresOnMs!;
    assert.ok(drift >= 0 && drift <= 1000, `${label}: SDK expiry ${result.expiresOnMs} vs exp ${payload.exp! * 1000}`);
  }

  /** Steps for `client`, each with its own audience so that no answer comes from the SDK's own cache. */
  function stepsFor(prefix: string, plan: Array<[ClientStep['client'], ClientStep['kind']]>): Array<{ step: ClientStep; identity: AssignedIdentity }> {
    return plan.map(([client, kind]) => {
      const identity = kind === 'system' ? fx.upstream.system : uami;
      const value = kind === 'system' ? undefined : identity[kind];
      return { step: { client, kind, value, resource: `api://${prefix}-${client}-${kind.toLowerCase()}` }, identity };
    });
  }

  it('IMDS style (AZURE_POD_IDENTITY_AUTHORITY_HOST): MIC, DAC and msal-node, system- and user-assigned', async () => {
    const planned = stepsFor('imds', [
      ['mic', 'system'],
      ['mic', 'clientId'],
      ['mic', 'objectId'],
      ['mic', 'resourceId'],
      ['dac', 'system'],
      ['dac', 'clientId'],
      ['dac', 'resourceId'],
      ['msal', 'system'],
      ['msal', 'clientId'],
      ['msal', 'objectId'],
      ['msal', 'resourceId'],
    ]);
    const unknown: ClientStep = { client: 'mic', kind: 'clientId', value: '0b0b0b0b-1111-4222-8333-444444444444', resource: 'https://management.azure.com' };
    const results = await runClient({ AZURE_POD_IDENTITY_AUTHORITY_HOST: fx.agent.env().AZURE_POD_IDENTITY_AUTHORITY_HOST }, [
      ...planned.map((p) => p.step),
      unknown,
    ]);
    for (const [i, { step, identity }] of planned.entries()) await verify(results[i], step, identity);
    assert.match(results.find((r) => r.source)?.source ?? '', /^(DefaultToImds|Imds)$/);
    const refused = results.at(-1)!;
    assert.equal(refused.ok, false);
    assert.match(refused.error!, /Identity not found/);
  });

  it('App Service style (IDENTITY_ENDPOINT + IDENTITY_HEADER): MIC and msal-node', async () => {
    const { IDENTITY_ENDPOINT, IDENTITY_HEADER } = fx.agent.env();
    const planned = stepsFor('appservice', [
      ['mic', 'system'],
      ['mic', 'clientId'],
      ['mic', 'objectId'],
      ['msal', 'resourceId'],
      ['msal', 'objectId'],
    ]);
    const results = await runClient(
      { IDENTITY_ENDPOINT, IDENTITY_HEADER },
      planned.map((p) => p.step),
    );
    for (const [i, { step, identity }] of planned.entries()) await verify(results[i], step, identity);
    assert.equal(results.find((r) => r.source)?.source, 'AppService');
  });
});

/**
 * The SDKs follow the Arc challenge only to /var/opt/azcmagent/tokens/<name>.key: this runs where the
 * test may create that directory (root, e.g. CI containers) and removes what it created.
 */
describe('real Azure SDK clients against the agent, Azure Arc style', async () => {
  const created: string[] = [];
  let writable = false;
  for (const dir of ['/var/opt/azcmagent', DEFAULT_ARC_KEY_DIR]) {
    if (
      await stat(dir).then(
        () => true,
        () => false,
      )
    )
      continue;
    if (
      !(await mkdir(dir, { mode: 0o700 }).then(
        () => true,
        () => false,
      ))
    )
      break;
    created.unshift(dir);
  }
  writable = await access(DEFAULT_ARC_KEY_DIR, constants.W_OK).then(
    () => true,
    () => false,
  );
  let fx: AgentFixture;
  let uami: AssignedIdentity;
  before(async () => {
    if (!writable) return;
    fx = await startAgentFixture({ arc: true });
    uami = fx.upstream.newUserAssigned('arc-sdk');
    fx.upstream.assign(uami);
  });
  after(async () => {
    if (fx) await fx.close();
    for (const dir of created) await rm(dir, { recursive: true, force: true });
  });

  it('answers the challenge flow of msal-node and MIC', { skip: writable ? false : `${DEFAULT_ARC_KEY_DIR} is not writable` }, async () => {
    const arcEnv = fx.agent.arcEnv();
    assert.ok(arcEnv);
    const steps: ClientStep[] = [
      { client: 'msal', kind: 'clientId', value: uami.clientId, resource: 'api://arc-msal-client' },
      { client: 'msal', kind: 'resourceId', value: uami.resourceId, resource: 'api://arc-msal-resource' },
      { client: 'mic', kind: 'system', resource: 'api://arc-mic-system' },
    ];
    const results = await runClient({ ...arcEnv }, steps);
    const identities = [uami, uami, fx.upstream.system];
    for (const [i, step] of steps.entries()) {
      assert.ok(results[i]?.ok, `${step.client}/${step.kind}: ${results[i]?.error}`);
      const { payload } = await jwtVerify(results[i]!.token!, createLocalJWKSet(fx.upstream.jwks), { audience: step.resource });
      assert.equal(payload.oid, identities[i]!.objectId);
    }
    assert.equal(results[0]!.source, 'AzureArc');
  });
});
