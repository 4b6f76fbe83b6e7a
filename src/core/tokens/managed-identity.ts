/**
 * Managed-identity tokens (azure-wire-contracts §3.1): issued for an identity the host resource holds
 * at the moment of the request, never from a cached decision. Claims as Azure's v1 MI tokens:
 * `aud` = the resource exactly as requested, `oid`/`sub` = the identity's principal id, `appid` = its
 * client id, `appidacr` "2" (managed identities authenticate with certificates), `idtyp` "app", and
 * `xms_mirid` = the user-assigned identity's ARM id, or the host's for the system-assigned one.
 * The issuer follows the server's issuer mode (`keyless` or Azure's `https://sts.windows.net/{tid}/`).
 */
import { isGuid } from '../ids.js';
import { HostError } from '../hosts/host-errors.js';
import { sameResource, type HeldIdentity } from '../identities/stored-identity.js';
import type { HostTypes } from '../hosts/host-types.js';
import type { ResourceRecord } from '../model.js';
import type { PrincipalRepository, ResourceRepository } from '../ports.js';
import type { IssuedToken, TokenService } from './token-service.js';

/** Which identity of the host is asked for (IMDS `client_id` / `object_id` / `msi_res_id`, or none). */
export type ManagedIdentitySelector = { kind: 'system' } | { kind: 'clientId' | 'objectId' | 'resourceId'; value: string };

export interface ManagedIdentityTokenDeps {
  tokens: Pick<TokenService, 'issueToken'>;
  principals: Pick<PrincipalRepository, 'getByResourceId'>;
  resources: Pick<ResourceRepository, 'get'>;
  /** Which identities of a host its workloads may use (declared by the providers). */
  hostTypes: Pick<HostTypes, 'usable'>;
  /** `config.managedIdentityTokenLifetimeSeconds` (Azure: about 24 h). */
  lifetimeSeconds: number;
}

export interface ManagedIdentityToken extends IssuedToken {
  identity: HeldIdentity;
}

export interface ManagedIdentityTokens {
  /** Throws HostError `IdentityNotFound` or `InvalidResource`. */
  issue(request: { host: ResourceRecord; selector: ManagedIdentitySelector; resource: string; clientIp?: string }): Promise<ManagedIdentityToken>;
}

/** Longest audience accepted; App ID URIs are far shorter (Entra caps identifierUris at 120–255 characters). */
const MAX_RESOURCE_LENGTH = 1024;

/**
 * Entra accepts as a resource an App ID URI (an absolute URI: `https://…`, `api://…`) or an
 * application id GUID; anything else is AADSTS500011 (IMDS: 400 `invalid_resource`).
 */
export function checkResource(resource: string, tenantId: string): void {
  const ok =
    resource.length > 0 && resource.length <= MAX_RESOURCE_LENGTH && !/[\s\u0000-\u001f\u007f]/.test(resource) && (isGuid(resource) || isAbsoluteUri(resource));
  if (!ok) {
    throw new HostError(
      'InvalidResource',
      `AADSTS500011: The resource principal named ${resource.slice(0, 200)} was not found in the tenant named ${tenantId}. The resource must be an App ID URI (e.g. https://management.azure.com/) or an application id.`,
    );
  }
}

function isAbsoluteUri(value: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\/./i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** Azure writes `resourcegroups` in lower case in `xms_mirid` (observed in real tokens). */
export function miridOf(resourceId: string): string {
  return resourceId.replace(/\/resourcegroups\//i, '/resourcegroups/');
}

/** The held identity `selector` names, compared case-insensitively, or undefined. */
export function selectIdentity(held: readonly HeldIdentity[], selector: ManagedIdentitySelector): HeldIdentity | undefined {
  switch (selector.kind) {
    case 'system':
      return held.find((h) => h.system);
    case 'clientId':
      return held.find((h) => h.principal.appId.toLowerCase() === selector.value.toLowerCase());
    case 'objectId':
      return held.find((h) => h.principal.objectId.toLowerCase() === selector.value.toLowerCase());
    case 'resourceId':
      return held.find((h) => sameResource(h.resourceId, selector.value));
  }
}

export function createManagedIdentityTokens(deps: ManagedIdentityTokenDeps): ManagedIdentityTokens {
  return {
    async issue({ host, selector, resource, clientIp }) {
      const held = await deps.hostTypes.usable(host, deps);
      const identity = selectIdentity(held, selector);
      // IMDS says only "Identity not found", whether the id is unknown, of another resource or unassigned.
      if (!identity) throw new HostError('IdentityNotFound', 'Identity not found');
      checkResource(resource, identity.principal.tenantId);
      const issued = await deps.tokens.issueToken({
        principal: identity.principal,
        audience: resource,
        version: '1.0',
        lifetimeSeconds: deps.lifetimeSeconds,
        clientAuthentication: 'certificate',
        extraClaims: { xms_mirid: miridOf(identity.resourceId) },
        // The sign-in event names the host whose agent asked (docs/adr/0016-activity-log.md).
        signIn: { hostResourceId: host.id, ...(clientIp ? { clientIp } : {}) },
      });
      return { ...issued, identity };
    },
  };
}
