/**
 * The api-version `keyless` sends per resource type, as az pins one per command module. These are
 * GA versions the Keyless server accepts (src/providers/*\/api-versions.ts on the server side).
 */
export const API_VERSIONS = {
  /** Resource groups and resources (az `resource` module). */
  resources: '2022-09-01',
  /** Subscriptions and tenants. */
  subscriptions: '2022-12-01',
  /** Microsoft.ManagedIdentity: az's `identity` module uses 2023-01-31. */
  managedIdentity: '2023-01-31',
  /** Microsoft.Authorization role assignments and definitions (az `role`). */
  authorization: '2022-04-01',
  /** Microsoft.Compute virtual machines (az `vm`). */
  compute: '2024-07-01',
  /** Microsoft.Features (az `feature`). */
  features: '2021-07-01',
  /** Resource provider registration (az `provider`). */
  providers: '2022-09-01',
} as const;

export type ApiVersionKey = keyof typeof API_VERSIONS;
