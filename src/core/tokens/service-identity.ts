/**
 * A resource provider acting AS one of a resource's managed identities, the way an Azure service
 * does (HDInsight reaching Data Lake Storage and Key Vault with the cluster's user-assigned identity):
 * the token comes from this server's own authority, with the same claims as a managed-identity token
 * (`appidacr` "2", `xms_mirid`), and only for an identity the resource holds at that moment. The
 * token is then presented to a data plane through the same route, authentication and authorization a
 * customer's request takes ({@link ServiceCalls.dataPlane}), so RBAC on the target decides.
 *
 * Nothing here hands a token to a customer: the port is for providers only (docs/adr/0014-hdinsight.md).
 */
import { HostError } from '../hosts/host-errors.js';
import { readStoredIdentity, sameResource } from '../identities/stored-identity.js';
import type { ValueSealing } from '../dataplanes/storage-keys.js';
import type { ResourceRecord } from '../model.js';
import type { PrincipalRepository } from '../ports.js';
import { miridOf } from './managed-identity.js';
import type { TokenService } from './token-service.js';

/** A request to a data plane, as a client would send it (path-style or the host-style internal prefix). */
export interface DataPlaneRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path and query on the server's origin, e.g. `/{account}/{filesystem}?resource=filesystem`. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface DataPlaneAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ServiceCalls {
  /**
   * A token for `audience` as the user-assigned identity `identityId`, which `resource` must hold
   * (its identity block lists it and the identity's principal exists). Throws HostError `IdentityNotFound`.
   */
  identityToken(input: { resource: Pick<ResourceRecord, 'id' | 'identity'>; identityId: string; audience: string }): Promise<string>;
  /** Sends a request to this server's data planes (same routes and checks as a customer's request). */
  dataPlane(request: DataPlaneRequest): Promise<DataPlaneAnswer>;
  /** Seals secrets a service must give back later (HDInsight's gateway password) with the server's key encryption key. */
  sealing: ValueSealing;
}

export interface ServiceIdentityTokenDeps {
  tokens: Pick<TokenService, 'issueToken'>;
  principals: Pick<PrincipalRepository, 'getByResourceId'>;
  /** Lifetime of the service's tokens: short, they are used at once. */
  lifetimeSeconds: number;
}

/** `ServiceCalls.identityToken` over the token service. */
export function createServiceIdentityTokens(deps: ServiceIdentityTokenDeps): ServiceCalls['identityToken'] {
  return async ({ resource, identityId, audience }) => {
    const attached = Object.keys(readStoredIdentity(resource.identity).userAssignedIdentities).find((id) => sameResource(id, identityId));
    const principal = attached ? await deps.principals.getByResourceId(attached) : undefined;
    if (!attached || !principal) throw new HostError('IdentityNotFound', 'Identity not found');
    const issued = await deps.tokens.issueToken({
      principal,
      audience,
      version: '1.0',
      lifetimeSeconds: deps.lifetimeSeconds,
      clientAuthentication: 'certificate',
      extraClaims: { xms_mirid: miridOf(principal.resourceId ?? attached) },
    });
    return issued.accessToken;
  };
}
