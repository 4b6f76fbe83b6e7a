/**
 * The federated credentials of a user-assigned identity: child resources of type
 * `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials` stored by the
 * provider kit below the identity (`{identityId}/federatedIdentityCredentials/{name}`).
 */
import { parseUserAssignedIdentityId, USER_ASSIGNED_IDENTITY_TYPE } from '../identities/identity-names.js';
import type { ResourceRecord } from '../model.js';
import type { ResourceRepository } from '../ports.js';
import type { FederatedCredential } from './federated-credentials.js';

export const FEDERATED_CREDENTIAL_LEAF = 'federatedIdentityCredentials';
export const FEDERATED_CREDENTIAL_TYPE = `${USER_ASSIGNED_IDENTITY_TYPE}/${FEDERATED_CREDENTIAL_LEAF}`;

/** A stored credential resource as the shared model. */
export function toFederatedCredential(resource: ResourceRecord): FederatedCredential {
  const p = resource.properties;
  return {
    name: resource.name,
    issuer: String(p['issuer']),
    subject: String(p['subject']),
    audiences: Array.isArray(p['audiences']) ? (p['audiences'] as unknown[]).map(String) : [],
  };
}

/** The id of the identity a credential id belongs to. */
export function identityIdOf(credentialId: string): string {
  const at = credentialId.toLowerCase().lastIndexOf(`/${FEDERATED_CREDENTIAL_LEAF.toLowerCase()}/`);
  return at < 0 ? credentialId : credentialId.slice(0, at);
}

/** Every credential resource below the identity `identityId` (at most a few dozen: Azure allows 20). */
export async function listIdentityCredentialResources(resources: Pick<ResourceRepository, 'listByGroup'>, identityId: string): Promise<ResourceRecord[]> {
  const ref = parseUserAssignedIdentityId(identityId);
  if (!ref) return [];
  const prefix = `${identityId.toLowerCase()}/${FEDERATED_CREDENTIAL_LEAF.toLowerCase()}/`;
  const found: ResourceRecord[] = [];
  let after: string | undefined;
  do {
    const page = await resources.listByGroup(ref.subscriptionId, ref.resourceGroup, { limit: 200, after }, FEDERATED_CREDENTIAL_TYPE);
    found.push(...page.items.filter((r) => r.id.toLowerCase().startsWith(prefix)));
    after = page.next;
  } while (after !== undefined);
  return found;
}

/** The identity's credentials, as the shared model. */
export async function listIdentityCredentials(resources: Pick<ResourceRepository, 'listByGroup'>, identityId: string): Promise<FederatedCredential[]> {
  return (await listIdentityCredentialResources(resources, identityId)).map(toFederatedCredential);
}
