/**
 * The `managed_identity` policy (kusto-wire.md §3): entries `{ObjectId: "<guid>"|"system",
 * AllowedUsages: "A, B"}` on the cluster and on databases; `.alter` replaces, `.alter-merge` unions
 * usages per ObjectId, `.delete` removes; cluster and database policies add up, except
 * `SandboxArtifacts`, honoured at cluster level only. Every ObjectId must be an identity the cluster
 * holds when the policy is written, and is checked again each time a flow uses it (a detached
 * identity's entries are inert). Pure: no I/O.
 */
import { KustoError } from './errors.js';

export const USAGES = [
  'All',
  'AutomatedFlows',
  'AzureAI',
  'DataConnection',
  'ExportRequest',
  'ExternalDataRequest',
  'ExternalTable',
  'NativeIngestion',
  'SandboxArtifacts',
  'SqlRequest',
] as const;
export type Usage = (typeof USAGES)[number];

export interface PolicyEntry {
  /** A lower-case object id, or `system`. */
  ObjectId: string;
  AllowedUsages: Usage[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function bad(message: string): KustoError {
  return new KustoError('bad-request', `Invalid managed_identity policy: ${message}`);
}

/** Reads a policy literal (JSON, or the docs' single-quoted JSON); throws a clear error for anything else. */
export function parsePolicy(text: string): PolicyEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The ingestion doc writes the array with single quotes: "[ { 'ObjectId' : '…', … } ]".
    try {
      value = JSON.parse(text.replace(/'/g, '"'));
    } catch {
      throw bad('the policy is not a JSON array of {"ObjectId", "AllowedUsages"} objects.');
    }
  }
  if (!Array.isArray(value)) throw bad('the policy must be a JSON array of {"ObjectId", "AllowedUsages"} objects.');
  const entries: PolicyEntry[] = [];
  for (const [i, raw] of value.entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`entry ${i} is not an object.`);
    const item = raw as Record<string, unknown>;
    for (const key of Object.keys(item)) {
      if (!['ObjectId', 'AllowedUsages', 'ClientId', 'TenantId', 'DisplayName', 'IsSystem'].includes(key))
        throw bad(`entry ${i} has an unknown property '${key}'.`);
    }
    const objectId = item['ObjectId'];
    if (typeof objectId !== 'string' || (objectId.toLowerCase() !== 'system' && !GUID.test(objectId))) {
      throw bad(`entry ${i}: 'ObjectId' must be the object id (a GUID) of a managed identity assigned to the cluster, or 'system'.`);
    }
    const usages = item['AllowedUsages'];
    if (typeof usages !== 'string' || usages.trim() === '')
      throw bad(`entry ${i}: 'AllowedUsages' must be a comma-separated list of usages (${USAGES.join(', ')}).`);
    entries.push({ ObjectId: objectId.toLowerCase(), AllowedUsages: parseUsages(usages, i) });
  }
  const ids = entries.map((e) => e.ObjectId);
  if (new Set(ids).size !== ids.length) throw bad('an ObjectId appears more than once.');
  return entries;
}

function parseUsages(text: string, index: number): Usage[] {
  const out: Usage[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const usage = USAGES.find((u) => u.toLowerCase() === part.toLowerCase());
    if (!usage) throw bad(`entry ${index}: '${part}' is not a managed identity usage; use ${USAGES.join(', ')}.`);
    if (!out.includes(usage)) out.push(usage);
  }
  return out;
}

/** `.alter-merge`: new ObjectIds are added, usages of existing ones are unioned. */
export function mergePolicy(current: readonly PolicyEntry[], incoming: readonly PolicyEntry[]): PolicyEntry[] {
  const out = current.map((e) => ({ ...e, AllowedUsages: [...e.AllowedUsages] }));
  for (const entry of incoming) {
    const existing = out.find((e) => e.ObjectId === entry.ObjectId);
    if (!existing) out.push({ ...entry, AllowedUsages: [...entry.AllowedUsages] });
    else for (const u of entry.AllowedUsages) if (!existing.AllowedUsages.includes(u)) existing.AllowedUsages.push(u);
  }
  return out;
}

/** True when `entries` let the identity (`system`, or its object id) be used for `usage`. */
export function policyAllows(entries: readonly PolicyEntry[], identity: { system: boolean; objectId: string }, usage: Usage): boolean {
  return entries.some(
    (e) =>
      (e.ObjectId === 'system' ? identity.system : e.ObjectId === identity.objectId.toLowerCase()) &&
      (e.AllowedUsages.includes('All') || e.AllowedUsages.includes(usage)),
  );
}
