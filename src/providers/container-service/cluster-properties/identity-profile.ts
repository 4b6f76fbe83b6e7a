/**
 * The identity profile (`properties.identityProfile.kubeletidentity`, a user-assigned identity named
 * by `resourceId`), and the identities a cluster's nodes may use: the kubelet's and the enabled
 * add-ons' (never the control plane's).
 */
import { DomainError } from '../../../core/errors.js';
import type { ResourceRecord } from '../../../core/model.js';
import { isJsonObject, type JsonObject } from '../../../core/resources/tracked/json-paths.js';
import { invalidParameter } from './property-helpers.js';

/** Refuses an identity profile with other keys than `kubeletidentity`, or a kubelet identity without `resourceId`. */
export function checkIdentityProfile(identityProfile: unknown): void {
  if (identityProfile === undefined) return;
  if (!isJsonObject(identityProfile) || Object.keys(identityProfile).some((k) => k !== 'kubeletidentity')) {
    throw invalidParameter("The value of parameter identityProfile is invalid: the only accepted key is 'kubeletidentity'.", 'properties.identityProfile');
  }
  const kubelet = identityProfile['kubeletidentity'];
  if (!isJsonObject(kubelet) || typeof kubelet['resourceId'] !== 'string' || kubelet['resourceId'] === '') {
    throw new DomainError(
      'CustomKubeletIdentityOnlySupportedOnUserAssignedMSICluster',
      "The value of parameter identityProfile.kubeletidentity is invalid: it must name a user assigned identity by 'resourceId'.",
      { target: 'properties.identityProfile.kubeletidentity.resourceId' },
    );
  }
}

/** The kubelet and add-on identities of a cluster (ARM ids): what workloads on its nodes may use. */
export function nodeIdentityIds(cluster: Pick<ResourceRecord, 'properties'> | undefined): string[] {
  if (!cluster) return [];
  const ids: string[] = [];
  const kubelet = (cluster.properties['identityProfile'] as JsonObject | undefined)?.['kubeletidentity'];
  if (isJsonObject(kubelet) && typeof kubelet['resourceId'] === 'string') ids.push(kubelet['resourceId']);
  for (const addon of Object.values((cluster.properties['addonProfiles'] as JsonObject | undefined) ?? {})) {
    if (isJsonObject(addon) && addon['enabled'] === true && isJsonObject(addon['identity']) && typeof addon['identity']['resourceId'] === 'string')
      ids.push(addon['identity']['resourceId']);
  }
  return ids;
}
