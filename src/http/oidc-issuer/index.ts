/**
 * The per-cluster OIDC issuers Keyless hosts (AKS `oidcIssuerProfile.issuerURL`), unauthenticated as
 * AKS's are: `GET {issuer}.well-known/openid-configuration` and `GET {issuer}openid/v1/jwks`, with
 * `{issuer}` = `{base}/oidc/{tenantId}/{uuid}/`. Anyone may fetch them (a real Entra, another Keyless,
 * a test), and they hold public keys only. An unknown issuer, or a deleted cluster's, is 404.
 */
import type { FastifyPluginAsync } from 'fastify';
import { isGuid } from '../../core/ids.js';
import { ISSUER_PATH, type ClusterIssuers } from '../../core/workload-identity/cluster-issuers.js';

export interface OidcIssuerDeps {
  issuers: ClusterIssuers;
}

export function oidcIssuerPlugin(deps: OidcIssuerDeps): FastifyPluginAsync {
  return async (app) => {
    const known = async (params: unknown) => {
      const { tenant, uuid } = params as { tenant: string; uuid: string };
      if (!isGuid(tenant) || !isGuid(uuid)) return undefined;
      const jwks = await deps.issuers.jwks(tenant, uuid);
      return jwks ? { tenant, uuid, jwks } : undefined;
    };
    const notFound = { error: 'not_found', error_description: 'No OIDC issuer is hosted at this address.' };
    app.get(`${ISSUER_PATH}/:tenant/:uuid/.well-known/openid-configuration`, async (request, reply) => {
      const found = await known(request.params);
      if (!found) return reply.code(404).send(notFound);
      return reply.header('cache-control', 'public, max-age=300').send(deps.issuers.discovery(found.tenant, found.uuid));
    });
    app.get(`${ISSUER_PATH}/:tenant/:uuid/openid/v1/jwks`, async (request, reply) => {
      const found = await known(request.params);
      if (!found) return reply.code(404).send(notFound);
      return reply.header('cache-control', 'public, max-age=300').send(found.jwks);
    });
  };
}
