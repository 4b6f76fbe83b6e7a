/**
 * Rules every tracked resource type that holds identities shares (user-assigned identities, VMs,
 * later clusters): its group must exist, its location is required and normalised, it cannot move,
 * and a missing resource gets ARM's `ResourceNotFound` message.
 */
import { DomainError } from '../errors.js';
import type { Page, ResourceGroup, ResourceRecord } from '../model.js';
import type { Repositories } from '../ports.js';
import { checkPageSize, readFilteredPage } from '../resources/list-query.js';
import { assertResourceGroupName } from '../resources/names.js';
import { resourceGroupNotFound } from '../resources/resource-group-service.js';

/** The group a resource lives in; throws ARM's 404 `ResourceGroupNotFound` when absent. */
export async function loadResourceGroup(repos: Pick<Repositories, 'resourceGroups'>, subscriptionId: string, name: string): Promise<ResourceGroup> {
  assertResourceGroupName(name);
  const group = await repos.resourceGroups.get(subscriptionId, name);
  if (!group) throw resourceGroupNotFound(name);
  return group;
}

/**
 * A resource's location as ARM stores it ("West US 2" → "westus2"). Required on create
 * (`LocationRequired`); Keyless has no region list, so any letters-and-digits name is a region.
 */
export function normalizeResourceLocation(location: unknown): string {
  if (location === undefined || location === null || (typeof location === 'string' && location.trim() === '')) {
    throw new DomainError('LocationRequired', 'The location property is required for this definition.', { target: 'location' });
  }
  const normalized = String(location).replace(/\s+/g, '').toLowerCase();
  if (typeof location !== 'string' || !/^[a-z0-9]{1,64}$/.test(normalized)) {
    throw new DomainError(
      'InvalidParameter',
      `The provided location '${String(location)}' is not valid. A location is a region name made of letters and digits, such as 'westus2'.`,
      { target: 'location' },
    );
  }
  return normalized;
}

/** ARM refuses to move a resource by PUT: the location must be the one it was created in. */
export function assertSameLocation(resource: ResourceRecord, location: string, typeLabel: string): void {
  if (resource.location !== location) {
    throw new DomainError(
      'InvalidResourceLocation',
      `The resource '${typeLabel}/${resource.name}' already exists in location '${resource.location}' in resource group '${resource.resourceGroup}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`,
      { target: 'location' },
    );
  }
}

/** ARM's 404 for a resource that does not exist in its group. */
export function resourceNotFound(type: string, name: string, resourceGroup: string): DomainError {
  return new DomainError(
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** Options of a list of one resource type. */
export interface ResourceListQuery {
  top?: number;
  after?: string;
}

/** One page of the resources of `type` in a group (which must exist) or in a subscription. */
export async function listResourcesOfType(
  repos: Pick<Repositories, 'resources' | 'resourceGroups'>,
  scope: { subscriptionId: string; resourceGroup?: string },
  type: string,
  query: ResourceListQuery,
): Promise<Page<ResourceRecord>> {
  const size = checkPageSize(query.top);
  if (scope.resourceGroup === undefined) {
    return readFilteredPage(
      (page) => repos.resources.listBySubscription(scope.subscriptionId, page, type),
      () => true,
      size,
      query.after,
    );
  }
  const group = await loadResourceGroup(repos, scope.subscriptionId, scope.resourceGroup);
  return readFilteredPage(
    (page) => repos.resources.listByGroup(scope.subscriptionId, group.name, page, type),
    () => true,
    size,
    query.after,
  );
}
