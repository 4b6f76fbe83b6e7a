/**
 * Kusto databases (Microsoft.Kusto/clusters/databases, kind `ReadWrite`) and the principal
 * assignments of clusters and databases — the Kusto engine's own authorization (roles
 * AllDatabasesAdmin/AllDatabasesViewer on a cluster; Admin, User, Viewer, UnrestrictedViewer,
 * Ingestor, Monitor on a database), separate from Azure RBAC as in ADX (kusto-wire.md §1.6–1.8).
 */
import { DomainError } from '../../core/errors.js';
import { isGuid } from '../../core/ids.js';
import type { ResourceRecord } from '../../core/model.js';
import type { JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { TrackedHookContext, TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import { KUSTO_CLUSTER_SPEC } from './clusters.js';

/** Database names: letters, digits, spaces, dots, dashes and underscores, up to 260 characters. */
const DATABASE_NAME = /^[A-Za-z0-9_.\- ]{1,260}$/;
const PRINCIPAL_ASSIGNMENT_NAME = /^[A-Za-z0-9_.-]{1,260}$/;

/** ISO-8601 durations as Kusto takes them (`P365D`, `P31D`, `PT12H`). */
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

function duration(properties: JsonObject, field: string): string | undefined {
  const value = properties[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !DURATION.test(value)) {
    throw new DomainError('InvalidParameter', `'properties.${field}' must be an ISO-8601 duration such as 'P365D' or 'P31D'; '${String(value)}' is not.`, {
      target: `properties.${field}`,
    });
  }
  return value;
}

/** The id of a child's parent (the id without its last two segments). */
export const parentIdOf = (id: string) => id.split('/').slice(0, -2).join('/');

export const KUSTO_DATABASE_SPEC: TrackedTypeSpec = {
  namespace: 'Microsoft.Kusto',
  type: 'clusters/databases',
  label: 'database',
  shape: 'proxy',
  parent: KUSTO_CLUSTER_SPEC,
  kind: 'required',
  assertName(name) {
    if (!DATABASE_NAME.test(name))
      throw new DomainError('InvalidResourceName', `Database name '${name}' is invalid: use up to 260 letters, digits, spaces, dots, dashes or underscores.`, {
        target: 'databaseName',
      });
  },
  prepare(input) {
    if (input.kind !== undefined && input.kind !== null && input.kind !== 'ReadWrite') {
      throw new DomainError(
        'InvalidParameter',
        `Database kind '${String(input.kind)}' is not supported by Keyless; use 'ReadWrite' (follower databases need a leader cluster).`,
        { target: 'kind' },
      );
    }
    return input;
  },
  properties: {
    readOnly: ['provisioningState', 'statistics', 'isFollowed', 'suspensionDetails'],
    write(properties) {
      const softDeletePeriod = duration(properties, 'softDeletePeriod');
      const hotCachePeriod = duration(properties, 'hotCachePeriod');
      return {
        ...properties,
        ...(softDeletePeriod ? { softDeletePeriod } : {}),
        ...(hotCachePeriod ? { hotCachePeriod } : {}),
        statistics: { size: 0 },
        isFollowed: false,
      };
    },
  },
  hooks: {
    // A database lives in its cluster's region.
    async onCreate(ctx) {
      const cluster = await ctx.tx.resources.get(parentIdOf(ctx.resource.id));
      return { ...ctx.resource, location: cluster?.location ?? ctx.resource.location };
    },
    async onDelete(ctx) {
      await ctx.tx.kusto.deleteDatabase(parentIdOf(ctx.resource.id), ctx.resource.name);
    },
  },
};

export const CLUSTER_ROLES = ['AllDatabasesAdmin', 'AllDatabasesViewer', 'AllDatabasesMonitor'] as const;
export const DATABASE_ROLES = ['Admin', 'User', 'Viewer', 'UnrestrictedViewer', 'Ingestor', 'Monitor'] as const;
const PRINCIPAL_TYPES = ['App', 'User', 'Group'] as const;

function pick<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  const match = typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
  if (!match) {
    throw new DomainError(
      'InvalidParameter',
      `'properties.${field}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${JSON.stringify(value ?? null)}.`,
      { target: `properties.${field}` },
    );
  }
  return match;
}

/**
 * Resolves the assigned principal in the directory, as ADX does through Entra: an App by its
 * application id or object id (managed identities included); Users and Groups are kept as given
 * (Keyless's directory holds applications and managed identities only).
 */
async function resolvePrincipal(ctx: TrackedHookContext): Promise<ResourceRecord> {
  const p = ctx.resource.properties;
  const tenantId = typeof p['tenantId'] === 'string' && p['tenantId'] !== '' ? p['tenantId'] : ctx.target.tenantId;
  const principalId = p['principalId'] as string;
  let principalName = principalId;
  let aadObjectId = isGuid(principalId) ? principalId.toLowerCase() : '';
  if (p['principalType'] === 'App') {
    const found = isGuid(principalId)
      ? ((await ctx.tx.principals.getByAppId(tenantId, principalId)) ?? (await ctx.tx.principals.getByObjectId(tenantId, principalId)))
      : undefined;
    if (!found) {
      throw new DomainError(
        'BadRequest',
        `[NotFound] Failed to run add principal assignment action: AAD principal '${principalId}' was not found in tenant '${tenantId}'.`,
        { target: 'properties.principalId' },
      );
    }
    principalName = found.displayName;
    aadObjectId = found.objectId;
  }
  return { ...ctx.resource, properties: { ...p, tenantId, tenantName: tenantId, principalName, aadObjectId } };
}

function principalAssignmentSpec(type: string, parent: TrackedTypeSpec, roles: readonly string[]): TrackedTypeSpec {
  return {
    namespace: 'Microsoft.Kusto',
    type,
    label: 'principal assignment',
    shape: 'proxy',
    parent,
    assertName(name) {
      if (!PRINCIPAL_ASSIGNMENT_NAME.test(name))
        throw new DomainError('InvalidResourceName', `Principal assignment name '${name}' is invalid: use letters, digits, dots, dashes or underscores.`, {
          target: 'principalAssignmentName',
        });
    },
    properties: {
      readOnly: ['provisioningState', 'tenantName', 'principalName', 'aadObjectId'],
      write(properties) {
        const principalId = properties['principalId'];
        if (typeof principalId !== 'string' || principalId.trim() === '') {
          throw new DomainError('InvalidParameter', "'properties.principalId' is required: an application id, a user's email or a group name.", {
            target: 'properties.principalId',
          });
        }
        if (
          properties['tenantId'] !== undefined &&
          properties['tenantId'] !== null &&
          (typeof properties['tenantId'] !== 'string' || !isGuid(properties['tenantId']))
        ) {
          throw new DomainError('InvalidParameter', "'properties.tenantId' must be a tenant id (a GUID).", { target: 'properties.tenantId' });
        }
        return {
          ...properties,
          principalId: principalId.trim(),
          role: pick(properties['role'], roles, 'role'),
          principalType: pick(properties['principalType'], PRINCIPAL_TYPES, 'principalType'),
        };
      },
    },
    hooks: { onCreate: resolvePrincipal, onUpdate: resolvePrincipal },
  };
}

// The ARM enum of cluster roles has no AllDatabasesMonitor (a data-plane-only role).
export const KUSTO_CLUSTER_PRINCIPAL_ASSIGNMENT_SPEC = principalAssignmentSpec('clusters/principalAssignments', KUSTO_CLUSTER_SPEC, [
  'AllDatabasesAdmin',
  'AllDatabasesViewer',
]);
export const KUSTO_DATABASE_PRINCIPAL_ASSIGNMENT_SPEC = principalAssignmentSpec('clusters/databases/principalAssignments', KUSTO_DATABASE_SPEC, DATABASE_ROLES);
