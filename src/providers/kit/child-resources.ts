/**
 * Child resources a provider's hook writes itself, inside the parent's write transaction (AKS agent
 * pools kept equal to `agentPoolProfiles`, subnets written inline in a virtual network): a proxy
 * resource (no location, tags, identity, kind or sku) in the parent's group, `Succeeded`, with a new
 * ETag at each write and its creation time kept.
 */
import type { ResourceRecord } from '../../core/model.js';
import type { JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { TrackedHookContext } from '../../core/resources/tracked/spec.js';

export interface ChildResourceWrite {
  /** The child's id, used when it does not exist yet (an existing record keeps its id and name as stored). */
  id: string;
  type: string;
  name: string;
  properties: JsonObject;
  /** The write's time (ISO), the same for every child of one hook run. */
  now: string;
  /** When true, a stored child whose properties are equal is left as it is (no new ETag). */
  skipUnchanged?: boolean;
}

/** Inserts the child, or updates the stored one. */
export async function upsertChildResource(
  ctx: Pick<TrackedHookContext, 'tx' | 'ids'>,
  parent: Pick<ResourceRecord, 'subscriptionId' | 'resourceGroup'>,
  child: ChildResourceWrite,
): Promise<void> {
  const existing = await ctx.tx.resources.get(child.id);
  if (child.skipUnchanged && existing && JSON.stringify(existing.properties) === JSON.stringify(child.properties)) return;
  const record: ResourceRecord = {
    id: existing?.id ?? child.id,
    subscriptionId: parent.subscriptionId,
    resourceGroup: parent.resourceGroup,
    type: child.type,
    name: existing?.name ?? child.name,
    location: '',
    tags: {},
    properties: child.properties,
    identity: null,
    kind: null,
    sku: null,
    provisioningState: 'Succeeded',
    etag: ctx.ids.newGuid(),
    createdAt: existing?.createdAt ?? child.now,
    updatedAt: child.now,
  };
  if (existing) await ctx.tx.resources.update(record);
  else await ctx.tx.resources.insert(record);
}
