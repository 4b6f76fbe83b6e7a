/**
 * What a resource provider declares about one of its resource types, once: its name rule, its
 * `properties` (validator/writer, read-only and write-only paths), its identity rules and the
 * identity references inside its properties, and hooks that run inside the write's transaction.
 * The tracked-resource service (tracked-resource-service.ts) turns a spec into the whole ARM
 * lifecycle; the HTTP kit (src/http/arm/tracked-routes.ts) into the six CRUD/list routes.
 * See docs/providers.md for a worked example (Microsoft.Compute/virtualMachines).
 */
import type { Clock } from '../../clock.js';
import type { IdGenerator } from '../../ids.js';
import type { IdentityRules } from '../../identities/identity-plan.js';
import type { ResourceRecord, Tags } from '../../model.js';
import type { Repositories, VerifiedCaller } from '../../ports.js';
import type { JsonObject, JsonPath } from './json-paths.js';

/** Where a call acts: the subscription (already checked) and its tenant. */
export interface SubscriptionScope {
  subscriptionId: string;
  tenantId: string;
}

/** One resource of a declared type: its group, its parents' names (child types) and its name. */
export interface ResourceTarget extends SubscriptionScope {
  resourceGroup: string;
  /** Names of the parent resources, outermost first (empty for a top-level type). */
  parents?: readonly string[];
  name: string;
}

/** Where to list: a subscription, a group, or below one parent resource (child types). */
export interface ListScope extends SubscriptionScope {
  resourceGroup?: string;
  parents?: readonly string[];
}

/** The body of a PUT or PATCH as the client sent it (read-only fields are ignored). */
export interface TrackedInput {
  location?: unknown;
  tags?: Tags | null;
  identity?: unknown;
  properties?: JsonObject | null;
  sku?: JsonObject | null;
  kind?: unknown;
}

/**
 * An identity held by a resource but named inside its `properties`: AKS's
 * `identityProfile.kubeletidentity.resourceId`, HDInsight's `storageProfile.storageaccounts[].msiResourceId`.
 */
export interface IdentityReferenceRule {
  /** Path inside `properties` (dots; `[]` walks an array). */
  path: JsonPath;
  /** `resourceId` (an ARM id of a user-assigned identity, the default) or `objectId` (its principal id). */
  by?: 'resourceId' | 'objectId';
  /** The referenced identity must also be listed in `identity.userAssignedIdentities` (HDInsight). */
  mustBeAttached?: boolean;
}

/** What a type allows of ManagedServiceIdentity. */
export interface IdentityDeclaration {
  rules: IdentityRules;
  references?: readonly IdentityReferenceRule[];
}

/** What a properties writer knows. */
export interface PropertyWriteContext {
  /** The resource as stored, on update. */
  existing: ResourceRecord | undefined;
  target: ResourceTarget;
  /** The resource's (normalised) location; '' for types without one. */
  location: string;
  mode: 'create' | 'replace' | 'patch';
  ids: IdGenerator;
  now: string;
}

export interface PropertiesDeclaration {
  /**
   * Fields the service sets (`provisioningState`, `vmId`…): dropped from what the client sends; a
   * writer may set them from `ctx.existing`.
   */
  readOnly?: readonly JsonPath[];
  /** Secrets the client may send but never reads back (`osProfile.adminPassword`): never stored or returned. */
  writeOnly?: readonly JsonPath[];
  /**
   * Validates and completes the properties to store, after read-only and write-only fields were
   * removed (and, for PATCH, after the merge patch was applied). Throws DomainErrors to refuse.
   * Absent: the properties are stored as sent.
   */
  write?(properties: JsonObject, ctx: PropertyWriteContext): JsonObject;
}

/** What a hook may use: the write's transaction and everything about the write. */
export interface TrackedHookContext {
  tx: Repositories;
  /** The resource as it will be stored (onCreate/onUpdate) or as it was (onDelete). */
  resource: ResourceRecord;
  /** The stored resource before an update. */
  previous?: ResourceRecord;
  /** The raw body, secrets included (a hook may seal what it needs before they are dropped). */
  input?: TrackedInput;
  caller?: VerifiedCaller;
  target: ResourceTarget;
  ids: IdGenerator;
  clock: Clock;
}

/**
 * Hooks run inside the transaction of the write, after the kit's own checks: a thrown error rolls
 * everything back. `onCreate`/`onUpdate` may return the resource to store instead (e.g. with
 * properties the hook derived); `onDelete` runs before the resource and its children are removed.
 */
export interface TrackedHooks {
  onCreate?(ctx: TrackedHookContext): Promise<ResourceRecord | void>;
  onUpdate?(ctx: TrackedHookContext): Promise<ResourceRecord | void>;
  onDelete?(ctx: TrackedHookContext): Promise<void>;
}

/** A resource type, declared once by its provider. */
export interface TrackedTypeSpec {
  /** e.g. `Microsoft.Compute`. */
  namespace: string;
  /** The type below the namespace: `virtualMachines`, or `userAssignedIdentities/federatedIdentityCredentials` for a child. */
  type: string;
  /** A few words for messages: `virtual machine`. */
  label: string;
  /** Throws the provider's own error for a name it refuses. */
  assertName(name: string): void;
  /** `tracked` resources have a location and tags; `proxy` (child) resources have neither. */
  shape: 'tracked' | 'proxy';
  /** The parent type of a child type (its `type` must be this type's prefix). */
  parent?: TrackedTypeSpec;
  identity?: IdentityDeclaration;
  properties?: PropertiesDeclaration;
  /** `sku` and `kind` (ARM envelope fields): ignored unless declared. */
  sku?: 'optional' | 'required';
  kind?: 'optional' | 'required';
  hooks?: TrackedHooks;
  /**
   * Rewrites the body before the kit reads it, knowing the stored resource: AKS keeps the current
   * `identity` when a PUT leaves it out (az round-trips the cluster through its own older model), and
   * defaults a new cluster to a system-assigned identity. Absent: the body is used as sent.
   */
  prepare?(input: TrackedInput, ctx: { existing: ResourceRecord | undefined; mode: 'replace' | 'merge' }): TrackedInput;
}

/** `Namespace/type` of a spec, e.g. `Microsoft.Compute/virtualMachines`. */
export function resourceTypeOf(spec: Pick<TrackedTypeSpec, 'namespace' | 'type'>): string {
  return `${spec.namespace}/${spec.type}`;
}

/** The last segment of the type: what follows the parent in an id (`federatedIdentityCredentials`). */
export function leafTypeOf(spec: Pick<TrackedTypeSpec, 'type'>): string {
  return spec.type.split('/').at(-1)!;
}

/** The chain of specs from the outermost parent to `spec` itself. */
export function specChain(spec: TrackedTypeSpec): TrackedTypeSpec[] {
  const chain: TrackedTypeSpec[] = [];
  for (let s: TrackedTypeSpec | undefined = spec; s; s = s.parent) chain.unshift(s);
  return chain;
}
