/**
 * The GA api-versions of Microsoft.Resources this server accepts, per resource type, from the
 * azure-rest-api-specs stable folders. `@azure/arm-resources` 7 sends 2025-04-01; older SDKs and the
 * az CLI send older ones.
 */

/** Resource groups, resources, deployments' home: `resources.json`. */
export const RESOURCES_API_VERSIONS = [
  '2025-04-01',
  '2024-11-01',
  '2024-07-01',
  '2024-03-01',
  '2023-07-01',
  '2022-09-01',
  '2021-04-01',
  '2021-01-01',
  '2020-10-01',
  '2020-06-01',
  '2019-10-01',
  '2019-08-01',
  '2019-07-01',
  '2019-05-10',
  '2019-05-01',
  '2019-03-01',
  '2018-05-01',
  '2018-02-01',
  '2017-05-10',
  '2016-09-01',
  '2016-07-01',
  '2016-02-01',
  '2015-11-01',
] as const;

/** Subscriptions and tenants: `subscriptions.json`. */
export const SUBSCRIPTIONS_API_VERSIONS = ['2022-12-01', '2021-01-01', '2020-01-01', '2019-11-01', '2019-06-01', '2018-06-01', '2016-06-01'] as const;
