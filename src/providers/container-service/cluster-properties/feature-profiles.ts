/**
 * The profiles the RP fills with defaults and little else: security (empty unless sent), storage
 * (the CSI drivers and snapshot controller on), and the OIDC issuer, which cannot be disabled once enabled.
 */
import { DomainError } from '../../../core/errors.js';
import { isJsonObject, type JsonObject } from '../../../core/resources/tracked/json-paths.js';

/** Fills `securityProfile`, `storageProfile` and `oidcIssuerProfile` of the overlaid properties `p`. */
export function completeFeatureProfiles(p: JsonObject, previous: JsonObject | undefined): void {
  p['securityProfile'] = isJsonObject(p['securityProfile']) ? p['securityProfile'] : {};
  p['storageProfile'] = {
    diskCSIDriver: { enabled: true },
    fileCSIDriver: { enabled: true },
    snapshotController: { enabled: true },
    ...(isJsonObject(p['storageProfile']) ? p['storageProfile'] : {}),
  };
  const oidc = isJsonObject(p['oidcIssuerProfile']) ? p['oidcIssuerProfile'] : {};
  const wasEnabled = isJsonObject(previous?.['oidcIssuerProfile']) && (previous!['oidcIssuerProfile'] as JsonObject)['enabled'] === true;
  if (wasEnabled && oidc['enabled'] === false) {
    throw new DomainError('OIDCIssuerCannotBeDisabled', 'OIDC issuer cannot be disabled once it has been enabled on a managed cluster.', {
      target: 'properties.oidcIssuerProfile.enabled',
    });
  }
  p['oidcIssuerProfile'] = { ...oidc, enabled: oidc['enabled'] === true };
}
