/**
 * The Kusto engine's refusals, each with the HTTP status and OneApi error the service answers with
 * (kusto-wire.md §2.4): syntax and semantic errors, unknown databases/tables/entities, forbidden
 * principals, the managed-identity flow refusals, and storage access failures.
 */
export type KustoErrorKind =
  | 'syntax'
  | 'semantic'
  | 'bad-request'
  | 'database-not-found'
  | 'table-not-found'
  | 'entity-not-found'
  | 'forbidden'
  | 'conflict'
  | 'suspended'
  | 'unauthenticated'
  | 'download-forbidden'
  | 'too-large';

export class KustoError extends Error {
  override name = 'KustoError';
  constructor(
    readonly kind: KustoErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The managed-identity refusal of the seed document, for flows not in its list and usages the policy does not allow. */
export const MANAGED_IDENTITY_DISABLED = 'Authentication with a Managed Identity is disabled for this flow';
