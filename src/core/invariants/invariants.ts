/**
 * The invariants that tie the stored objects together, checked over a snapshot of the whole store.
 * Every write that creates or removes a pair (a resource and its managed-identity principal, a group
 * and its resources) does so in one transaction, so a crash at any moment must leave none of these
 * half-made; `keyless check` reports each one it finds (docs/adr/0010-reliability.md).
 */
import { resourceKey } from '../resource-id.js';
import { readStoredIdentity } from '../identities/stored-identity.js';
import { BUILT_IN_ROLES } from '../rbac/built-in-roles.js';

export interface SnapshotPrincipal {
  tenantId: string;
  objectId: string;
  appId: string;
  kind: string;
  resourceId: string | null;
}
export interface SnapshotResource {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  type: string;
  identity: Record<string, unknown> | null;
  properties: Record<string, unknown>;
}
export interface SnapshotGroup {
  subscriptionId: string;
  name: string;
  managedBy: string | null;
}
export interface SnapshotAssignment {
  name: string;
  scope: string;
  roleDefinitionName: string;
  principalId: string;
}

/** Everything the invariants look at, read in one pass. */
export interface InvariantSnapshot {
  principals: SnapshotPrincipal[];
  resources: SnapshotResource[];
  resourceGroups: SnapshotGroup[];
  roleAssignments: SnapshotAssignment[];
  /** Names (GUIDs) of the custom role definitions stored (built-in roles live in code). */
  roleDefinitionNames: string[];
}

export type ViolationKind =
  | 'resource-without-principal'
  | 'principal-without-resource'
  | 'principal-resource-mismatch'
  | 'identity-without-principal'
  | 'resource-without-group'
  | 'assignment-to-missing-principal'
  | 'assignment-to-missing-role'
  | 'cluster-without-node-group'
  | 'node-group-without-cluster';

export interface Violation {
  kind: ViolationKind;
  /** The object at fault (an ARM id, a principal's object id, an assignment's name). */
  subject: string;
  /** One sentence a person can act on. */
  detail: string;
}

const USER_ASSIGNED_TYPE = 'microsoft.managedidentity/userassignedidentities';
const MANAGED_CLUSTER_TYPE = 'microsoft.containerservice/managedclusters';
const MANAGED_CLUSTER_SEGMENT = '/providers/microsoft.containerservice/managedclusters/';

/** Every violation in `snapshot`, in a stable order. */
export function findViolations(snapshot: InvariantSnapshot): Violation[] {
  const out: Violation[] = [];
  const principalsByObject = new Map(snapshot.principals.map((p) => [p.objectId.toLowerCase(), p]));
  const resourcesByKey = new Map(snapshot.resources.map((r) => [resourceKey(r.id), r]));
  const groups = new Set(snapshot.resourceGroups.map((g) => `${g.subscriptionId}/${g.name}`.toLowerCase()));
  const roles = new Set([...snapshot.roleDefinitionNames, ...BUILT_IN_ROLES.map((r) => r.name)].map((n) => n.toLowerCase()));

  for (const resource of snapshot.resources) {
    if (!groups.has(`${resource.subscriptionId}/${resource.resourceGroup}`.toLowerCase())) {
      out.push({ kind: 'resource-without-group', subject: resource.id, detail: `its resource group '${resource.resourceGroup}' does not exist` });
    }
    const stored = readStoredIdentity(resource.identity);
    if (stored.systemAssigned) {
      const principal = stored.principalId ? principalsByObject.get(stored.principalId.toLowerCase()) : undefined;
      if (!principal) {
        out.push({
          kind: 'resource-without-principal',
          subject: resource.id,
          detail: `its system-assigned identity names principal '${stored.principalId ?? '(none)'}', which does not exist`,
        });
      } else if (principal.resourceId === null || resourceKey(principal.resourceId) !== resourceKey(resource.id)) {
        out.push({
          kind: 'principal-resource-mismatch',
          subject: resource.id,
          detail: `its system-assigned principal '${principal.objectId}' belongs to '${principal.resourceId ?? '(no resource)'}'`,
        });
      }
    }
    // An AKS cluster and the node resource group it manages live and die together.
    const nodeGroup = resource.properties['nodeResourceGroup'];
    if (
      resource.type.toLowerCase() === MANAGED_CLUSTER_TYPE &&
      typeof nodeGroup === 'string' &&
      nodeGroup !== '' &&
      !groups.has(`${resource.subscriptionId}/${nodeGroup}`.toLowerCase())
    ) {
      out.push({ kind: 'cluster-without-node-group', subject: resource.id, detail: `its node resource group '${nodeGroup}' does not exist` });
    }
    if (resource.type.toLowerCase() === USER_ASSIGNED_TYPE) {
      const principalId = typeof resource.properties['principalId'] === 'string' ? resource.properties['principalId'] : undefined;
      const principal = principalId ? principalsByObject.get(principalId.toLowerCase()) : undefined;
      if (!principal || principal.resourceId === null || resourceKey(principal.resourceId) !== resourceKey(resource.id)) {
        out.push({
          kind: 'identity-without-principal',
          subject: resource.id,
          detail: `the user-assigned identity's principal '${principalId ?? '(none)'}' does not exist or belongs elsewhere`,
        });
      }
    }
  }

  for (const group of snapshot.resourceGroups) {
    if (group.managedBy && group.managedBy.toLowerCase().includes(MANAGED_CLUSTER_SEGMENT) && !resourcesByKey.has(resourceKey(group.managedBy))) {
      out.push({
        kind: 'node-group-without-cluster',
        subject: `/subscriptions/${group.subscriptionId}/resourceGroups/${group.name}`,
        detail: `the AKS cluster '${group.managedBy}' that manages this node resource group does not exist`,
      });
    }
  }

  for (const principal of snapshot.principals) {
    if (principal.kind !== 'ManagedIdentity') continue;
    const resource = principal.resourceId ? resourcesByKey.get(resourceKey(principal.resourceId)) : undefined;
    if (!resource) {
      out.push({
        kind: 'principal-without-resource',
        subject: principal.objectId,
        detail: `the managed-identity principal's resource '${principal.resourceId ?? '(none)'}' does not exist`,
      });
      continue;
    }
    // The resource must still hold it: as its system-assigned identity, or as the user-assigned identity itself.
    const stored = readStoredIdentity(resource.identity);
    const held =
      resource.type.toLowerCase() === USER_ASSIGNED_TYPE
        ? String(resource.properties['principalId'] ?? '').toLowerCase() === principal.objectId.toLowerCase()
        : stored.systemAssigned && (stored.principalId ?? '').toLowerCase() === principal.objectId.toLowerCase();
    if (!held)
      out.push({
        kind: 'principal-without-resource',
        subject: principal.objectId,
        detail: `the resource '${resource.id}' no longer holds this managed-identity principal`,
      });
  }

  for (const assignment of snapshot.roleAssignments) {
    if (!principalsByObject.has(assignment.principalId.toLowerCase())) {
      out.push({
        kind: 'assignment-to-missing-principal',
        subject: assignment.name,
        detail: `the role assignment at '${assignment.scope}' is for principal '${assignment.principalId}', which does not exist`,
      });
    }
    if (!roles.has(assignment.roleDefinitionName.toLowerCase())) {
      out.push({
        kind: 'assignment-to-missing-role',
        subject: assignment.name,
        detail: `the role assignment at '${assignment.scope}' uses role definition '${assignment.roleDefinitionName}', which does not exist`,
      });
    }
  }
  return out;
}
