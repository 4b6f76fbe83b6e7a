/**
 * The Microsoft.Compute api-versions accepted for virtual machines (azure-rest-api-specs
 * specification/compute ComputeRP stable versions). `@azure/arm-compute` 24.1.0 sends 2026-03-01
 * for every virtual machine operation; the az CLI and older SDKs send older ones.
 */
export const COMPUTE_API_VERSIONS = [
  '2026-03-01',
  '2025-04-01',
  '2024-11-01',
  '2024-07-01',
  '2024-03-01',
  '2023-09-01',
  '2023-07-01',
  '2023-03-01',
  '2022-11-01',
  '2022-08-01',
  '2022-03-01',
  '2021-11-01',
  '2021-07-01',
  '2021-03-01',
] as const;
