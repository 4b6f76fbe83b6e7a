/**
 * The Microsoft.ContainerService api-versions accepted for managed clusters and agent pools
 * (azure-rest-api-specs specification/containerservice, stable versions). Debian's `az` 2.45 sends
 * 2022-11-01 for every AKS call; `@azure/arm-containerservice` 25.3.0 sends 2026-04-01 and 25.5.0
 * 2026-06-01 (shared/reference/aks-wire.md §1.1); the GA versions between are accepted too.
 */
export const AKS_API_VERSIONS = [
  '2026-06-01',
  '2026-04-01',
  '2026-03-01',
  '2026-02-01',
  '2026-01-01',
  '2025-10-01',
  '2025-09-01',
  '2025-08-01',
  '2025-07-01',
  '2025-06-01',
  '2025-05-01',
  '2025-04-01',
  '2025-03-01',
  '2025-02-01',
  '2025-01-01',
  '2024-10-01',
  '2024-09-01',
  '2024-08-01',
  '2024-07-01',
  '2024-06-01',
  '2024-05-01',
  '2024-02-01',
  '2024-01-01',
  '2023-11-01',
  '2023-10-01',
  '2023-09-01',
  '2023-08-01',
  '2023-07-01',
  '2023-06-01',
  '2023-05-01',
  '2023-04-01',
  '2023-03-01',
  '2023-02-01',
  '2023-01-01',
  '2022-11-01',
  '2022-09-01',
  '2022-08-01',
  '2022-07-01',
  '2022-06-01',
  '2022-04-01',
  '2022-03-01',
  '2022-02-01',
  '2022-01-01',
  '2021-10-01',
  '2021-09-01',
  '2021-08-01',
  '2021-07-01',
  '2021-05-01',
  '2021-03-01',
  '2021-02-01',
  '2020-12-01',
  '2020-11-01',
  '2020-09-01',
  '2020-07-01',
  '2020-06-01',
  '2020-04-01',
  '2020-03-01',
  '2020-02-01',
  '2020-01-01',
  '2019-11-01',
  '2019-10-01',
  '2019-08-01',
  '2019-06-01',
  '2019-04-01',
] as const;

/**
 * Kubernetes versions a new cluster may ask for (`kubernetesVersion`, `major.minor` or
 * `major.minor.patch`); the first is the default when a client sends none or `""` (az 2.45 does).
 * Keyless runs no Kubernetes: the list only has to be plausible and stable.
 */
export const KUBERNETES_VERSIONS: readonly { minor: string; patch: string }[] = [
  { minor: '1.32', patch: '1.32.7' },
  { minor: '1.33', patch: '1.33.3' },
  { minor: '1.31', patch: '1.31.11' },
];
