import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../../src/core/clock.js';
import { buildAppTokenClaims, NOT_BEFORE_SKEW_SECONDS } from '../../src/core/tokens/claims.js';
import { createIssuerPolicy } from '../../src/core/tokens/issuer.js';

const TID = '0f7c2b5e-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
const principal = { objectId: '11111111-2222-4333-8444-555555555555', appId: '99999999-8888-4777-8666-555555555555', tenantId: TID };
const random = { uti: 'uti-value', aio: 'aio-value', rh: '0.rh-value' };
const clock = createManualClock(Date.UTC(2026, 0, 1, 12));
const now = Math.floor(clock.now() / 1000);
const keyless = createIssuerPolicy('keyless', () => 'https://127.0.0.1:8443');

describe('issuer strings', () => {
  it('keyless mode names this server', () => {
    assert.equal(keyless.issuer('1.0', TID), `https://127.0.0.1:8443/${TID}/`);
    assert.equal(keyless.issuer('2.0', TID), `https://127.0.0.1:8443/${TID}/v2.0`);
  });
  it('azure mode uses Entra’s strings', () => {
    const azure = createIssuerPolicy('azure', () => 'https://127.0.0.1:8443');
    assert.equal(azure.issuer('1.0', TID), `https://sts.windows.net/${TID}/`);
    assert.equal(azure.issuer('2.0', TID), `https://login.microsoftonline.com/${TID}/v2.0`);
    assert.deepEqual(azure.accepted(TID), [`https://sts.windows.net/${TID}/`, `https://login.microsoftonline.com/${TID}/v2.0`]);
  });
  it('follows the base URL once the port is known', () => {
    let base = 'https://127.0.0.1:0';
    const policy = createIssuerPolicy('keyless', () => base);
    base = 'https://127.0.0.1:50123/';
    assert.equal(policy.issuer('1.0', TID), `https://127.0.0.1:50123/${TID}/`);
  });
});

describe('app-only access-token claims', () => {
  it('v1: the claim set Entra issues for Azure resources', () => {
    const claims = buildAppTokenClaims({
      principal,
      audience: 'https://management.azure.com/',
      version: '1.0',
      now,
      lifetimeSeconds: 3599,
      clientAuthentication: 'secret',
      issuers: keyless,
      random,
    });
    assert.deepEqual(claims, {
      aud: 'https://management.azure.com/',
      iss: `https://127.0.0.1:8443/${TID}/`,
      iat: now - NOT_BEFORE_SKEW_SECONDS,
      nbf: now - NOT_BEFORE_SKEW_SECONDS,
      exp: now + 3599,
      aio: 'aio-value',
      appid: principal.appId,
      appidacr: '1',
      idp: `https://127.0.0.1:8443/${TID}/`,
      idtyp: 'app',
      oid: principal.objectId,
      rh: '0.rh-value',
      sub: principal.objectId,
      tid: TID,
      uti: 'uti-value',
      ver: '1.0',
    });
  });

  it('v2: azp/azpacr instead of appid/appidacr, v2 issuer', () => {
    const claims = buildAppTokenClaims({
      principal,
      audience: 'api://app',
      version: '2.0',
      now,
      lifetimeSeconds: 600,
      clientAuthentication: 'certificate',
      issuers: keyless,
      random,
    });
    assert.equal(claims.iss, `https://127.0.0.1:8443/${TID}/v2.0`);
    assert.equal(claims.azp, principal.appId);
    assert.equal(claims.azpacr, '2');
    assert.equal(claims.ver, '2.0');
    assert.equal(claims.appid, undefined);
    assert.equal(claims.appidacr, undefined);
    assert.equal(claims.exp, now + 600);
  });

  it('extra claims are added but cannot override the standard ones', () => {
    const claims = buildAppTokenClaims({
      principal,
      audience: 'https://vault.azure.net',
      version: '1.0',
      now,
      lifetimeSeconds: 60,
      clientAuthentication: 'certificate',
      issuers: keyless,
      random,
      extraClaims: {
        xms_mirid: '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u',
        oid: 'forged',
        tid: 'forged',
      },
    });
    assert.equal(claims.xms_mirid, '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u');
    assert.equal(claims.oid, principal.objectId);
    assert.equal(claims.tid, TID);
    assert.equal(claims.appidacr, '2');
  });
});
