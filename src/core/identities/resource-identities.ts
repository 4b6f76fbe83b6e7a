/**
 * The reusable identity component for tracked resources (ManagedServiceIdentity). A resource type
 * declares its {@link IdentityRules} (and any identity references inside its properties); the
 * tracked-resource kit calls {@link ResourceIdentities.apply} and
 * {@link ResourceIdentities.checkReferences} inside the transaction that writes the resource, and {@link ResourceIdentities.release} when the
 * resource is deleted. The system-assigned identity's lifecycle is the resource's: its principal is
 * created when enabled and deleted when disabled or when the resource goes
 * (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/overview).
 */
import { isoTime, type Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { ResourceRecord, ServicePrincipal } from '../model.js';
import type { Repositories, VerifiedCaller } from '../ports.js';
import { resourceKey } from '../resource-id.js';
import type { IdentityReferenceRule } from '../resources/tracked/spec.js';
import { readPath, type JsonObject } from '../resources/tracked/json-paths.js';
import { USER_ASSIGNED_IDENTITY_TYPE } from './identity-names.js';
import { planIdentity, type IdentityRules, type IdentityWriteMode, type ManagedServiceIdentityRequest } from './identity-plan.js';
import type { AuthorizeLinks, LinkingWrite } from './linked-authorization.js';
import { readStoredIdentity, type StoredResourceIdentity, type StoredUserAssignedIdentity } from './stored-identity.js';

export interface ResourceIdentitiesDeps {
  ids: IdGenerator;
  clock: Clock;
  /** The linked-authorization rule (Managed Identity Operator); absent = every link allowed. */
  authorizeLinks?: AuthorizeLinks;
}

/** The resource that holds the identities. */
export interface IdentityHost {
  /** Its ARM id: the system-assigned principal's `resourceId` (`xms_mirid`). */
  id: string;
  /** Its name: the system-assigned principal's display name, as Azure names it. */
  name: string;
  /** The tenant of its subscription: identities live in that tenant's directory. */
  tenantId: string;
  /** Its region: an identity with `isolationScope: Regional` may only be attached in its own region. */
  location?: string;
}

export interface ApplyIdentityInput {
  rules: IdentityRules;
  host: IdentityHost;
  /** `ResourceRecord.identity` as stored now (null for a new resource). */
  current: Record<string, unknown> | null;
  /** The `identity` the client sent (undefined when left out). */
  request: ManagedServiceIdentityRequest | null | undefined;
  mode: IdentityWriteMode;
  /** Who asks; the linked-authorization rule is applied to this caller. */
  caller?: VerifiedCaller;
  /** The write on the host (for LinkedAuthorizationFailed's message); default `{type}/write` on the host id. */
  write?: LinkingWrite;
}

export interface CheckReferencesInput {
  references: readonly IdentityReferenceRule[];
  host: IdentityHost;
  /** The properties about to be stored, and those stored before (references already there are not re-checked). */
  properties: JsonObject;
  previous: JsonObject | undefined;
  /** The identity block about to be stored (for `mustBeAttached`). */
  identity: Record<string, unknown> | null;
  caller?: VerifiedCaller;
  write: LinkingWrite;
}

export interface ResourceIdentities {
  /**
   * Applies a PUT/PATCH identity request through `tx` (the transaction writing the resource):
   * creates or deletes the system-assigned principal, checks and records newly attached
   * user-assigned identities. Returns the block to store in `ResourceRecord.identity` (null: none).
   */
  apply(tx: Repositories, input: ApplyIdentityInput): Promise<Record<string, unknown> | null>;
  /** Checks the identities named inside `properties`: they exist in the tenant, may be linked, and are attached when required. */
  checkReferences(tx: Repositories, input: CheckReferencesInput): Promise<void>;
  /** Deletes the managed-identity principals of a deleted resource (and of anything below it). */
  release(tx: Repositories, resourceId: string): Promise<number>;
}

/** The 400 Azure gives when an attached identity cannot be used (absent, or of another tenant). */
function identityNotFound(host: IdentityHost, id: string, target = 'identity.userAssignedIdentities'): DomainError {
  return new DomainError(
    'FailedIdentityOperation',
    `Identity operation for resource '${host.id}' failed: the user assigned identity '${id}' was not found. Create it first, or check the resource id.`,
    { target },
  );
}

/**
 * `isolationScope: Regional` (ManagedIdentity 2024-11-30): the identity may only be assigned to
 * resources in its own region. Azure's exact error text for this refusal is not documented; the code
 * and wording here are Keyless's [mem].
 */
function regionalMismatch(host: IdentityHost, id: string, identityLocation: string): DomainError {
  return new DomainError(
    'FailedIdentityOperation',
    `Identity operation for resource '${host.id}' failed: the user assigned identity '${id}' has isolationScope 'Regional' and is in '${identityLocation}'; ` +
      `it can only be assigned to resources in '${identityLocation}', not '${host.location}'.`,
    { target: 'identity.userAssignedIdentities' },
  );
}

const lower = (s: string) => s.toLowerCase();

export function createResourceIdentities(deps: ResourceIdentitiesDeps): ResourceIdentities {
  /** The user-assigned identity `id` as the tenant of `host` sees it, with its region rule applied. */
  async function resolveUserAssigned(
    tx: Repositories,
    host: IdentityHost,
    id: string,
    target?: string,
  ): Promise<{ stored: StoredUserAssignedIdentity; resource: ResourceRecord }> {
    const resource = await tx.resources.get(id);
    const principal = resource && lower(resource.type) === lower(USER_ASSIGNED_IDENTITY_TYPE) ? await tx.principals.getByResourceId(id) : undefined;
    if (!resource || !principal || lower(principal.tenantId) !== lower(host.tenantId)) throw identityNotFound(host, id, target);
    if (resource.properties['isolationScope'] === 'Regional' && host.location && resource.location !== host.location) {
      throw regionalMismatch(host, id, resource.location);
    }
    return { stored: { principalId: principal.objectId, clientId: principal.appId }, resource };
  }

  /** The user-assigned identity whose principal is `objectId` (Kusto policies name identities so). */
  async function resolveByObjectId(tx: Repositories, host: IdentityHost, objectId: string, target: string): Promise<string> {
    const principal = await tx.principals.getByObjectId(host.tenantId, objectId);
    if (!principal || principal.kind !== 'ManagedIdentity' || !principal.resourceId) throw identityNotFound(host, objectId, target);
    await resolveUserAssigned(tx, host, principal.resourceId, target);
    return principal.resourceId;
  }

  async function systemPrincipal(tx: Repositories, host: IdentityHost, enabled: boolean): Promise<ServicePrincipal | undefined> {
    const existing = await tx.principals.getByResourceId(host.id);
    if (!enabled) {
      if (existing) await tx.principals.delete(existing.tenantId, existing.objectId);
      return undefined;
    }
    if (existing && resourceKey(existing.resourceId ?? '') === resourceKey(host.id)) return existing;
    const principal: ServicePrincipal = {
      objectId: deps.ids.newGuid(),
      appId: deps.ids.newGuid(),
      tenantId: host.tenantId,
      displayName: host.name,
      kind: 'ManagedIdentity',
      resourceId: host.id,
      createdAt: isoTime(deps.clock.now()),
    };
    await tx.principals.insert(principal);
    return principal;
  }

  async function authorize(caller: VerifiedCaller | undefined, ids: readonly string[], write: LinkingWrite): Promise<void> {
    if (caller && deps.authorizeLinks && ids.length > 0) await deps.authorizeLinks(caller, ids, write);
  }

  return {
    async apply(tx, input) {
      const current = readStoredIdentity(input.current);
      const plan = planIdentity(input.rules, current, input.request, input.mode);
      // Linked authorization first: Azure answers 403 for an identity the caller may not assign even
      // when it does not exist ("or the linked scope(s) are invalid").
      await authorize(input.caller, plan.attach, input.write ?? { action: 'write', scope: input.host.id });
      const userAssignedIdentities: Record<string, StoredUserAssignedIdentity> = { ...plan.kept };
      for (const id of plan.attach) userAssignedIdentities[id] = (await resolveUserAssigned(tx, input.host, id)).stored;
      const system = await systemPrincipal(tx, input.host, plan.systemAssigned);
      if (!system && Object.keys(userAssignedIdentities).length === 0) return null;
      const stored: StoredResourceIdentity = {
        systemAssigned: system !== undefined,
        ...(system ? { principalId: system.objectId, tenantId: system.tenantId, clientId: system.appId } : {}),
        userAssignedIdentities,
      };
      return { ...stored };
    },

    async checkReferences(tx, input) {
      const attached = new Set(Object.keys(readStoredIdentity(input.identity).userAssignedIdentities).map(resourceKey));
      for (const rule of input.references) {
        const target = `properties.${rule.path}`;
        const before = new Set(input.previous ? readPath(input.previous, rule.path).map((v) => lower(String(v))) : []);
        const fresh: string[] = [];
        for (const value of readPath(input.properties, rule.path)) {
          if (typeof value !== 'string' || value.trim() === '') {
            throw new DomainError('InvalidParameter', `'${target}' must name a user assigned identity.`, { target });
          }
          const id = rule.by === 'objectId' ? await resolveByObjectId(tx, input.host, value, target) : value;
          if (rule.mustBeAttached && !attached.has(resourceKey(id))) {
            throw new DomainError(
              'InvalidParameter',
              `The user assigned identity '${value}' named in '${target}' must also be listed in 'identity.userAssignedIdentities'.`,
              { target },
            );
          }
          if (!before.has(lower(value))) fresh.push(id);
        }
        await authorize(input.caller, fresh, input.write);
        if (rule.by !== 'objectId') for (const id of fresh) await resolveUserAssigned(tx, input.host, id, target);
      }
    },

    release: (tx, resourceId) => tx.principals.deleteByResourceScope(resourceId),
  };
}
