/**
 * Add-on profiles (`properties.addonProfiles`): each needs `enabled`; an add-on's `identity` is the
 * RP's (the cluster hooks create it), kept from the stored cluster while the add-on stays enabled.
 */
import { isJsonObject, type JsonObject } from '../../../core/resources/tracked/json-paths.js';
import { invalidParameter } from './property-helpers.js';

/** Add-on profile names as `az` and the RP spell them (keys are compared case-insensitively). */
export function completeAddons(sent: unknown, previous: JsonObject | undefined): JsonObject {
  if (sent === undefined || sent === null) return previous ?? {};
  if (!isJsonObject(sent)) throw invalidParameter("'properties.addonProfiles' must be an object of add-on profiles.", 'properties.addonProfiles');
  const result: JsonObject = {};
  for (const [name, profile] of Object.entries(sent)) {
    if (!isJsonObject(profile) || typeof profile['enabled'] !== 'boolean') {
      throw invalidParameter(`The add-on profile '${name}' needs 'enabled': true or false.`, `properties.addonProfiles.${name}`);
    }
    // `identity` is the RP's (read-only): what a client echoes is ignored; the hook sets it.
    const { identity: _ignored, ...rest } = profile;
    const before = previous && Object.entries(previous).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    result[name] = {
      config: null,
      ...rest,
      ...(isJsonObject(before) && isJsonObject(before['identity']) && rest['enabled'] ? { identity: before['identity'] } : {}),
    };
  }
  return result;
}
