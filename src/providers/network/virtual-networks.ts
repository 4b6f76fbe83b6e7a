/**
 * Virtual networks and their subnets (Microsoft.Network/virtualNetworks, …/subnets), minimal but
 * real: enough for an AKS agent pool's `vnetSubnetID` (and `az aks create --vnet-subnet-id`) to name
 * a subnet that exists, and for role assignments at a subnet's scope (az gives the control-plane
 * identity Network Contributor there). Address prefixes are checked as CIDRs, a subnet must lie in
 * its network's address space; nothing is routed. Subnets can be written inline in the network's
 * `properties.subnets` (what `az network vnet create --subnet-name` sends) or through their own
 * routes; both are kept equal.
 */
import { isoTime } from '../../core/clock.js';
import { DomainError } from '../../core/errors.js';
import type { ResourceRecord } from '../../core/model.js';
import { isJsonObject, type JsonObject } from '../../core/resources/tracked/json-paths.js';
import type { TrackedHookContext, TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import { upsertChildResource } from '../kit/child-resources.js';

export const SUBNET_TYPE = 'Microsoft.Network/virtualNetworks/subnets';
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_]$|^[a-zA-Z0-9]$/;

function assertName(kind: string) {
  return (name: string) => {
    if (!NAME.test(name))
      throw new DomainError(
        'InvalidResourceName',
        `Resource name ${name} is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.`,
        { target: kind },
      );
  };
}

function cidr(value: unknown, target: string): [number, number] {
  const m = typeof value === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value) : null;
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits > 32) {
    throw new DomainError('InvalidParameter', `'${String(value)}' is not a valid address prefix (CIDR, e.g. 10.0.0.0/16).`, { target });
  }
  const base = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return [Math.floor(base / size) * size, size];
}

const within = (inner: [number, number], outer: [number, number]) => inner[0] >= outer[0] && inner[0] + inner[1] <= outer[0] + outer[1];

function prefixesOf(vnet: JsonObject): [number, number][] {
  const space = vnet['addressSpace'];
  const list = isJsonObject(space) && Array.isArray(space['addressPrefixes']) ? space['addressPrefixes'] : [];
  return list.map((p, i) => cidr(p, `properties.addressSpace.addressPrefixes[${i}]`));
}

function checkSubnetPrefix(vnetName: string, vnet: JsonObject, subnetName: string, properties: JsonObject): void {
  const prefix = properties['addressPrefix'];
  if (prefix === undefined)
    throw new DomainError('InvalidParameter', `Subnet '${subnetName}' needs 'properties.addressPrefix'.`, { target: 'properties.addressPrefix' });
  const range = cidr(prefix, 'properties.addressPrefix');
  if (!prefixesOf(vnet).some((outer) => within(range, outer))) {
    throw new DomainError(
      'InvalidParameter',
      `Subnet '${subnetName}' is not valid because its IP address range is outside the IP address range of virtual network '${vnetName}'.`,
      { target: 'properties.addressPrefix' },
    );
  }
}

/** Inline subnets of a network PUT become (or update) subnet resources; the stored list is name + properties. */
async function syncInline(ctx: TrackedHookContext): Promise<ResourceRecord> {
  const sent = ctx.resource.properties['subnets'];
  if (sent === undefined) return ctx.resource;
  if (!Array.isArray(sent) || !sent.every(isJsonObject))
    throw new DomainError('InvalidParameter', "'properties.subnets' must be an array of subnets.", { target: 'properties.subnets' });
  const subnets: JsonObject[] = [];
  for (const s of sent) {
    const name = String(s['name'] ?? '');
    assertName('subnets')(name);
    const properties = isJsonObject(s['properties']) ? s['properties'] : {};
    checkSubnetPrefix(ctx.resource.name, ctx.resource.properties, name, properties);
    await upsertChildResource(ctx, ctx.resource, {
      id: `${ctx.resource.id}/subnets/${name}`,
      type: SUBNET_TYPE,
      name,
      properties,
      now: isoTime(ctx.clock.now()),
    });
    subnets.push({ name, properties });
  }
  return { ...ctx.resource, properties: { ...ctx.resource.properties, subnets } };
}

export const VIRTUAL_NETWORK_SPEC: TrackedTypeSpec = {
  namespace: 'Microsoft.Network',
  type: 'virtualNetworks',
  label: 'virtual network',
  shape: 'tracked',
  assertName: assertName('virtualNetworkName'),
  properties: {
    readOnly: ['provisioningState', 'resourceGuid'],
    write: (properties, { existing, ids }) => {
      prefixesOf(properties);
      return {
        ...properties,
        resourceGuid: existing?.properties['resourceGuid'] ?? ids.newGuid(),
        ...(properties['subnets'] === undefined && existing ? { subnets: existing.properties['subnets'] } : {}),
      };
    },
  },
  hooks: { onCreate: syncInline, onUpdate: syncInline },
};

async function writeSubnet(ctx: TrackedHookContext): Promise<void> {
  const vnetId = ctx.resource.id.replace(/\/subnets\/[^/]+$/i, '');
  const vnet = await ctx.tx.resources.get(vnetId);
  if (!vnet) return;
  checkSubnetPrefix(vnet.name, vnet.properties, ctx.resource.name, ctx.resource.properties);
  await saveVnetSubnets(ctx, vnet, (list) => [
    ...list.filter((s) => String(s['name']).toLowerCase() !== ctx.resource.name.toLowerCase()),
    { name: ctx.resource.name, properties: ctx.resource.properties },
  ]);
}

async function saveVnetSubnets(ctx: TrackedHookContext, vnet: ResourceRecord, change: (list: JsonObject[]) => JsonObject[]): Promise<void> {
  const list = Array.isArray(vnet.properties['subnets']) ? (vnet.properties['subnets'] as JsonObject[]) : [];
  const updated = { ...vnet, properties: { ...vnet.properties, subnets: change(list) }, etag: ctx.ids.newGuid(), updatedAt: isoTime(ctx.clock.now()) };
  if (!(await ctx.tx.resources.update(updated, vnet.etag)))
    throw new DomainError('Conflict', `The virtual network '${vnet.name}' was changed meanwhile. Retry the request.`);
}

export const SUBNET_SPEC: TrackedTypeSpec = {
  namespace: 'Microsoft.Network',
  type: 'virtualNetworks/subnets',
  label: 'subnet',
  shape: 'proxy',
  parent: VIRTUAL_NETWORK_SPEC,
  assertName: assertName('subnetName'),
  properties: { readOnly: ['provisioningState'] },
  hooks: {
    onCreate: async (ctx) => {
      await writeSubnet(ctx);
    },
    onUpdate: async (ctx) => {
      await writeSubnet(ctx);
    },
    async onDelete(ctx) {
      const vnetId = ctx.resource.id.replace(/\/subnets\/[^/]+$/i, '');
      const vnet = await ctx.tx.resources.get(vnetId);
      if (vnet) await saveVnetSubnets(ctx, vnet, (list) => list.filter((s) => String(s['name']).toLowerCase() !== ctx.resource.name.toLowerCase()));
    },
  },
};

/** Network's wire shape: subnets listed with their ids; `etag` and `provisioningState` as the RP writes them. */
export function toVirtualNetworkWire(resource: ResourceRecord, ctx: { provisioningState?: string }): JsonObject {
  const subnets = (Array.isArray(resource.properties['subnets']) ? (resource.properties['subnets'] as JsonObject[]) : []).map((s) => ({
    id: `${resource.id}/subnets/${String(s['name'])}`,
    name: s['name'],
    type: SUBNET_TYPE,
    properties: { ...(s['properties'] as JsonObject), provisioningState: 'Succeeded' },
  }));
  return {
    id: resource.id,
    name: resource.name,
    type: resource.type,
    location: resource.location,
    tags: resource.tags,
    etag: `W/"${resource.etag}"`,
    properties: { ...resource.properties, subnets, provisioningState: ctx.provisioningState ?? resource.provisioningState },
  };
}

export function toSubnetWire(resource: ResourceRecord, ctx: { provisioningState?: string }): JsonObject {
  return {
    id: resource.id,
    name: resource.name,
    type: SUBNET_TYPE,
    etag: `W/"${resource.etag}"`,
    properties: { ...resource.properties, provisioningState: ctx.provisioningState ?? resource.provisioningState },
  };
}
