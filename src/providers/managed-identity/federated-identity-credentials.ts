/**
 * `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`: a child (proxy)
 * type of user-assigned identities on the provider kit. Synchronous like its parent (201 create,
 * 200 update, 200/204 delete; MSI REST spec `FederatedIdentityCredential.tsp`:
 * `ArmResourceCreateOrReplaceSync`). Azure's rules (shared/reference/aks-wire.md §4.1) are the shared
 * ones of src/core/workload-identity/federated-credentials.ts, answered with the MSI RP's `BadRequest`
 * ("The request format was unexpected. Federated Identity Credential must specify 'issuer', 'subject'
 * and 'audience'." is a real answer of the RP, code BadRequest).
 *
 * Writes under one identity are serialised on the identity: each write moves the identity's etag
 * inside its transaction, so of two concurrent writes the second finds the etag moved and is answered
 * 409 `Conflict`, as Azure answers concurrent writes to one identity's credentials. That also makes
 * the 20-per-identity limit and issuer + subject uniqueness hold under concurrency.
 */
import { USER_ASSIGNED_IDENTITY_SPEC } from '../../core/identities/user-assigned-identities.js';
import { DomainError } from '../../core/errors.js';
import type { ResourceRecord } from '../../core/model.js';
import type { TrackedHookContext, TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import { checkAmongSiblings, checkFederatedCredentialName, readFederatedCredential, type Invalid } from '../../core/workload-identity/federated-credentials.js';
import {
  FEDERATED_CREDENTIAL_LEAF,
  identityIdOf,
  listIdentityCredentialResources,
  toFederatedCredential,
} from '../../core/workload-identity/identity-credentials.js';
import type { RenderContext } from '../../http/arm/tracked-routes.js';

const badRequest: Invalid = (message, target) => new DomainError('BadRequest', message, target ? { target } : {});

/** The api-versions that have federated credentials (2022-01-31-preview first; az 2.45 sends it, @azure/arm-msi 2.2 sends 2024-11-30). */
export const FIC_API_VERSIONS = ['2025-01-31-preview', '2024-11-30', '2023-07-31-preview', '2023-01-31', '2022-01-31-preview'] as const;

async function checkWrite(ctx: TrackedHookContext): Promise<void> {
  const { tx, resource } = ctx;
  const identityId = identityIdOf(resource.id);
  const identity = await tx.resources.get(identityId);
  if (!identity) throw new DomainError('ResourceNotFound', "The parent user-assigned identity doesn't exist.");
  // Serialise writes under this identity (see the header): a lost race is Azure's 409.
  if (!(await tx.resources.update({ ...identity, etag: ctx.ids.newGuid() }, identity.etag))) {
    throw new DomainError(
      'Conflict',
      `Another request is changing the federated identity credentials of the identity '${identity.name}' at the same time; retry the request.`,
    );
  }
  const others = (await listIdentityCredentialResources(tx.resources, identityId))
    .filter((r) => r.id.toLowerCase() !== resource.id.toLowerCase())
    .map(toFederatedCredential);
  checkAmongSiblings(toFederatedCredential(resource), others, badRequest, 'Managed Identity');
}

export const FEDERATED_IDENTITY_CREDENTIAL_SPEC: TrackedTypeSpec = {
  namespace: USER_ASSIGNED_IDENTITY_SPEC.namespace,
  type: `${USER_ASSIGNED_IDENTITY_SPEC.type}/${FEDERATED_CREDENTIAL_LEAF}`,
  label: 'federated identity credential',
  shape: 'proxy',
  parent: USER_ASSIGNED_IDENTITY_SPEC,
  assertName: (name) => checkFederatedCredentialName(name, badRequest),
  properties: {
    write(properties) {
      if (Object.keys(properties).length === 0) throw badRequest('Federated Identity Credential from HTTP body has empty properties', 'properties');
      return { ...readFederatedCredential(properties, badRequest, 'properties.') };
    },
  },
  hooks: {
    onCreate: async (ctx) => {
      await checkWrite(ctx);
    },
    onUpdate: async (ctx) => {
      await checkWrite(ctx);
    },
  },
};

/** The wire body (MSI spec `FederatedIdentityCredential`): no provisioningState, no location or tags. */
export function toFederatedIdentityCredentialWire(resource: ResourceRecord, ctx: RenderContext) {
  const credential = toFederatedCredential(resource);
  return {
    id: ctx.path ?? resource.id,
    name: resource.name,
    type: `${USER_ASSIGNED_IDENTITY_SPEC.namespace}/${USER_ASSIGNED_IDENTITY_SPEC.type}/${FEDERATED_CREDENTIAL_LEAF}`,
    properties: { issuer: credential.issuer, subject: credential.subject, audiences: credential.audiences },
  };
}
