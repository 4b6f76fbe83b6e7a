/**
 * Azure Data Explorer clusters (Microsoft.Kusto/clusters, `kusto.json` 2023-08-15): one
 * system-assigned and any number of user-assigned identities, `identity.type` spelled
 * `SystemAssigned, UserAssigned` (the unspaced form accepted), `sku` required, names unique across
 * every subscription (they are DNS names in Azure), `state` Running/Stopped (start/stop actions),
 * and the defaults the service fills in. `uri`/`dataIngestionUri` are rendered by the provider from
 * the data planes' addressing (docs/adr/0015-kusto.md). Deleting a cluster drops its engine data.
 */
import { DomainError } from '../../core/errors.js';
import type { IdentityRules } from '../../core/identities/identity-plan.js';
import type { JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { TrackedTypeSpec } from '../../core/resources/tracked/spec.js';

export const KUSTO_CLUSTER_TYPE = 'Microsoft.Kusto/clusters';

/** Kusto allows both kinds of identity, any number of user-assigned ones, and spells the pair with a space. */
export const KUSTO_CLUSTER_IDENTITY_RULES: IdentityRules = { allowSystemAssigned: true, allowUserAssigned: true, typeSpelling: 'spaced' };

/** Kusto's cluster name rule: 4–22 characters, lower-case letters and digits, starting with a letter. */
export const KUSTO_CLUSTER_NAME = /^[a-z][a-z0-9]{3,21}$/;

export function clusterNameProblem(name: string): string | undefined {
  if (!KUSTO_CLUSTER_NAME.test(name)) {
    return `Name '${name}' is invalid: a cluster name must be 4 to 22 characters long, contain only lowercase letters and numbers, and start with a letter.`;
  }
  return undefined;
}

function assertClusterName(name: string): void {
  const problem = clusterNameProblem(name);
  if (problem) throw new DomainError('InvalidResourceName', problem, { target: 'clusterName' });
}

const TIERS = ['Basic', 'Standard'];

function bool(properties: JsonObject, field: string, fallback: boolean): boolean {
  const value = properties[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean')
    throw new DomainError('InvalidRequestContent', `'properties.${field}' must be true or false.`, { target: `properties.${field}` });
  return value;
}

function str(properties: JsonObject, field: string, allowed: readonly string[], fallback: string): string {
  const value = properties[field];
  if (value === undefined || value === null) return fallback;
  const match = typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
  if (!match)
    throw new DomainError('InvalidParameter', `'properties.${field}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}.`, {
      target: `properties.${field}`,
    });
  return match;
}

export const KUSTO_CLUSTER_SPEC: TrackedTypeSpec = {
  namespace: 'Microsoft.Kusto',
  type: 'clusters',
  label: 'cluster',
  shape: 'tracked',
  assertName: assertClusterName,
  identity: { rules: KUSTO_CLUSTER_IDENTITY_RULES },
  sku: 'required',
  prepare(input) {
    const sku = input.sku as Record<string, unknown> | null | undefined;
    if (sku && typeof sku === 'object') {
      if (sku['name'] !== undefined && (typeof sku['name'] !== 'string' || sku['name'] === ''))
        throw new DomainError('InvalidParameter', "'sku.name' must be a SKU name such as 'Standard_E2ads_v5' or 'Dev(No SLA)_Standard_E2a_v4'.", {
          target: 'sku.name',
        });
      if (sku['tier'] !== undefined && (typeof sku['tier'] !== 'string' || !TIERS.includes(sku['tier'])))
        throw new DomainError('InvalidParameter', "'sku.tier' must be 'Basic' or 'Standard'.", { target: 'sku.tier' });
      if (sku['capacity'] !== undefined && (!Number.isInteger(sku['capacity']) || (sku['capacity'] as number) < 1 || (sku['capacity'] as number) > 1000)) {
        throw new DomainError('InvalidParameter', "'sku.capacity' must be a whole number of instances from 1 to 1000.", { target: 'sku.capacity' });
      }
    }
    return input;
  },
  properties: {
    // Set by the service; values a client echoes back from a GET are ignored.
    readOnly: ['provisioningState', 'state', 'uri', 'dataIngestionUri', 'stateReason', 'privateEndpointConnections', 'migrationCluster', 'languageExtensions'],
    write(properties, { existing }) {
      return {
        ...properties,
        // Stopped by `stop` stays stopped across updates, as in Azure.
        state: typeof existing?.properties['state'] === 'string' ? existing.properties['state'] : 'Running',
        trustedExternalTenants: properties['trustedExternalTenants'] ?? [],
        enableDiskEncryption: bool(properties, 'enableDiskEncryption', false),
        enableStreamingIngest: bool(properties, 'enableStreamingIngest', false),
        enablePurge: bool(properties, 'enablePurge', false),
        enableDoubleEncryption: bool(properties, 'enableDoubleEncryption', false),
        enableAutoStop: bool(properties, 'enableAutoStop', true),
        publicNetworkAccess: str(properties, 'publicNetworkAccess', ['Enabled', 'Disabled'], 'Enabled'),
        restrictOutboundNetworkAccess: str(properties, 'restrictOutboundNetworkAccess', ['Enabled', 'Disabled'], 'Disabled'),
        publicIPType: str(properties, 'publicIPType', ['IPv4', 'DualStack'], 'IPv4'),
        engineType: str(properties, 'engineType', ['V2', 'V3'], 'V3'),
        languageExtensions: { value: [] },
      };
    },
  },
  hooks: {
    async onCreate(ctx) {
      const taken = (await ctx.tx.resources.findByTypeAndName(KUSTO_CLUSTER_TYPE, ctx.target.name)).filter(
        (r) => r.id.toLowerCase() !== ctx.resource.id.toLowerCase(),
      );
      if (taken.length > 0)
        throw new DomainError('Conflict', `Cluster name '${ctx.target.name}' is already in use. Cluster names are globally unique; choose another name.`, {
          target: 'clusterName',
        });
    },
    async onDelete(ctx) {
      await ctx.tx.kusto.deleteCluster(ctx.resource.id);
    },
  },
};
