/**
 * Which resource types can run a host agent, and which of a host's identities code on it may get
 * tokens for. Providers declare their host types (a VM: every identity it holds; an AKS node: the
 * kubelet and add-on identities, never the cluster's control-plane identity; an HDInsight node: none
 * for customers); attestation, token issuing and the identity watch read the declarations, so no
 * resource type is hard-coded here.
 */
import type { ResourceRecord } from '../model.js';
import type { PrincipalRepository, ResourceRepository } from '../ports.js';
import { readStoredIdentity, type HeldIdentity } from '../identities/stored-identity.js';

/** The identities of a host resource that workloads on it may use. */
export interface UsableIdentities {
  systemAssigned: boolean;
  /** ARM ids of user-assigned identities. */
  userAssigned: readonly string[];
}

export interface HostTypeDeclaration {
  /** `Namespace/type`, e.g. `Microsoft.Compute/virtualMachines`. */
  resourceType: string;
  /**
   * Default: every identity in the resource's identity block. `resources` reads other resources (an
   * AKS node pool's usable identities are its cluster's kubelet and add-on identities).
   */
  usableIdentities?(resource: ResourceRecord, resources: Pick<ResourceRepository, 'get'>): UsableIdentities | Promise<UsableIdentities>;
}

export interface HostTypes {
  /** The declared host resource types, as declared. */
  readonly types: readonly string[];
  isHost(resourceType: string): boolean;
  /** The identities workloads on `host` may use now, each with its principal (deleted identities drop out). */
  usable(
    host: ResourceRecord,
    repos: { principals: Pick<PrincipalRepository, 'getByResourceId'>; resources: Pick<ResourceRepository, 'get'> },
  ): Promise<HeldIdentity[]>;
}

/** Every identity of the resource's identity block. */
export function allHeldIdentities(resource: Pick<ResourceRecord, 'identity'>): UsableIdentities {
  const stored = readStoredIdentity(resource.identity);
  return { systemAssigned: stored.systemAssigned, userAssigned: Object.keys(stored.userAssignedIdentities) };
}

export function createHostTypes(declarations: readonly HostTypeDeclaration[]): HostTypes {
  const byType = new Map(declarations.map((d) => [d.resourceType.toLowerCase(), d]));
  return {
    types: declarations.map((d) => d.resourceType),
    isHost: (type) => byType.has(type.toLowerCase()),
    async usable(host, repos) {
      const declaration = byType.get(host.type.toLowerCase());
      if (!declaration) return [];
      return resolveUsable(host, await (declaration.usableIdentities ?? allHeldIdentities)(host, repos.resources), repos.principals);
    },
  };
}

/**
 * The principals behind `usable`. A user-assigned identity counts only while its own principal exists
 * (a deleted identity stops at once even if a resource still names it).
 */
async function resolveUsable(
  host: ResourceRecord,
  usable: UsableIdentities,
  principals: Pick<PrincipalRepository, 'getByResourceId'>,
): Promise<HeldIdentity[]> {
  const held: HeldIdentity[] = [];
  if (usable.systemAssigned) {
    const principal = await principals.getByResourceId(host.id);
    if (principal) held.push({ system: true, principal, resourceId: host.id });
  }
  for (const id of usable.userAssigned) {
    const principal = await principals.getByResourceId(id);
    if (principal && principal.resourceId?.toLowerCase() !== host.id.toLowerCase())
      held.push({ system: false, principal, resourceId: principal.resourceId ?? id });
  }
  return held;
}
