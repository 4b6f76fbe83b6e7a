/**
 * The `type` of a ManagedServiceIdentity and its two spellings. common-types v3+ write the combined
 * type `SystemAssigned,UserAssigned`; older resource providers (Compute, Kusto, HDInsight, EventHub…)
 * write `SystemAssigned, UserAssigned` with a space. Azure accepts either on input and answers in the
 * provider's own spelling, so Keyless parses any of them (any case, any order) into two flags.
 */
import { DomainError } from '../errors.js';

/** How a resource type writes the combined identity type. */
export type IdentityTypeSpelling = 'compact' | 'spaced';

/** What an identity `type` asks for. */
export interface IdentityTypeFlags {
  systemAssigned: boolean;
  userAssigned: boolean;
}

const PARTS: Record<string, keyof IdentityTypeFlags | 'none'> = {
  none: 'none',
  systemassigned: 'systemAssigned',
  userassigned: 'userAssigned',
};

/** The values a client may send, in a resource type's spelling, for error messages. */
export function allowedIdentityTypes(spelling: IdentityTypeSpelling): string[] {
  return ['None', 'SystemAssigned', 'UserAssigned', renderIdentityType({ systemAssigned: true, userAssigned: true }, spelling)];
}

/**
 * Parses `None`, `SystemAssigned`, `UserAssigned`, `SystemAssigned,UserAssigned` or
 * `SystemAssigned, UserAssigned` (case-insensitive, either order). Throws `InvalidParameter` otherwise.
 */
export function parseIdentityType(value: unknown, spelling: IdentityTypeSpelling): IdentityTypeFlags {
  const invalid = () =>
    new DomainError(
      'InvalidParameter',
      `The value '${String(value)}' of 'identity.type' is not valid. Allowed values: ${allowedIdentityTypes(spelling)
        .map((t) => `'${t}'`)
        .join(', ')}.`,
      { target: 'identity.type' },
    );
  if (typeof value !== 'string') throw invalid();
  const parts = value.split(',').map((p) => PARTS[p.trim().toLowerCase()]);
  if (parts.length === 0 || parts.length > 2 || parts.some((p) => p === undefined)) throw invalid();
  if (parts.includes('none')) {
    if (parts.length > 1) throw invalid();
    return { systemAssigned: false, userAssigned: false };
  }
  if (parts.length === 2 && parts[0] === parts[1]) throw invalid();
  return { systemAssigned: parts.includes('systemAssigned'), userAssigned: parts.includes('userAssigned') };
}

/** The `type` string for `flags` in a resource type's spelling. */
export function renderIdentityType(flags: IdentityTypeFlags, spelling: IdentityTypeSpelling): string {
  if (flags.systemAssigned && flags.userAssigned) return spelling === 'spaced' ? 'SystemAssigned, UserAssigned' : 'SystemAssigned,UserAssigned';
  if (flags.systemAssigned) return 'SystemAssigned';
  if (flags.userAssigned) return 'UserAssigned';
  return 'None';
}
