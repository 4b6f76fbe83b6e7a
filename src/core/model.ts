/**
 * The domain's records. Timestamps are ISO-8601 strings; ids keep the case they were created with.
 * These are what the repositories store and return: no HTTP or SQL shapes here.
 */

export type Tags = Record<string, string>;

export interface Tenant {
  id: string;
  displayName: string;
  /** e.g. `keyless.local`; shown where Azure shows a tenant's default domain. */
  defaultDomain: string;
  createdAt: string;
}

export interface Subscription {
  id: string;
  tenantId: string;
  displayName: string;
  state: 'Enabled' | 'Disabled' | 'Warned' | 'PastDue' | 'Deleted';
  createdAt: string;
}

/** What a service principal stands for: an app registration (with secrets) or a managed identity. */
export type PrincipalKind = 'Application' | 'ManagedIdentity';

/** An entry in a tenant's directory that can hold tokens and role assignments. */
export interface ServicePrincipal {
  /** Object id (Azure's principalId). */
  objectId: string;
  /** Application (client) id. */
  appId: string;
  tenantId: string;
  displayName: string;
  kind: PrincipalKind;
  /**
   * For a managed identity: the ARM id behind it (the user-assigned identity, or the resource
   * holding a system-assigned one). Null for applications.
   */
  resourceId: string | null;
  createdAt: string;
}

/** A client secret as stored: never the secret itself. */
export interface ClientSecretRecord {
  /** Key id (GUID). */
  id: string;
  tenantId: string;
  appId: string;
  /** `scheme$salt$digest` as produced by the crypto module's secret hasher. */
  hash: string;
  /** First three characters of the secret, as Entra shows them. */
  hint: string;
  displayName: string;
  createdAt: string;
  expiresAt: string | null;
}

export type ProvisioningState = 'Succeeded' | 'Failed' | 'Canceled' | 'Creating' | 'Updating' | 'Deleting' | 'Accepted';

export interface ResourceGroup {
  subscriptionId: string;
  name: string;
  location: string;
  managedBy: string | null;
  tags: Tags;
  provisioningState: ProvisioningState;
  etag: string;
  createdAt: string;
  updatedAt: string;
}

/** Any provider resource (identities, VMs, …). Provider-specific content lives in `properties`/`identity` as JSON. */
export interface ResourceRecord {
  /** The ARM id in the case it was created with. */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  /** Full type, e.g. `Microsoft.ManagedIdentity/userAssignedIdentities`. */
  type: string;
  name: string;
  location: string;
  tags: Tags;
  kind: string | null;
  properties: Record<string, unknown>;
  /** The ManagedServiceIdentity block as stored by the identity component, or null. */
  identity: Record<string, unknown> | null;
  sku: Record<string, unknown> | null;
  provisioningState: ProvisioningState;
  etag: string;
  createdAt: string;
  updatedAt: string;
}

/** A token-signing key. Which keys are previous/current/next is derived from the times. */
export interface SigningKeyRecord {
  /** Key id: the base64url SHA-1 thumbprint of the certificate (also the `x5t`), as Entra does. */
  kid: string;
  /** PKCS#8 PEM of the private key. */
  privateKeyPem: string;
  /** Base64 DER of the self-signed certificate published in `x5c`. */
  certificateDer: string;
  createdAt: string;
  /** From this time on the key signs new tokens. */
  activatesAt: string;
  /** After this time the key is no longer published; tokens it signed have expired by then. */
  expiresAt: string;
}

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

/** A long-running ARM operation, polled through `Azure-AsyncOperation` / `Location`. */
export interface OperationRecord {
  id: string;
  subscriptionId: string;
  /** The resource the operation acts on. */
  resourceId: string;
  /** e.g. `Microsoft.Resources/subscriptions/resourceGroups/delete`. */
  action: string;
  status: OperationStatus;
  startTime: string;
  endTime: string | null;
  error: { code: string; message: string } | null;
}

/** One page of a list, with the cursor for the next page when there is one. */
export interface Page<T> {
  items: T[];
  /** Opaque cursor to pass as `after` for the next page; absent on the last page. */
  next?: string;
}

export interface PageRequest {
  limit: number;
  after?: string;
}
