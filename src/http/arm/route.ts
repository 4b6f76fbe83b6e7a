/**
 * What a resource provider declares to the ARM dispatcher: one {@link ArmRoute} per REST operation,
 * naming its Azure operation id, its RBAC action and the api-versions it accepts, next to a short
 * handler. Providers live in `src/providers/<Namespace>/` and hand an {@link ArmProvider} to `armPlugin`.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Subscription } from '../../core/model.js';
import type { VerifiedCaller } from '../../core/ports.js';
import type { WriteConditions } from '../../core/resources/conditions.js';
import type { BodySchema } from './body-schema.js';

export type ArmMethod = 'GET' | 'HEAD' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';

/** Everything a handler needs about the request, already checked by the pipeline. */
export interface ArmContext<B = unknown> {
  method: ArmMethod;
  /** The normalised path: decoded segments joined by single slashes, case as sent. */
  path: string;
  /** Path parameters by the names in the route's template, decoded. */
  params: Record<string, string>;
  /** A query parameter by case-insensitive name (first value), e.g. `$filter`. */
  query(name: string): string | undefined;
  apiVersion: string;
  /** The validated JSON body (undefined when the route takes none or none was sent). */
  body: B;
  caller: VerifiedCaller;
  /** The subscription of a `{subscriptionId}` route, checked to exist and belong to the caller's tenant. */
  subscription: Subscription | undefined;
  /** Parsed `If-Match` / `If-None-Match`. */
  conditions: WriteConditions | undefined;
  requestId: string;
  /** The listener's https origin, for absolute `nextLink` / `Location` URLs. */
  baseUrl: string;
  log: FastifyBaseLogger;
}

/** What a handler returns; the plugin writes it (never a body on HEAD). */
export interface ArmResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ArmRoute<B = unknown> {
  method: ArmMethod;
  /**
   * ARM path template over segments, compared case-insensitively: literals, `{name}` for one segment,
   * and at most one `{*name}` for any number of segments (a scope such as `/subscriptions/{s}/resourceGroups/{rg}`).
   */
  path: string;
  /** The Azure REST operation id, e.g. `ResourceGroups_CreateOrUpdate`. */
  operationId: string;
  /** The RBAC action the caller needs, e.g. `Microsoft.Resources/subscriptions/resourceGroups/write`. */
  action: string;
  /**
   * The action when it depends on the path, e.g. `{namespace}/register/action` for provider
   * registration (Azure checks `Microsoft.Compute/register/action` to register Microsoft.Compute).
   * When present it is checked instead of {@link action}, which then documents the template.
   */
  actionFor?(params: Record<string, string>): string;
  /** Accepted api-versions, or `any` for URLs the server hands out itself (operation status). */
  apiVersions: readonly string[] | 'any';
  /** The JSON body the operation takes; leave out for operations without one (a sent body is then ignored). */
  body?: BodySchema<B>;
  handler(ctx: ArmContext<B>): Promise<ArmResponse>;
}

/** A resource provider's contribution to the ARM surface. */
export interface ArmProvider {
  /** e.g. `Microsoft.Resources`. */
  namespace: string;
  routes: ArmRoute<any>[];
}

/** What the dispatcher asks RBAC before a handler runs. */
export interface ArmAuthorizationRequest {
  caller: VerifiedCaller;
  action: string;
  scope: string;
  /** The route's operation id (lists are recognised by it). */
  operationId?: string;
  method?: ArmMethod;
}

/** What RBAC answers when it lets a request through. */
export interface ArmGrant {
  /**
   * For a list the caller may not read as a whole: keeps only the items (by their `id`) it may read.
   * Azure lists only what the caller can see (e.g. a Reader of one resource group lists that group).
   */
  visible?(itemId: string): boolean;
}

/** Checks the caller may perform `action` on `scope`; throws a DomainError (`AuthorizationFailed`) otherwise. */
export type ArmAuthorizer = (request: ArmAuthorizationRequest) => Promise<ArmGrant | void>;

/** Drops the items of a `{ value: [...] }` body the grant does not make visible. */
export function keepVisibleItems(response: ArmResponse, grant: ArmGrant | void): ArmResponse {
  const body = response.body as { value?: unknown } | undefined;
  if (!grant?.visible || !body || !Array.isArray(body.value)) return response;
  const value = body.value.filter((item: unknown) => {
    const id = (item as { id?: unknown } | null)?.id;
    return typeof id !== 'string' || grant.visible!(id);
  });
  return { ...response, body: { ...body, value } };
}

/** Declares a route with its body type inferred from the schema. */
export function defineRoute<B = undefined>(route: ArmRoute<B>): ArmRoute<B> {
  return route;
}
