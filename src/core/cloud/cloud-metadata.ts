/**
 * What Keyless tells clients about itself as an Azure cloud: the ARM metadata documents
 * (`GET /metadata/endpoints?api-version=…`) and the `az cloud register --cloud-config` file.
 *
 * Facts these shapes follow (read in azure-cli 2.45 and msrestazure sources):
 * - api-version 2015-01-01 is one object: `galleryEndpoint`, `graphEndpoint`, `portalEndpoint`,
 *   `authentication.{loginEndpoint,audiences}`. msrestazure `_populate_from_metadata_endpoint` (what
 *   `az cloud register --endpoint-resource-manager` runs) reads only `graphEndpoint`,
 *   `authentication.loginEndpoint` and `authentication.audiences[0]` from it.
 * - api-versions 2019-05-01 and later (2022-09-01 is what `ARM_CLOUD_METADATA_URL` documents) are an
 *   array of clouds: `name`, `resourceManager`, `authentication.{loginEndpoint,audiences,tenant,
 *   identityProvider}`, `graph`, `graphAudience`, `microsoftGraphResourceId`, `suffixes`, …
 *   (azure-cli `cloud.py` `_arm_to_cli_mapper`: `audiences[0]` becomes both `management` and
 *   `active_directory_resource_id`).
 * - az uses `microsoftGraphResourceId` both as the Graph token audience and as Graph's base URL
 *   (`_graph_client.py`: `endpoint = microsoft_graph_resource_id.rstrip('/')`, then `/v1.0/…`), so
 *   Keyless serves Graph under its own path, giving Graph tokens an audience of their own.
 * - The authority ends in `/adfs`: az 2.45 (`identity.py` `_get_authority_url`) then hands MSAL the
 *   authority as is, and msal-python 1.21 (`authority.py`) skips Microsoft's instance discovery for a
 *   tenant named `adfs` and reads `<authority>/.well-known/openid-configuration` instead. This is how
 *   Azure Stack Hub with AD FS is registered; it is the one way 2.45 accepts a private authority.
 */

/** The path under which Microsoft Graph is served besides `/v1.0` (its audience is `<base>/graph/`). */
export const GRAPH_PATH = '/graph';

/** The authority path segment that makes MSAL skip instance discovery (AD FS form). */
export const ADFS_SEGMENT = 'adfs';

/** The name of the cloud in the array documents and in `az cloud register -n`. */
export const CLOUD_NAME = 'Keyless';

/** Azure's public ARM audience; Keyless's ARM accepts it (and the server's own URL). */
export const ARM_AUDIENCE = 'https://management.azure.com/';

/**
 * DNS suffixes of the data-plane services Keyless serves, under the metadata's own key names
 * (`storage`, `keyVaultDns`, `acrLoginServer`, `kustoDns`, …). Surfaces add theirs where the server
 * is wired; absent keys are simply not published.
 */
export type CloudSuffixes = Readonly<Record<string, string>>;

export interface CloudInput {
  /** The server's https origin without a trailing slash. */
  baseUrl: string;
  suffixes?: CloudSuffixes;
}

/** The endpoints every document names, derived from the base URL. */
export function cloudEndpoints(input: CloudInput) {
  const base = input.baseUrl.replace(/\/+$/, '');
  return {
    resourceManager: `${base}/`,
    loginEndpoint: `${base}/${ADFS_SEGMENT}`,
    audiences: [ARM_AUDIENCE, `${base}/`],
    graph: `${base}${GRAPH_PATH}/`,
    portal: `${base}/`,
  };
}

/** api-version 2015-01-01: one object (the form `az cloud register --endpoint-resource-manager` reads). */
export function metadataObject(input: CloudInput): Record<string, unknown> {
  const e = cloudEndpoints(input);
  return {
    galleryEndpoint: e.portal,
    graphEndpoint: e.graph,
    portalEndpoint: e.portal,
    authentication: { loginEndpoint: e.loginEndpoint, audiences: e.audiences },
    // Beyond Azure's 2015-01-01 fields (ignored by clients that do not know them).
    resourceManager: e.resourceManager,
    microsoftGraphResourceId: e.graph,
    microsoftGraphEndpoint: e.graph,
    suffixes: { ...input.suffixes },
  };
}

/** api-versions 2019-05-01 and later: an array holding one cloud. */
export function metadataArray(input: CloudInput): Record<string, unknown>[] {
  const e = cloudEndpoints(input);
  return [
    {
      name: CLOUD_NAME,
      portal: e.portal,
      authentication: { loginEndpoint: e.loginEndpoint, audiences: e.audiences, tenant: ADFS_SEGMENT, identityProvider: 'ADFS' },
      resourceManager: e.resourceManager,
      graph: e.graph,
      graphAudience: e.graph,
      microsoftGraphResourceId: e.graph,
      gallery: e.portal,
      suffixes: { ...input.suffixes },
    },
  ];
}

/**
 * The `az cloud register --cloud-config @file` document: `endpoints` and `suffixes` with az's own
 * names (camelCase of `CloudEndpoints` / `CloudSuffixes` attributes). Complete, so that az fetches
 * nothing else and knows the Microsoft Graph endpoint (2.45's metadata discovery never learns it).
 */
export function azCloudConfig(input: CloudInput): { endpoints: Record<string, string>; suffixes: Record<string, string> } {
  const e = cloudEndpoints(input);
  const suffixes: Record<string, string> = {};
  const s = input.suffixes ?? {};
  // Metadata key → az CloudSuffixes attribute (camelCase), for the suffixes az knows.
  const AZ_SUFFIX_NAMES: Record<string, string> = {
    storage: 'storageEndpoint',
    keyVaultDns: 'keyvaultDns',
    acrLoginServer: 'acrLoginServerEndpoint',
    mhsmDns: 'mhsmDns',
  };
  for (const [key, value] of Object.entries(s)) {
    const name = AZ_SUFFIX_NAMES[key];
    if (!name) continue;
    // az keeps a leading dot on these DNS suffixes (cloud.py `_add_starting_dot`), not on storage.
    suffixes[name] = key === 'storage' || value.startsWith('.') ? value : `.${value}`;
  }
  return {
    endpoints: {
      management: e.audiences[0]!,
      resourceManager: e.resourceManager,
      activeDirectory: e.loginEndpoint,
      activeDirectoryResourceId: e.audiences[0]!,
      activeDirectoryGraphResourceId: e.graph,
      microsoftGraphResourceId: e.graph,
      gallery: e.portal,
      portal: e.portal,
    },
    suffixes,
  };
}

/** The api-versions ARM serves this document for: 2015-01-01 is the object form, the others arrays. */
export const METADATA_API_VERSIONS = ['2015-01-01', '2019-05-01', '2020-06-01', '2022-09-01'] as const;

/**
 * Which document an api-version asks for; undefined for one ARM never served. A version dated after
 * the newest known one gets the array form (every version since 2019-05-01 is an array).
 */
export function metadataFormFor(apiVersion: string): 'object' | 'array' | undefined {
  if (apiVersion === '2015-01-01') return 'object';
  if ((METADATA_API_VERSIONS as readonly string[]).includes(apiVersion)) return 'array';
  return /^\d{4}-\d{2}-\d{2}$/.test(apiVersion) && apiVersion > METADATA_API_VERSIONS[METADATA_API_VERSIONS.length - 1]! ? 'array' : undefined;
}
