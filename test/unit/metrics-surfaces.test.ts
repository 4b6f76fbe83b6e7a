/** Request metrics label each request with its surface from a closed set, whatever its path holds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SURFACES } from '../../src/core/metrics.js';
import { surfaceOf } from '../../src/http/metrics/request-metrics.js';

describe('surfaceOf', () => {
  const cases: [string | undefined, string, string][] = [
    ['/subscriptions/*', '/subscriptions/0000/resourceGroups/rg?api-version=2021-04-01', 'arm'],
    [undefined, '/SUBSCRIPTIONS/x/nope', 'arm'],
    ['/providers/*', '/providers/Microsoft.Authorization/operations', 'arm'],
    ['/tenants', '/tenants?api-version=2022-12-01', 'arm'],
    ['/:tenant/oauth2/v2.0/token', '/c0ffee/oauth2/v2.0/token', 'oauth'],
    ['/:tenant/v2.0/.well-known/openid-configuration', '/c0ffee/v2.0/.well-known/openid-configuration', 'oauth'],
    [undefined, '/common/discovery/instance', 'oauth'],
    [undefined, '/adfs/.well-known/openid-configuration', 'oauth'],
    ['/v1.0/servicePrincipals', '/v1.0/servicePrincipals?$filter=x', 'graph'],
    [undefined, '/graph/v1.0/applications', 'graph'],
    [undefined, '/beta/auditLogs/signIns', 'graph'],
    [undefined, '/keyless/agent/v1/token', 'agent-api'],
    [undefined, '/keyless/health/ready', 'health'],
    [undefined, '/keyless/health/nope', 'health'],
    [undefined, '/metadata/endpoints?api-version=2022-09-01', 'metadata'],
    [undefined, '/oidc/t/u/.well-known/openid-configuration', 'oidc-issuer'],
    ['/.keyless-dataplane/blob/*', '/.keyless-dataplane/blob/acct/c/b', 'blob'],
    ['/.keyless-dataplane/dfs/*', '/.keyless-dataplane/dfs/acct/fs/p', 'dfs'],
    [undefined, '/.keyless-dataplane/vault/v/secrets/s', 'keyvault'],
    [undefined, '/kusto/cluster/v1/rest/query', 'kusto'],
    ['/:account/*', '/devstoreaccount1/container/blob.txt', 'blob'],
    [undefined, '/whatever/else', 'other'],
    [undefined, '/', 'other'],
  ];
  for (const [route, url, want] of cases) {
    it(`${url} → ${want}`, () => {
      const got = surfaceOf(route, url);
      assert.equal(got, want);
      assert.ok((SURFACES as readonly string[]).includes(got));
    });
  }
});
