/**
 * Naming and value rules of Microsoft.Resources, as the REST specs and ARM enforce them. Each check
 * throws a {@link DomainError} with a message that tells the caller what is allowed.
 */
import { DomainError } from '../errors.js';
import { isGuid } from '../ids.js';
import type { Tags } from '../model.js';

/**
 * `^[-\w\._\(\)]+$` from resources.json, where `\w` is .NET's: Unicode letters, combining marks,
 * decimal digits and connector punctuation ("Can include alphanumeric, underscore, parentheses,
 * hyphen, period (except at end), and Unicode characters that match the allowed characters").
 */
const RESOURCE_GROUP_NAME = /^[-\p{L}\p{Mn}\p{Nd}\p{Pc}._()]+$/u;
export const RESOURCE_GROUP_NAME_MAX = 90;

/** ARM limits: 50 tags per resource, names up to 512 characters, values up to 256. */
export const MAX_TAGS = 50;
export const MAX_TAG_NAME = 512;
export const MAX_TAG_VALUE = 256;
/** Characters ARM refuses in tag names. */
const RESERVED_TAG_CHARS = /[<>%&\\?/]|[\u0000-\u001f]/;

/** Throws `InvalidResourceGroupName` unless `name` is a valid resource group name. */
export function assertResourceGroupName(name: string): void {
  const length = [...name].length;
  if (length < 1 || length > RESOURCE_GROUP_NAME_MAX || !RESOURCE_GROUP_NAME.test(name) || name.endsWith('.')) {
    throw new DomainError(
      'InvalidResourceGroupName',
      `Resource group name '${name}' is invalid. It must be 1 to ${RESOURCE_GROUP_NAME_MAX} characters long, contain only letters, digits, '-', '_', '.', '(' and ')', and not end with '.'.`,
      { target: 'resourceGroupName' },
    );
  }
}

/** Throws `InvalidSubscriptionId` unless `id` is a GUID (ARM's own message). */
export function assertSubscriptionId(id: string): void {
  if (!isGuid(id)) {
    throw new DomainError('InvalidSubscriptionId', `The provided subscription identifier '${id}' is malformed or invalid.`, { target: 'subscriptionId' });
  }
}

/**
 * Normalises a location the way ARM does for resource groups ("West US 2" → "westus2") and checks it
 * looks like a region name. Keyless has no fixed region list, so any letters-and-digits name is accepted.
 */
export function normalizeLocation(location: string | undefined | null): string {
  if (location === undefined || location === null || location.trim() === '') {
    throw new DomainError('LocationRequired', 'The location property is required for this definition.', { target: 'location' });
  }
  const normalized = location.replace(/\s+/g, '').toLowerCase();
  if (!/^[a-z0-9]{1,64}$/.test(normalized)) {
    throw new DomainError(
      'LocationNotAvailableForResourceGroup',
      `The provided location '${location}' is not available for resource group. A location is a region name made of letters and digits, such as 'westus2'.`,
      { target: 'location' },
    );
  }
  return normalized;
}

/** Checks ARM's tag limits; returns a copy. */
export function checkTags(tags: Tags | undefined | null): Tags {
  if (tags === undefined || tags === null) return {};
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) {
    throw new DomainError('InvalidParameter', `At most ${MAX_TAGS} tags are allowed on a resource; ${entries.length} were given.`, { target: 'tags' });
  }
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > MAX_TAG_NAME) {
      throw new DomainError('InvalidParameter', `Tag name '${name.slice(0, 40)}' must be 1 to ${MAX_TAG_NAME} characters long.`, { target: 'tags' });
    }
    if (RESERVED_TAG_CHARS.test(name)) {
      throw new DomainError('InvalidTagNameCharacters', `The tag name '${name}' has reserved characters '<,>,%,&,\\,?,/' or control characters.`, {
        target: 'tags',
      });
    }
    if (value.length > MAX_TAG_VALUE) {
      throw new DomainError('InvalidParameter', `The value of tag '${name}' must be at most ${MAX_TAG_VALUE} characters long.`, { target: 'tags' });
    }
    // Tag names are case-insensitive in ARM: two names that differ only by case are the same tag.
    const key = name.toLowerCase();
    if (seen.has(key))
      throw new DomainError('InvalidParameter', `The tag name '${name}' is given more than once (tag names are case-insensitive).`, { target: 'tags' });
    seen.add(key);
  }
  return { ...tags };
}
