/**
 * What the AKS resource provider does around a cluster write, inside the write's transaction (so a
 * refusal leaves nothing behind: no node resource group, no identity, no role assignment):
 * - the control-plane identity: the cluster's system-assigned identity, or its one user-assigned
 *   identity; `servicePrincipalProfile` reads `{"clientId": "msi"}`; no way back to a service principal;
 * - the node resource group `MC_{group}_{cluster}_{location}` (or the one named), `managedBy` the
 *   cluster, where the control-plane identity holds Contributor;
 * - the kubelet identity: `{cluster}-agentpool` in the node group, or a pre-created one (only with a
 *   user-assigned control plane, which must hold Managed Identity Operator on it);
 * - one identity per enabled add-on (`{addon}-{cluster}`, lower case), removed when disabled, with
 *   the role the RP gives it on the node group;
 * - the agent pool child resources, kept equal to `agentPoolProfiles` (they are the nodes' hosts);
 * - on delete, the node resource group and everything in it.
 * Wire facts: shared/reference/aks-wire.md §2.1 (RP side) and ten-facts #3–#6.
 */
import { isoTime } from '../../core/clock.js';
import { DomainError } from '../../core/errors.js';
import { USER_ASSIGNED_IDENTITY_NAMESPACE } from '../../core/identities/identity-names.js';
import { ASSIGN_IDENTITY_ACTION } from '../../core/identities/linked-authorization.js';
import { readStoredIdentity } from '../../core/identities/stored-identity.js';
import type { ResourceRecord } from '../../core/model.js';
import type { Repositories } from '../../core/ports.js';
import type { RoleAssignment } from '../../core/rbac/model.js';
import { providerResourceId, resourceGroupResourceId, resourceKey } from '../../core/resource-id.js';
import { isJsonObject, type JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { TrackedHookContext, TrackedHooks } from '../../core/resources/tracked/spec.js';
import type { TrackedResourceService } from '../../core/resources/tracked/tracked-resource-service.js';
import { upsertChildResource } from '../kit/child-resources.js';
import type { ProviderDeps } from '../kit/tracked-provider.js';
import { AGENT_POOL_TYPE } from './cluster-properties/names.js';

/** Built-in role ids (Azure's). */
export const ROLE = {
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  managedIdentityOperator: 'f1a07417-d97a-45cb-824c-7a7467783830',
  networkContributor: '4d97b98b-1d4f-4787-a291-c67834d212e7',
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
} as const;

/**
 * Add-ons that get an identity of their own, with the role the RP gives it on the node resource
 * group (the seed's table: "Default permissions"). Roles outside the node group (the Application
 * Gateway's group, a DNS zone, Monitoring Metrics Publisher on the cluster) are `az`'s to make.
 */
const ADDON_IDENTITIES: Readonly<Record<string, { identityPrefix: string; nodeGroupRole?: string }>> = {
  omsagent: { identityPrefix: 'omsagent' },
  azurepolicy: { identityPrefix: 'azurepolicy' },
  azurekeyvaultsecretsprovider: { identityPrefix: 'azurekeyvaultsecretsprovider' },
  ingressapplicationgateway: { identityPrefix: 'ingressapplicationgateway', nodeGroupRole: ROLE.contributor },
  aciconnectorlinux: { identityPrefix: 'aciconnectorlinux', nodeGroupRole: ROLE.contributor },
  httpapplicationrouting: { identityPrefix: 'httpapplicationrouting', nodeGroupRole: ROLE.reader },
};

const SUBNET_TYPE = 'Microsoft.Network/virtualNetworks/subnets';

/** An id with `/resourcegroups/` in lower case, as the RP writes the ids of what it creates. */
const rpSpelling = (id: string) => id.replace(/\/resourceGroups\//i, '/resourcegroups/');

function controlPlanePrincipal(resource: Pick<ResourceRecord, 'identity'>): { principalId: string; system: boolean } | undefined {
  const stored = readStoredIdentity(resource.identity);
  if (stored.systemAssigned && stored.principalId) return { principalId: stored.principalId, system: true };
  const first = Object.values(stored.userAssignedIdentities)[0];
  return first ? { principalId: first.principalId, system: false } : undefined;
}

async function grant(tx: Repositories, principalId: string, role: string, scope: string, now: string, newGuid: () => string, what: string): Promise<void> {
  if (await tx.roleAssignments.find(principalId.toLowerCase(), role, scope)) return;
  const assignment: RoleAssignment = {
    name: newGuid().toLowerCase(),
    scope,
    roleDefinitionName: role,
    principalId: principalId.toLowerCase(),
    principalType: 'ServicePrincipal',
    description: `Made by Microsoft.ContainerService for ${what}`,
    createdOn: now,
    updatedOn: now,
    createdBy: null,
    updatedBy: null,
  };
  await tx.roleAssignments.insert(assignment);
  // The change feed carries it to every server's RBAC index (within one poll, 200 ms by default).
  await tx.rbacChanges.record('assignment', assignment.name);
}

async function revoke(tx: Repositories, principalId: string, role: string, scope: string): Promise<void> {
  const found = await tx.roleAssignments.find(principalId.toLowerCase(), role, scope);
  if (!found) return;
  await tx.roleAssignments.delete(found.name);
  await tx.rbacChanges.record('assignment', found.name);
}

/** Every role assignment made at or below `scope`, deleted (the scope itself is going away). */
async function revokeBelow(tx: Repositories, scope: string): Promise<void> {
  const key = resourceKey(scope);
  for (;;) {
    const page = await tx.roleAssignments.list({ atScopeKeys: [key], belowScopeKey: key }, { limit: 200 });
    const own = page.items.filter((a) => resourceKey(a.scope) === key || resourceKey(a.scope).startsWith(`${key}/`));
    if (own.length === 0) return;
    for (const a of own) {
      await tx.roleAssignments.delete(a.name);
      await tx.rbacChanges.record('assignment', a.name);
    }
  }
}

export interface ClusterHookDeps extends Pick<ProviderDeps, 'rbac'> {
  /** The user-assigned identity type's lifecycle service (the kubelet and add-on identities are written through it). */
  identities: TrackedResourceService;
}

export function managedClusterHooks(deps: ClusterHookDeps): TrackedHooks {
  async function createNodeGroup(ctx: TrackedHookContext, name: string): Promise<void> {
    const { tx, resource, target } = ctx;
    if (name.toLowerCase() === resource.resourceGroup.toLowerCase()) {
      throw new DomainError(
        'NodeResourceGroupSameAsResourceGroup',
        `The node resource group '${name}' cannot be the resource group of the managed cluster itself. Please choose another name for properties.nodeResourceGroup.`,
        { target: 'properties.nodeResourceGroup' },
      );
    }
    if (await tx.resourceGroups.get(target.subscriptionId, name)) {
      throw new DomainError(
        'NodeResourceGroupAlreadyExists',
        `The node resource group '${name}' already exists. AKS creates the node resource group itself: delete it, or choose another name for properties.nodeResourceGroup.`,
        { target: 'properties.nodeResourceGroup' },
      );
    }
    const now = isoTime(ctx.clock.now());
    await tx.resourceGroups.insert({
      subscriptionId: target.subscriptionId,
      name,
      location: resource.location,
      managedBy: resource.id,
      tags: {},
      provisioningState: 'Succeeded',
      etag: ctx.ids.newGuid(),
      createdAt: now,
      updatedAt: now,
    });
  }

  /** A user-assigned identity AKS owns, in the node group (created when absent). */
  async function ownedIdentity(ctx: TrackedHookContext, nodeGroup: string, name: string): Promise<JsonObject> {
    const target = { subscriptionId: ctx.target.subscriptionId, tenantId: ctx.target.tenantId, resourceGroup: nodeGroup, name };
    const existing = await ctx.tx.resources.get(
      providerResourceId(target.subscriptionId, nodeGroup, USER_ASSIGNED_IDENTITY_NAMESPACE, 'userAssignedIdentities', name),
    );
    const written = existing ? { resource: existing } : await deps.identities.writeInTx(ctx.tx, target, { location: ctx.resource.location }, 'replace');
    const p = written.resource.properties;
    return { resourceId: rpSpelling(written.resource.id), clientId: p['clientId'], objectId: p['principalId'] };
  }

  async function checkSubnets(ctx: TrackedHookContext, pools: JsonObject[]): Promise<void> {
    for (const pool of pools) {
      const subnetId = pool['vnetSubnetID'];
      if (typeof subnetId !== 'string') continue;
      const parts = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)$/i.exec(
        subnetId,
      );
      if (!parts) {
        throw new DomainError(
          'InvalidParameter',
          `The value of parameter agentPoolProfile.vnetSubnetID is invalid: '${subnetId}' is not a subnet resource id. Please see https://aka.ms/aks-vnet for more details.`,
          { target: 'agentPoolProfile.vnetSubnetID' },
        );
      }
      const subnet = await ctx.tx.resources.get(subnetId);
      if (!subnet || subnet.type.toLowerCase() !== SUBNET_TYPE.toLowerCase()) {
        throw new DomainError(
          'SubnetNotFound',
          `Could not find subnet ${parts[4]} in vnet ${parts[3]} from resource group ${parts[2]} of subscription ${parts[1]}.`,
          { target: 'agentPoolProfile.vnetSubnetID' },
        );
      }
    }
  }

  /** The agent pool records, equal to `agentPoolProfiles` (inserted before the cluster row: no foreign key between them). */
  async function syncPools(ctx: TrackedHookContext, pools: JsonObject[]): Promise<void> {
    const now = isoTime(ctx.clock.now());
    for (const profile of pools) {
      const { name, ...properties } = profile;
      const id = `${ctx.resource.id}/agentPools/${String(name)}`;
      await upsertChildResource(ctx, ctx.resource, { id, type: AGENT_POOL_TYPE, name: String(name), properties, now, skipUnchanged: true });
    }
  }

  async function reconcile(ctx: TrackedHookContext): Promise<ResourceRecord> {
    const { tx, resource, previous } = ctx;
    const props: JsonObject = structuredClone(resource.properties);
    const cp = controlPlanePrincipal(resource);
    const before = previous ? controlPlanePrincipal(previous) : undefined;
    const nodeGroup = String(props['nodeResourceGroup']);
    const nodeScope = resourceGroupResourceId(resource.subscriptionId, nodeGroup);
    const now = isoTime(ctx.clock.now());
    const newGuid = () => ctx.ids.newGuid();
    const what = `managed cluster '${resource.name}'`;

    if (before && !cp) {
      throw new DomainError(
        'BadRequest',
        "Once you create a cluster with a managed identity, you can't switch back to using a service principal. 'identity.type' must stay 'SystemAssigned' or 'UserAssigned'.",
        { target: 'identity.type' },
      );
    }
    const sp = isJsonObject(props['servicePrincipalProfile']) ? props['servicePrincipalProfile'] : undefined;
    if (cp) {
      props['servicePrincipalProfile'] = { clientId: 'msi' };
    } else if (!sp || typeof sp['clientId'] !== 'string' || sp['clientId'] === '' || sp['clientId'] === 'msi') {
      throw new DomainError(
        'BadRequest',
        "The managed cluster has neither a managed identity nor a service principal: set 'identity.type' to 'SystemAssigned' or 'UserAssigned', or give 'servicePrincipalProfile' with 'clientId' and 'secret'.",
        { target: 'properties.servicePrincipalProfile' },
      );
    } else {
      const app = await tx.principals.getByAppId(ctx.target.tenantId, sp['clientId']);
      if (!app) {
        throw new DomainError(
          'BadRequest',
          `Service principal clientID: ${sp['clientId']} not found in Active Directory tenant ${ctx.target.tenantId}, Please see https://aka.ms/aks-sp-help for more details.`,
          { target: 'properties.servicePrincipalProfile.clientId' },
        );
      }
      if (
        !previous &&
        (typeof ctx.input?.properties?.['servicePrincipalProfile'] !== 'object' || !(ctx.input.properties['servicePrincipalProfile'] as JsonObject)['secret'])
      ) {
        throw new DomainError('BadRequest', "A service principal cluster needs 'servicePrincipalProfile.secret' when it is created.", {
          target: 'properties.servicePrincipalProfile.secret',
        });
      }
      props['servicePrincipalProfile'] = { clientId: sp['clientId'] };
    }

    // "AKS doesn't support the use of a system-assigned managed identity when using a custom private
    // DNS zone" (seed 003, Limitations). The code is AKS's for custom resources with a system-assigned
    // identity (shared/reference/aks-wire.md §1.6); the wording for the DNS zone follows its VNet message.
    const privateDnsZone = (props['apiServerAccessProfile'] as JsonObject | undefined)?.['privateDNSZone'];
    if (cp?.system && typeof privateDnsZone === 'string' && !['system', 'none', ''].includes(privateDnsZone.toLowerCase())) {
      throw new DomainError(
        'OnlySupportedOnUserAssignedMSICluster',
        'System-assigned managed identity not supported for custom resource PrivateDNSZone. Please use user-assigned managed identity.',
        { target: 'properties.apiServerAccessProfile.privateDNSZone' },
      );
    }
    const pools = props['agentPoolProfiles'] as JsonObject[];
    await checkSubnets(ctx, pools);
    if (!previous) await createNodeGroup(ctx, nodeGroup);

    // Kubelet identity (managed-identity clusters only).
    const previousKubelet = (previous?.properties['identityProfile'] as JsonObject | undefined)?.['kubeletidentity'] as JsonObject | undefined;
    const asked = (props['identityProfile'] as JsonObject | undefined)?.['kubeletidentity'] as JsonObject | undefined;
    if (!cp) {
      delete props['identityProfile'];
    } else if (asked && !(previousKubelet && resourceKey(String(previousKubelet['resourceId'])) === resourceKey(String(asked['resourceId'])))) {
      const kubeletId = String(asked['resourceId']);
      if (cp.system) {
        throw new DomainError(
          'CustomKubeletIdentityOnlySupportedOnUserAssignedMSICluster',
          'Custom kubelet identity is only supported on a cluster using a user-assigned managed identity: set identity.type to UserAssigned with the control plane identity in identity.userAssignedIdentities. See https://learn.microsoft.com/en-us/azure/aks/use-managed-identity#use-a-pre-created-kubelet-managed-identity',
          { target: 'properties.identityProfile.kubeletidentity.resourceId' },
        );
      }
      if (deps.rbac && !deps.rbac.access.can(cp.principalId, ASSIGN_IDENTITY_ACTION, kubeletId)) {
        throw new DomainError(
          'CustomKubeletIdentityMissingPermissionError',
          `The cluster using user-assigned managed identity must be granted 'Managed Identity Operator' role to assign kubelet identity. You can run 'az role assignment create --assignee ${cp.principalId} --role 'Managed Identity Operator' --scope ${kubeletId}' to grant the permission. See https://learn.microsoft.com/en-us/azure/aks/use-managed-identity#add-role-assignment`,
          { target: 'properties.identityProfile.kubeletidentity.resourceId' },
        );
      }
      const principal = await tx.principals.getByResourceId(kubeletId);
      props['identityProfile'] = { kubeletidentity: { resourceId: kubeletId, clientId: principal?.appId, objectId: principal?.objectId } };
    } else if (previousKubelet) {
      props['identityProfile'] = { kubeletidentity: previousKubelet };
    } else {
      props['identityProfile'] = { kubeletidentity: await ownedIdentity(ctx, nodeGroup, `${resource.name}-agentpool`) };
    }

    // Add-on identities: one per enabled add-on that has one; removed when the add-on is disabled or dropped.
    const addons = props['addonProfiles'] as JsonObject;
    const previousAddons = (previous?.properties['addonProfiles'] as JsonObject | undefined) ?? {};
    for (const [name, raw] of Object.entries(addons)) {
      const profile = raw as JsonObject;
      const known = ADDON_IDENTITIES[name.toLowerCase()];
      if (!known || !cp) {
        delete profile['identity'];
        continue;
      }
      if (profile['enabled'] !== true) {
        delete profile['identity'];
        continue;
      }
      const identity = await ownedIdentity(ctx, nodeGroup, `${known.identityPrefix}-${resource.name.toLowerCase()}`);
      profile['identity'] = identity;
      if (known.nodeGroupRole) await grant(tx, String(identity['objectId']), known.nodeGroupRole, nodeScope, now, newGuid, `the ${name} add-on of ${what}`);
    }
    for (const [name, raw] of Object.entries(previousAddons)) {
      const was = (raw as JsonObject)['identity'] as JsonObject | undefined;
      const still = Object.entries(addons).find(
        ([k, v]) => k.toLowerCase() === name.toLowerCase() && (v as JsonObject)['enabled'] === true && (v as JsonObject)['identity'],
      );
      if (!was || still) continue;
      const identityName = String(was['resourceId']).split('/').at(-1)!;
      await revokeBelow(tx, String(was['resourceId']));
      const known = ADDON_IDENTITIES[name.toLowerCase()];
      if (known?.nodeGroupRole) await revoke(tx, String(was['objectId']), known.nodeGroupRole, nodeScope);
      await deps.identities.deleteInTx(tx, {
        subscriptionId: resource.subscriptionId,
        tenantId: ctx.target.tenantId,
        resourceGroup: nodeGroup,
        name: identityName,
      });
    }

    // The control-plane identity is Contributor on the node resource group (the RP's assignment).
    if (before && (!cp || before.principalId !== cp.principalId)) await revoke(tx, before.principalId, ROLE.contributor, nodeScope);
    if (cp) await grant(tx, cp.principalId, ROLE.contributor, nodeScope, now, newGuid, `the control plane of ${what}`);

    await syncPools(ctx, pools);
    return { ...resource, properties: props };
  }

  return {
    onCreate: reconcile,
    onUpdate: reconcile,
    async onDelete({ tx, resource }) {
      const nodeGroup = String(resource.properties['nodeResourceGroup'] ?? '');
      const group = nodeGroup ? await tx.resourceGroups.get(resource.subscriptionId, nodeGroup) : undefined;
      // Only a group this cluster manages goes with it.
      if (!group || resourceKey(group.managedBy ?? '') !== resourceKey(resource.id)) return;
      const scope = resourceGroupResourceId(resource.subscriptionId, group.name);
      await revokeBelow(tx, scope);
      await tx.resources.deleteByGroup(resource.subscriptionId, group.name);
      await tx.principals.deleteByResourceScope(scope);
      await tx.resourceGroups.delete(resource.subscriptionId, group.name);
    },
  };
}
