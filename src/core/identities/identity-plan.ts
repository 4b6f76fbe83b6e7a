/**
 * The pure half of the identity component: from a resource type's rules, the identity a resource
 * holds and the ManagedServiceIdentity a client sent, decide which identities the resource holds
 * next. ARM semantics (common-types ManagedServiceIdentity; Compute's "Configure managed identities
 * on Azure VMs" how-to):
 * - PUT replaces the whole identity: what is not sent is not held;
 * - PATCH merges: `type` left out keeps the system-assigned flag, `userAssignedIdentities` entries
 *   are added, an entry with value `null` is detached, a `type` without UserAssigned detaches them all.
 */
import { DomainError } from '../errors.js';
import { parseIdentityType, renderIdentityType, type IdentityTypeFlags, type IdentityTypeSpelling } from './identity-type.js';
import { parseUserAssignedIdentityId } from './identity-names.js';
import type { StoredResourceIdentity, StoredUserAssignedIdentity } from './stored-identity.js';

/** What a resource type allows, declared once per type (VMs, AKS clusters, HDInsight clusters…). */
export interface IdentityRules {
  allowSystemAssigned: boolean;
  allowUserAssigned: boolean;
  /** At most this many user-assigned identities (AKS: 1); no limit when absent. */
  maxUserAssigned?: number;
  /** Either a system-assigned identity or user-assigned ones, never both at once (AKS: its `identity.type` enum has no combined value). */
  exclusive?: boolean;
  /** `SystemAssigned,UserAssigned` (common-types) or `SystemAssigned, UserAssigned` (Compute, Kusto, HDInsight). */
  typeSpelling: IdentityTypeSpelling;
}

/** The `identity` object as a client sends it (read-only fields are ignored). */
export interface ManagedServiceIdentityRequest {
  type?: unknown;
  userAssignedIdentities?: unknown;
  [field: string]: unknown;
}

/** `replace` for PUT, `merge` for PATCH. */
export type IdentityWriteMode = 'replace' | 'merge';

/** Which identities the resource will hold. */
export interface IdentityPlan {
  systemAssigned: boolean;
  /** Attached before and still attached, with what was recorded when they were attached. */
  kept: Record<string, StoredUserAssignedIdentity>;
  /** Newly attached identity ids (in the caller's case): to check, authorize and record. */
  attach: string[];
}

const TARGET = 'identity.userAssignedIdentities';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Finds `id` among `keys` as ARM compares ids (case-insensitively). */
function findKey(keys: Iterable<string>, id: string): string | undefined {
  const wanted = id.toLowerCase();
  for (const key of keys) if (key.toLowerCase() === wanted) return key;
  return undefined;
}

/** Reads the requested entries: id → true (attach) or false (`null`: detach). */
function readEntries(request: ManagedServiceIdentityRequest, mode: IdentityWriteMode): Map<string, boolean> {
  const raw = request.userAssignedIdentities;
  const entries = new Map<string, boolean>();
  if (raw === undefined || raw === null) return entries;
  if (!isObject(raw)) {
    throw new DomainError('InvalidParameter', `'${TARGET}' must be an object whose keys are user assigned identity resource ids.`, { target: TARGET });
  }
  for (const [id, value] of Object.entries(raw)) {
    if (value !== null && !isObject(value)) {
      throw new DomainError('InvalidParameter', `The value for '${id}' in '${TARGET}' must be an object ({}), or null to detach it.`, { target: TARGET });
    }
    // In a PUT the whole set is given: a null entry simply is not part of it.
    if (value === null && mode === 'replace') continue;
    if (value !== null && !parseUserAssignedIdentityId(id)) {
      throw new DomainError(
        'InvalidParameter',
        `'${id}' in '${TARGET}' is not a valid user assigned identity resource id. Expected '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}'.`,
        { target: TARGET },
      );
    }
    const existing = findKey(entries.keys(), id);
    if (existing !== undefined) entries.delete(existing);
    entries.set(id, value !== null);
  }
  return entries;
}

function requestedFlags(request: ManagedServiceIdentityRequest, rules: IdentityRules, mode: IdentityWriteMode): IdentityTypeFlags | undefined {
  if (request.type === undefined || request.type === null) {
    if (mode === 'replace') throw new DomainError('InvalidParameter', "'identity.type' is required when 'identity' is given.", { target: 'identity.type' });
    return undefined;
  }
  return parseIdentityType(request.type, rules.typeSpelling);
}

/** Throws when the resulting identities break the resource type's rules. */
function checkRules(rules: IdentityRules, plan: IdentityPlan, flags: IdentityTypeFlags): void {
  const count = Object.keys(plan.kept).length + plan.attach.length;
  if (flags.userAssigned && count === 0) {
    throw new DomainError(
      'InvalidParameter',
      `'${TARGET}' must name at least one user assigned identity when 'identity.type' is '${renderIdentityType(flags, rules.typeSpelling)}'.`,
      { target: TARGET },
    );
  }
  if (plan.systemAssigned && !rules.allowSystemAssigned) {
    throw new DomainError('InvalidParameter', "This resource type does not support a system assigned identity; use 'UserAssigned'.", {
      target: 'identity.type',
    });
  }
  if (count > 0 && !rules.allowUserAssigned) {
    throw new DomainError('InvalidParameter', "This resource type does not support user assigned identities; use 'SystemAssigned'.", {
      target: 'identity.type',
    });
  }
  if (rules.exclusive && plan.systemAssigned && count > 0) {
    throw new DomainError(
      'InvalidParameter',
      "'identity.type' must be either 'SystemAssigned' or 'UserAssigned': this resource type cannot hold a system assigned identity and user assigned identities at once.",
      { target: 'identity.type' },
    );
  }
  if (rules.maxUserAssigned !== undefined && count > rules.maxUserAssigned) {
    throw new DomainError(
      'InvalidParameter',
      `This resource type allows at most ${rules.maxUserAssigned} user assigned ${rules.maxUserAssigned === 1 ? 'identity' : 'identities'}; ${count} were given.`,
      { target: TARGET },
    );
  }
}

/**
 * Decides the identities a resource holds after a PUT (`replace`) or PATCH (`merge`) carrying
 * `request` (undefined/null: PUT without identity holds none; PATCH without identity changes nothing).
 * Throws `InvalidParameter` for a malformed request or one the rules refuse.
 */
export function planIdentity(
  rules: IdentityRules,
  current: StoredResourceIdentity,
  request: ManagedServiceIdentityRequest | null | undefined,
  mode: IdentityWriteMode,
): IdentityPlan {
  if (request === undefined || request === null) {
    if (mode === 'merge') return { systemAssigned: current.systemAssigned, kept: { ...current.userAssignedIdentities }, attach: [] };
    return { systemAssigned: false, kept: {}, attach: [] };
  }
  if (!isObject(request)) throw new DomainError('InvalidParameter', "'identity' must be an object.", { target: 'identity' });
  const flags = requestedFlags(request, rules, mode);
  const entries = readEntries(request, mode);
  const userAssignedWanted = flags?.userAssigned ?? true;
  if (!userAssignedWanted && [...entries.values()].some((attach) => attach)) {
    throw new DomainError(
      'InvalidParameter',
      `'${TARGET}' can only be given when 'identity.type' includes 'UserAssigned'; it is '${renderIdentityType(flags!, rules.typeSpelling)}'.`,
      { target: TARGET },
    );
  }

  // Start from what is held (PATCH) or from nothing (PUT), then apply the entries.
  const kept: Record<string, StoredUserAssignedIdentity> = {};
  if (mode === 'merge' && userAssignedWanted) Object.assign(kept, current.userAssignedIdentities);
  const attach: string[] = [];
  for (const [id, wanted] of entries) {
    const held = findKey(Object.keys(kept), id);
    if (!wanted) {
      if (held !== undefined) delete kept[held];
      continue;
    }
    if (held !== undefined) continue;
    const before = findKey(Object.keys(current.userAssignedIdentities), id);
    if (before !== undefined) kept[before] = current.userAssignedIdentities[before]!;
    else attach.push(id);
  }
  const plan: IdentityPlan = { systemAssigned: flags?.systemAssigned ?? current.systemAssigned, kept, attach };
  const resulting: IdentityTypeFlags = {
    systemAssigned: plan.systemAssigned,
    userAssigned: flags?.userAssigned ?? Object.keys(kept).length + attach.length > 0,
  };
  checkRules(rules, plan, resulting);
  return plan;
}
