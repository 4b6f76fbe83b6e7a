/**
 * Domain errors. Every failure the core reports carries a code from a closed union; the HTTP surfaces
 * map a code's `kind` to a status and keep Azure's code string in the body, so the same rule gives the
 * same answer on every surface.
 */

/** How a failure is classified; each surface maps a kind to its status code. */
export type ErrorKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not-found' | 'conflict' | 'precondition' | 'too-large' | 'unsupported';

/** Azure's ARM error codes that the core can produce, with their kind. */
export const DOMAIN_ERROR_CODES = {
  InvalidRequestContent: 'invalid',
  InvalidParameter: 'invalid',
  InvalidResourceName: 'invalid',
  InvalidResourceGroupName: 'invalid',
  InvalidSubscriptionId: 'invalid',
  InvalidResourceId: 'invalid',
  InvalidResourceType: 'invalid',
  LocationRequired: 'invalid',
  InvalidApiVersionParameter: 'invalid',
  MissingApiVersionParameter: 'invalid',
  NoRegisteredProviderFound: 'invalid',
  UnsupportedMediaType: 'unsupported',
  InvalidAuthenticationToken: 'unauthenticated',
  InvalidAuthenticationTokenAudience: 'unauthenticated',
  ExpiredAuthenticationToken: 'unauthenticated',
  AuthenticationFailed: 'unauthenticated',
  AuthorizationFailed: 'forbidden',
  LinkedAuthorizationFailed: 'forbidden',
  SubscriptionNotFound: 'not-found',
  ResourceGroupNotFound: 'not-found',
  ResourceNotFound: 'not-found',
  NotFound: 'not-found',
  InvalidRoute: 'not-found',
  Conflict: 'conflict',
  ResourceGroupBeingDeleted: 'conflict',
  PreconditionFailed: 'precondition',
  InvalidAuthenticationTokenTenant: 'unauthenticated',
  InvalidResourceGroupLocation: 'conflict',
  LocationNotAvailableForResourceGroup: 'invalid',
  InvalidTagNameCharacters: 'invalid',
  RequestEntityTooLarge: 'too-large',
  FailedIdentityOperation: 'invalid',
  InvalidResourceLocation: 'conflict',
  // RBAC (Microsoft.Authorization), codes as Azure returns them.
  RoleAssignmentExists: 'conflict',
  RoleAssignmentNotFound: 'not-found',
  RoleAssignmentUpdateNotPermitted: 'conflict',
  InvalidRoleAssignmentId: 'invalid',
  PrincipalNotFound: 'invalid',
  RoleDefinitionDoesNotExist: 'not-found',
  RoleDefinitionWithSameNameExists: 'conflict',
  RoleDefinitionHasAssignments: 'conflict',
  InvalidRoleDefinitionId: 'invalid',
  InvalidActionOrNotAction: 'invalid',
  InvalidAssignableScope: 'invalid',
  InvalidFilter: 'invalid',
  ConditionNotSupported: 'invalid',
  // Microsoft.Storage and Microsoft.KeyVault (docs/adr/0011-data-planes.md).
  AccountNameInvalid: 'invalid',
  StorageAccountAlreadyTaken: 'conflict',
  VaultAlreadyExists: 'conflict',
  // AKS (Microsoft.ContainerService), codes as the AKS resource provider returns them (shared/reference/aks-wire.md §1.6).
  BadRequest: 'invalid',
  CustomKubeletIdentityMissingPermissionError: 'invalid',
  CustomKubeletIdentityOnlySupportedOnUserAssignedMSICluster: 'invalid',
  NodeResourceGroupAlreadyExists: 'invalid',
  NodeResourceGroupSameAsResourceGroup: 'invalid',
  PropertyChangeNotAllowed: 'invalid',
  OIDCIssuerCannotBeDisabled: 'invalid',
  OperationNotAllowed: 'invalid',
  SubnetNotFound: 'invalid',
  OnlySupportedOnUserAssignedMSICluster: 'invalid',
} as const satisfies Record<string, ErrorKind>;

export type DomainErrorCode = keyof typeof DOMAIN_ERROR_CODES;

/** An expected failure with a message that is safe to show to the caller. */
export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly kind: ErrorKind;
  readonly target: string | undefined;

  constructor(code: DomainErrorCode, message: string, options: { target?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.kind = DOMAIN_ERROR_CODES[code];
    this.target = options.target;
  }
}

/** Type guard for {@link DomainError}. */
export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}
