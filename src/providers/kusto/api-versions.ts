/**
 * The Microsoft.Kusto api-versions accepted (azure-rest-api-specs
 * specification/azure-kusto/resource-manager/Microsoft.Kusto/stable). `@azure/arm-kusto` 8.1.0
 * sends 2023-08-15 for every operation (shared/reference/kusto-wire.md §1.1); az's kusto extension
 * vendors older ones (2020-09-18 in one version).
 */
export const KUSTO_API_VERSIONS = [
  '2024-04-13',
  '2023-08-15',
  '2023-05-02',
  '2022-12-29',
  '2022-11-11',
  '2022-07-07',
  '2022-02-01',
  '2021-08-27',
  '2021-01-01',
  '2020-09-18',
  '2020-06-14',
  '2020-02-15',
  '2019-11-09',
  '2019-09-07',
  '2019-05-15',
  '2019-01-21',
] as const;
