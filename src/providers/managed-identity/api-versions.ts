/**
 * The api-versions of Microsoft.ManagedIdentity this server accepts (azure-rest-api-specs
 * specification/msi: stable 2018-11-30, 2023-01-31, 2024-11-30 and the previews in between).
 * `@azure/arm-msi` 2.2.0 sends 2024-11-30.
 */
export const MSI_API_VERSIONS = ['2024-11-30', '2023-07-31-preview', '2023-01-31', '2022-01-31-preview', '2021-09-30-preview', '2018-11-30'] as const;

/** `properties.isolationScope` exists from 2024-11-30 on; older versions neither show nor take it. */
export function supportsIsolationScope(apiVersion: string): boolean {
  return apiVersion.slice(0, 10) >= '2024-11-30';
}
