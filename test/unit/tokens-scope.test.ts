import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../../src/core/tokens/oauth-error.js';
import { isResourceIdentifier, parseResource, parseScope } from '../../src/core/tokens/scope.js';

function refused(fn: () => unknown, aadsts: number, error: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OAuthError, `expected an OAuthError, got ${String(e)}`);
    assert.equal(e.aadsts, aadsts);
    assert.equal(e.error, error);
    assert.equal(e.status, 400);
    assert.match(e.description, new RegExp(`^AADSTS${aadsts}: `));
    return true;
  });
}

describe('v2 scope parsing (client credentials)', () => {
  it('takes the resource before /.default, keeping what the caller wrote', () => {
    assert.equal(parseScope('https://management.azure.com/.default'), 'https://management.azure.com');
    assert.equal(parseScope('https://management.azure.com//.default'), 'https://management.azure.com/');
    assert.equal(parseScope('api://my-api/.default'), 'api://my-api');
    assert.equal(parseScope('6f1b4b4c-7d6a-4b59-9a4c-0c1b3f9e2a11/.default'), '6f1b4b4c-7d6a-4b59-9a4c-0c1b3f9e2a11');
  });

  it('ignores the OpenID scopes MSAL may add', () => {
    assert.equal(parseScope('openid profile offline_access https://storage.azure.com/.default'), 'https://storage.azure.com');
  });

  it('refuses a missing scope with AADSTS900144', () => {
    refused(() => parseScope(undefined), 900144, 'invalid_request');
    refused(() => parseScope('   '), 900144, 'invalid_request');
  });

  it('refuses a scope without /.default with AADSTS1002012', () => {
    refused(() => parseScope('https://management.azure.com/user_impersonation'), 1002012, 'invalid_scope');
    refused(() => parseScope('openid'), 1002012, 'invalid_scope');
  });

  it('refuses several resources with AADSTS70011', () => {
    refused(() => parseScope('https://management.azure.com/.default https://storage.azure.com/.default'), 70011, 'invalid_scope');
  });

  it('refuses a resource that is neither a URI nor a GUID with AADSTS70011', () => {
    refused(() => parseScope('/.default'), 70011, 'invalid_scope');
    refused(() => parseScope('http://[bad/.default'), 70011, 'invalid_scope');
    refused(() => parseScope('management.azure.com/.default'), 70011, 'invalid_scope');
  });
});

describe('v1 resource parsing', () => {
  it('keeps the resource exactly as requested', () => {
    assert.equal(parseResource('https://management.core.windows.net/', 't'), 'https://management.core.windows.net/');
  });
  it('refuses a missing resource with AADSTS900144 and a malformed one with AADSTS500011', () => {
    refused(() => parseResource(undefined, 't'), 900144, 'invalid_request');
    refused(() => parseResource('no-scheme', 't'), 500011, 'invalid_resource');
  });
  it('knows what a resource identifier is', () => {
    assert.ok(isResourceIdentifier('https://vault.azure.net'));
    assert.ok(!isResourceIdentifier('https://a b'));
    assert.ok(!isResourceIdentifier(''));
  });
});
