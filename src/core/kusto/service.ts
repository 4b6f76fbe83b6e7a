/**
 * The Kusto engine behind each cluster's data plane: finds the cluster, decides the caller's Kusto
 * roles from the cluster's and database's principal assignments (not Azure RBAC, as in ADX), runs
 * management commands and queries of Keyless's KQL subset over tables kept in the store, and runs
 * the managed-identity flows: a named identity must be held by the cluster and allowed by the
 * cluster or database `managed_identity` policy for the flow's usage; the engine then gets that
 * identity's token for Azure Storage from the token service and calls the Blob data plane with it,
 * where RBAC decides. Every other way of naming an identity is refused with the seed's message.
 */
import type { Clock } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import { heldIdentities, type HeldIdentity } from '../identities/stored-identity.js';
import type { ResourceRecord } from '../model.js';
import type { Store, VerifiedCaller } from '../ports.js';
import { KustoError, MANAGED_IDENTITY_DISABLED } from './errors.js';
import { parseCommand, parseQuery, type ColumnDef, type Command, type PolicyScope, type Query, type ScalarType } from './kql-parser.js';
import { mergePolicy, parsePolicy, policyAllows, type PolicyEntry, type Usage } from './policy.js';
import { runQuery, type Table } from './query-engine.js';
import { coerce, parseCsv, toCsv } from './values.js';

export const KUSTO_CLUSTER_TYPE = 'Microsoft.Kusto/clusters';
const CLUSTER_PA_TYPE = 'Microsoft.Kusto/clusters/principalAssignments';
const DATABASE_PA_TYPE = 'Microsoft.Kusto/clusters/databases/principalAssignments';
const DATABASE_TYPE = 'Microsoft.Kusto/clusters/databases';

/** The Blob data plane as the flows reach it: plain HTTP with a bearer token (src/dataplanes/kusto/storage-client.ts). */
export interface StorageClient {
  get(url: string, token: string | undefined): Promise<{ status: number; body: Buffer; code?: string }>;
  put(url: string, token: string | undefined, body: Buffer, contentType: string): Promise<{ status: number; code?: string }>;
  /** Blob names below a container URL (with an optional path prefix in the URL). */
  list(containerUrl: string, token: string | undefined): Promise<{ status: number; names: string[]; code?: string }>;
}

export interface KustoServiceDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  storage: StorageClient;
  /** A token of `identity` for `resource` (Azure Storage), from the token service. */
  identityToken(identity: HeldIdentity, resource: string): Promise<string>;
  /** Largest blob a flow reads (bytes). */
  maxBlobBytes?: number;
}

export interface KustoRequest {
  cluster: ResourceRecord;
  database: string;
  csl: string;
  caller: VerifiedCaller;
}

export type KustoResult = Table;

export interface KustoService {
  /** The cluster of a data-plane host name (`adxmain` or `ingest-adxmain`). */
  findCluster(name: string): Promise<ResourceRecord | undefined>;
  executeCommand(request: KustoRequest): Promise<KustoResult>;
  executeQuery(request: KustoRequest): Promise<KustoResult>;
  /** Runs the continuous exports whose interval has passed (called by a timer). */
  runDueContinuousExports(): Promise<number>;
}

/** One entry of a table's update policy. */
interface UpdatePolicyEntry {
  IsEnabled: boolean;
  Source: string;
  Query: string;
  IsTransactional: boolean;
  PropagateIngestionProperties: boolean;
  ManagedIdentity?: string;
}

type Roles = { clusterAdmin: boolean; clusterViewer: boolean; db: Set<string> };

const STORAGE_RESOURCE = 'https://storage.azure.com/';
const DEFAULT_DB = 'NetDefaultDB';

interface StorageRef {
  url: string;
  identity?: string;
  impersonate?: boolean;
}

/** `https://…/c/file.csv;managed_identity=system` → the URL and its credential suffix. */
export function parseStorageRef(text: string): StorageRef {
  const [url, ...options] = text.split(';');
  let parsed: URL;
  try {
    parsed = new URL(url!.trim());
  } catch {
    throw new KustoError('bad-request', `'${redact(text)}' is not a storage URL (https://<account>.blob.<suffix>/<container>/<path>).`);
  }
  if (parsed.protocol !== 'https:') throw new KustoError('bad-request', `Storage connection strings must use https; got '${parsed.protocol}'.`);
  const ref: StorageRef = { url: url!.trim() };
  for (const option of options) {
    const [k, v] = option.split('=', 2).map((s) => s.trim());
    if (k === undefined || k === '') continue;
    if (k.toLowerCase() === 'managed_identity') {
      if (!v) throw new KustoError('bad-request', "';managed_identity=' needs 'system' or the object id of a user-assigned identity.");
      ref.identity = v.toLowerCase();
    } else if (k.toLowerCase() === 'impersonate') {
      ref.impersonate = true;
    } else {
      throw new KustoError(
        'bad-request',
        `The storage connection string option '${k}' is not supported by Keyless; use ';managed_identity=system|<object id>'.`,
      );
    }
  }
  return ref;
}

/** A connection string without its credentials, for messages. */
const redact = (text: string) => text.split(';')[0]!.split('?')[0]!;

export function createKustoService(deps: KustoServiceDeps): KustoService {
  const { store } = deps;
  const maxBlob = deps.maxBlobBytes ?? 256 * 1024 * 1024;
  const now = () => new Date(deps.clock.now()).toISOString();

  async function children(cluster: ResourceRecord, type: string, below: string): Promise<ResourceRecord[]> {
    const out: ResourceRecord[] = [];
    const prefix = `${below.toLowerCase()}/`;
    let after: string | undefined;
    for (;;) {
      const page = await store.resources.listByGroup(cluster.subscriptionId, cluster.resourceGroup, { limit: 500, ...(after ? { after } : {}) }, type);
      out.push(...page.items.filter((r) => r.id.toLowerCase().startsWith(prefix)));
      if (!page.next) return out;
      after = page.next;
    }
  }

  const matches = (pa: ResourceRecord, caller: VerifiedCaller) => {
    const p = pa.properties;
    const oid = String(p['aadObjectId'] ?? '').toLowerCase();
    if (oid !== '' && oid === caller.objectId.toLowerCase()) return true;
    return (
      p['principalType'] === 'App' &&
      String(p['principalId']).toLowerCase() === caller.appId.toLowerCase() &&
      String(p['tenantId'] ?? caller.tenantId).toLowerCase() === caller.tenantId.toLowerCase()
    );
  };

  async function rolesOf(cluster: ResourceRecord, database: string | undefined, caller: VerifiedCaller): Promise<Roles> {
    const clusterRoles = (await children(cluster, CLUSTER_PA_TYPE, cluster.id)).filter((pa) => matches(pa, caller)).map((pa) => String(pa.properties['role']));
    const db = new Set<string>();
    if (database)
      for (const pa of await children(cluster, DATABASE_PA_TYPE, `${cluster.id}/databases/${database}`))
        if (matches(pa, caller)) db.add(String(pa.properties['role']));
    return { clusterAdmin: clusterRoles.includes('AllDatabasesAdmin'), clusterViewer: clusterRoles.includes('AllDatabasesViewer'), db };
  }

  type Need = 'admin' | 'user' | 'viewer' | 'ingestor' | 'monitor';
  function allowed(roles: Roles, need: Need): boolean {
    if (roles.clusterAdmin) return true;
    const d = roles.db;
    switch (need) {
      case 'admin':
        return d.has('Admin');
      case 'user':
        return d.has('Admin') || d.has('User');
      case 'ingestor':
        return d.has('Admin') || d.has('User') || d.has('Ingestor');
      case 'viewer':
        return roles.clusterViewer || d.has('Admin') || d.has('User') || d.has('Viewer') || d.has('UnrestrictedViewer');
      case 'monitor':
        return roles.clusterViewer || d.size > 0;
    }
  }

  function forbidden(caller: VerifiedCaller, operation: string, on: string): KustoError {
    return new KustoError(
      'forbidden',
      `Principal 'aadapp=${caller.appId};${caller.tenantId}' is not authorized to perform operation '${operation}' on '${on}'.`,
    );
  }

  async function requireDatabase(cluster: ResourceRecord, database: string): Promise<string> {
    const db = await store.resources.get(`${cluster.id}/databases/${database}`);
    if (!db || db.type.toLowerCase() !== DATABASE_TYPE.toLowerCase()) {
      throw new KustoError('database-not-found', `Database '${database}' was not found in cluster '${cluster.name}'.`);
    }
    return db.name;
  }

  async function authorize(r: KustoRequest, database: string, need: Need, operation: string): Promise<void> {
    const roles = await rolesOf(r.cluster, database, r.caller);
    if (!allowed(roles, need)) throw forbidden(r.caller, operation, database);
  }

  async function tableSchema(cluster: ResourceRecord, database: string, table: string): Promise<{ name: string; columns: ColumnDef[] }> {
    const e = await store.kusto.getEntity(cluster.id, database, 'table', table);
    if (!e) throw new KustoError('table-not-found', `Table '${table}' was not found in database '${database}'.`);
    return { name: e.name, columns: e.body['columns'] as ColumnDef[] };
  }

  async function tableData(
    cluster: ResourceRecord,
    database: string,
    table: string,
    extentFilter?: (id: string) => boolean,
  ): Promise<Table & { extents: string[] }> {
    const schema = await tableSchema(cluster, database, table);
    const rows: unknown[][] = [];
    const extents: string[] = [];
    for (const x of await store.kusto.listExtents(cluster.id, database, schema.name)) {
      if (extentFilter && !extentFilter(x.id)) continue;
      extents.push(x.id);
      const map = schema.columns.map((c) => x.columns.indexOf(c.name));
      for (const row of x.rows) rows.push(map.map((i) => (i < 0 ? null : (row[i] ?? null))));
    }
    return { columns: schema.columns, rows, extents };
  }

  /** The identity a flow names, if the cluster holds it; the policy decides separately. */
  async function resolveIdentity(cluster: ResourceRecord, named: string): Promise<HeldIdentity> {
    const held = await heldIdentities(cluster, store.principals);
    const found = named === 'system' ? held.find((h) => h.system) : held.find((h) => h.principal.objectId.toLowerCase() === named.toLowerCase());
    if (!found) {
      throw new KustoError(
        'bad-request',
        named === 'system'
          ? `Cluster '${cluster.name}' has no system-assigned managed identity.`
          : `Managed identity '${named}' is not assigned to cluster '${cluster.name}': assign it to the cluster (identity.userAssignedIdentities) and use its object id.`,
      );
    }
    return found;
  }

  async function readPolicy(cluster: ResourceRecord, database: string): Promise<PolicyEntry[]> {
    const e = await store.kusto.getEntity(cluster.id, database, 'policy', 'managed_identity');
    return (e?.body['entries'] as PolicyEntry[] | undefined) ?? [];
  }

  /** The identity's storage token, once the cluster holds it and a policy allows `usage`. */
  async function identityFor(cluster: ResourceRecord, database: string, named: string, usage: Usage): Promise<{ identity: HeldIdentity; token: string }> {
    const identity = await resolveIdentity(cluster, named);
    const who = { system: identity.system, objectId: identity.principal.objectId };
    const clusterOk = policyAllows(await readPolicy(cluster, ''), who, usage);
    const dbOk = usage !== 'SandboxArtifacts' && database !== '' && policyAllows(await readPolicy(cluster, database), who, usage);
    if (!clusterOk && !dbOk) throw new KustoError('bad-request', MANAGED_IDENTITY_DISABLED);
    return { identity, token: await deps.identityToken(identity, STORAGE_RESOURCE) };
  }

  async function tokenForRef(cluster: ResourceRecord, database: string, ref: StorageRef, usage: Usage): Promise<string | undefined> {
    if (ref.impersonate) throw new KustoError('bad-request', "';impersonate' is not supported by Keyless; use ';managed_identity=system|<object id>'.");
    if (!ref.identity) return undefined;
    return (await identityFor(cluster, database, ref.identity, usage)).token;
  }

  function storageFailure(url: string, status: number, code: string | undefined, action: 'download' | 'upload' | 'list'): KustoError {
    if (status === 401 || status === 403) {
      return new KustoError(
        'download-forbidden',
        action === 'download'
          ? `Download_Forbidden: Failed to download source from Azure storage. Access forbidden. Blob: '${redact(url)}' (${status} ${code ?? ''}).`
          : `${action === 'upload' ? 'Upload' : 'List'}_Forbidden: Access to Azure storage was forbidden for '${redact(url)}' (${status} ${code ?? ''}).`,
      );
    }
    if (status === 404)
      return new KustoError('bad-request', `Download_SourceNotFound: Failed to ${action} '${redact(url)}': the blob or container does not exist.`);
    return new KustoError('bad-request', `Failed to ${action} '${redact(url)}': storage answered ${status} ${code ?? ''}.`);
  }

  async function download(url: string, token: string | undefined): Promise<string> {
    const res = await deps.storage.get(url, token);
    if (res.status !== 200 && res.status !== 206) throw storageFailure(url, res.status, res.code, 'download');
    if (res.body.length > maxBlob) throw new KustoError('too-large', `The blob '${redact(url)}' is larger than ${maxBlob} bytes.`);
    return res.body.toString('utf8');
  }

  function readRecords(text: string, format: string, columns: ColumnDef[], ignoreFirst: boolean): unknown[][] {
    if (format === 'csv' || format === 'txt') {
      const records = parseCsv(text);
      if (ignoreFirst) records.shift();
      return records.filter((r) => !(r.length === 1 && r[0] === '')).map((r) => columns.map((c, i) => coerce(r[i] ?? null, c.type)));
    }
    if (format === 'json' || format === 'multijson') {
      const out: unknown[][] = [];
      const push = (o: unknown) => {
        if (typeof o !== 'object' || o === null) return;
        out.push(columns.map((c) => coerce((o as Record<string, unknown>)[c.name] ?? null, c.type)));
      };
      const trimmed = text.trim();
      if (trimmed.startsWith('[')) {
        try {
          (JSON.parse(trimmed) as unknown[]).forEach(push);
        } catch {
          throw new KustoError('bad-request', 'The JSON source is not valid JSON.');
        }
        return out;
      }
      for (const line of trimmed.split('\n')) {
        if (line.trim() === '') continue;
        try {
          push(JSON.parse(line));
        } catch {
          throw new KustoError('bad-request', `The JSON source has a line that is not a JSON object: '${line.slice(0, 80)}'.`);
        }
      }
      return out;
    }
    throw new KustoError('bad-request', `The data format '${format}' is not supported by Keyless; use csv or json.`);
  }

  /**
   * Appends rows to a table and, through the update policies whose `Source` it is, to their target
   * tables (up to 5 levels), all in one transaction: an update policy that fails (its identity no
   * longer allowed) leaves nothing appended anywhere.
   */
  async function appendRows(cluster: ResourceRecord, database: string, table: string, columns: ColumnDef[], rows: unknown[][]): Promise<string> {
    const id = deps.ids.newGuid();
    const appends = [{ table, columns, rows, id }];
    const policies = (await store.kusto.listEntities(cluster.id, database, 'policy')).filter((e) => e.name.toLowerCase().startsWith('update/'));
    for (let i = 0; i < appends.length && i < 50; i++) {
      const from = appends[i]!;
      if (from.rows.length === 0 || appends.length > 5 * (i + 1) + 1) continue;
      for (const policy of policies) {
        for (const entry of policy.body['entries'] as UpdatePolicyEntry[]) {
          if (entry.IsEnabled === false || entry.Source.toLowerCase() !== from.table.toLowerCase()) continue;
          if (entry.ManagedIdentity) await identityFor(cluster, database, entry.ManagedIdentity, 'AutomatedFlows');
          const target = await tableSchema(cluster, database, policy.name.slice('update/'.length));
          const result = runQuery({ columns: from.columns, rows: from.rows }, parseQuery(entry.Query));
          const mapped = result.rows.map((row) =>
            target.columns.map((c) => {
              const k = result.columns.findIndex((x) => x.name === c.name);
              return k < 0 ? null : coerce(row[k], c.type);
            }),
          );
          appends.push({ table: target.name, columns: target.columns, rows: mapped, id: deps.ids.newGuid() });
        }
      }
    }
    await store.transaction(async (tx) => {
      for (const a of appends) {
        if (a.rows.length > 0)
          await tx.kusto.appendExtent({
            cluster: cluster.id,
            database,
            table: a.table,
            id: a.id,
            columns: a.columns.map((c) => c.name),
            rows: a.rows,
            createdAt: now(),
          });
      }
    });
    return id;
  }

  async function updatePolicyCommand(r: KustoRequest, database: string, cmd: Extract<Command, { c: 'update-policy' }>): Promise<Table> {
    const target = await tableSchema(r.cluster, database, cmd.table);
    const name = `update/${target.name}`;
    const show = (entries: UpdatePolicyEntry[] | null): Table => ({
      columns: [
        { name: 'PolicyName', type: 'string' },
        { name: 'EntityName', type: 'string' },
        { name: 'Policy', type: 'string' },
        { name: 'ChildEntities', type: 'string' },
        { name: 'EntityType', type: 'string' },
      ],
      rows: [['TableUpdatePolicy', `[${database}].[${target.name}]`, entries ? JSON.stringify(entries) : null, '', 'Table']],
    });
    if (cmd.action === 'show') {
      await authorize(r, database, 'viewer', 'Show update policy');
      const e = await store.kusto.getEntity(r.cluster.id, database, 'policy', name);
      return show((e?.body['entries'] as UpdatePolicyEntry[] | undefined) ?? null);
    }
    await authorize(r, database, 'admin', `${cmd.action === 'alter' ? 'Alter' : 'Delete'} update policy`);
    if (cmd.action === 'delete') {
      await store.kusto.deleteEntity(r.cluster.id, database, 'policy', name);
      return show(null);
    }
    let value: unknown;
    try {
      value = JSON.parse(cmd.json!);
    } catch {
      throw new KustoError('bad-request', 'The update policy is not a JSON array.');
    }
    if (!Array.isArray(value))
      throw new KustoError('bad-request', 'The update policy must be a JSON array of {"Source", "Query", "IsEnabled", "ManagedIdentity"?} objects.');
    const entries: UpdatePolicyEntry[] = [];
    for (const [i, raw] of value.entries()) {
      const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      if (typeof item['Source'] !== 'string' || typeof item['Query'] !== 'string')
        throw new KustoError('bad-request', `Update policy entry ${i} needs 'Source' (a table) and 'Query' (a query over it).`);
      const source = await tableSchema(r.cluster, database, item['Source']);
      const query = parseQuery(item['Query']);
      if (query.source.kind !== 'table' || query.source.name.toLowerCase() !== source.name.toLowerCase())
        throw new KustoError('semantic', `Semantic error: the update policy's query must read its source table '${source.name}'.`);
      // The query must run over the source's columns.
      runQuery({ columns: source.columns, rows: [] }, query);
      const mi = item['ManagedIdentity'];
      if (mi !== undefined && mi !== null && typeof mi !== 'string') throw new KustoError('bad-request', "'ManagedIdentity' must be 'system' or an object id.");
      // The identity must be the cluster's and allowed for AutomatedFlows now, and again at each run.
      if (typeof mi === 'string') await identityFor(r.cluster, database, mi.toLowerCase(), 'AutomatedFlows');
      entries.push({
        IsEnabled: item['IsEnabled'] !== false,
        Source: source.name,
        Query: item['Query'],
        IsTransactional: item['IsTransactional'] === true,
        PropagateIngestionProperties: item['PropagateIngestionProperties'] === true,
        ...(typeof mi === 'string' ? { ManagedIdentity: mi.toLowerCase() } : {}),
      });
    }
    await store.kusto.putEntity({ cluster: r.cluster.id, database, kind: 'policy', name, body: { entries } });
    return show(entries);
  }

  /** A query's source table: a table of the database, or an external table read as its identity. */
  async function querySource(r: KustoRequest, database: string, query: Query, extentFilter?: (table: string, id: string) => boolean): Promise<Table> {
    const source = query.source;
    for (const op of query.ops) {
      if (op.op === 'evaluate' && op.strings.some((s) => /;\s*managed_identity\s*=/i.test(s))) throw new KustoError('bad-request', MANAGED_IDENTITY_DISABLED);
    }
    if (source.kind === 'externaldata') {
      if (source.strings.some((s) => /;\s*managed_identity\s*=/i.test(s))) throw new KustoError('bad-request', MANAGED_IDENTITY_DISABLED);
      throw new KustoError('semantic', "Semantic error: the 'externaldata' operator is not available on Keyless; use an external table.");
    }
    if (source.kind === 'external_table') return readExternalTable(r.cluster, database, source.name);
    return tableData(r.cluster, database, source.name, extentFilter && ((id) => extentFilter(source.name, id)));
  }

  async function readExternalTable(cluster: ResourceRecord, database: string, name: string): Promise<Table> {
    const e = await store.kusto.getEntity(cluster.id, database, 'external_table', name);
    if (!e) throw new KustoError('entity-not-found', `External table '${name}' was not found in database '${database}'.`);
    const columns = e.body['columns'] as ColumnDef[];
    const format = String(e.body['format']);
    const rows: unknown[][] = [];
    for (const source of e.body['sources'] as string[]) {
      const ref = parseStorageRef(source);
      const token = await tokenForRef(cluster, database, ref, 'ExternalTable');
      const listing = await deps.storage.list(ref.url, token);
      if (listing.status !== 200) throw storageFailure(ref.url, listing.status, listing.code, 'list');
      const base = ref.url.replace(/\/+$/, '');
      for (const blob of listing.names) {
        const text = await download(blobUrl(base, blob), token);
        for (const row of readRecords(text, format, columns, false)) rows.push(row);
      }
    }
    return { columns, rows };
  }

  /** The URL of blob `name` (a full name within the container) given a container or folder URL. */
  function blobUrl(base: string, name: string): string {
    const u = new URL(base);
    const segments = u.pathname.split('/').filter((s) => s !== '');
    // Path-style URLs carry the account first; the container follows.
    const containerDepth = isPathStyle(u) ? 2 : 1;
    const container = segments.slice(0, containerDepth).join('/');
    return `${u.origin}/${container}/${name.split('/').map(encodeURIComponent).join('/')}`;
  }

  const isPathStyle = (u: URL) => /^(\d+\.\d+\.\d+\.\d+|localhost|\[.*\])$/.test(u.hostname);

  function policyShow(scope: PolicyScope, entries: PolicyEntry[], held: HeldIdentity[]): Table {
    const rendered = entries.map((e) => {
      const h = e.ObjectId === 'system' ? held.find((x) => x.system) : held.find((x) => x.principal.objectId.toLowerCase() === e.ObjectId);
      return {
        ObjectId: e.ObjectId === 'system' ? (h?.principal.objectId ?? 'system') : e.ObjectId,
        ClientId: h?.principal.appId ?? '',
        TenantId: h?.principal.tenantId ?? '',
        DisplayName: h?.principal.displayName ?? '',
        IsSystem: e.ObjectId === 'system',
        AllowedUsages: e.AllowedUsages.join(', '),
      };
    });
    return {
      columns: [
        { name: 'EntityName', type: 'string' },
        { name: 'Policies', type: 'string' },
      ],
      rows: [[scope.kind === 'cluster' ? '' : `[${scope.name}]`, JSON.stringify(rendered)]],
    };
  }

  async function policyCommand(r: KustoRequest, cmd: Extract<Command, { c: 'policy' }>): Promise<Table> {
    const database = cmd.scope.kind === 'cluster' ? '' : await requireDatabase(r.cluster, cmd.scope.name);
    const roles = await rolesOf(r.cluster, database || undefined, r.caller);
    const on = cmd.scope.kind === 'cluster' ? `cluster ${r.cluster.name}` : database;
    if (cmd.action === 'show') {
      if (!(roles.clusterAdmin || roles.clusterViewer || (database !== '' && allowed(roles, 'monitor'))))
        throw forbidden(r.caller, 'Show managed_identity policy', on);
    } else if (!(roles.clusterAdmin || (database !== '' && roles.db.has('Admin')))) {
      // AllDatabasesAdmin for either policy; a database's Admin for that database's policy (issue 12).
      throw forbidden(
        r.caller,
        `${cmd.action === 'delete' ? 'Delete' : 'Alter'} managed_identity policy (needs AllDatabasesAdmin${database ? ` or Admin of database '${database}'` : ''})`,
        on,
      );
    }
    const held = await heldIdentities(r.cluster, store.principals);
    const current = await readPolicy(r.cluster, database);
    if (cmd.action === 'show') return policyShow(cmd.scope, current, held);
    if (cmd.action === 'delete') {
      await store.kusto.deleteEntity(r.cluster.id, database, 'policy', 'managed_identity');
      return policyShow(cmd.scope, [], held);
    }
    const incoming = parsePolicy(cmd.json!);
    for (const e of incoming) {
      // Nothing is written unless every identity is the cluster's.
      if (e.ObjectId === 'system' ? !held.some((h) => h.system) : !held.some((h) => h.principal.objectId.toLowerCase() === e.ObjectId)) {
        throw new KustoError(
          'bad-request',
          e.ObjectId === 'system'
            ? `Invalid managed_identity policy: cluster '${r.cluster.name}' has no system-assigned managed identity; the policy was not changed.`
            : `Invalid managed_identity policy: managed identity '${e.ObjectId}' is not assigned to cluster '${r.cluster.name}'; the policy was not changed.`,
        );
      }
    }
    const next = cmd.action === 'alter' ? incoming : mergePolicy(current, incoming);
    await store.kusto.putEntity({ cluster: r.cluster.id, database, kind: 'policy', name: 'managed_identity', body: { entries: next } });
    return policyShow(cmd.scope, next, held);
  }

  const schemaRow = (name: string, columns: ColumnDef[]) =>
    JSON.stringify({ Name: name, OrderedColumns: columns.map((c) => ({ Name: c.name, Type: `System.${dotNet(c.type)}`, CslType: c.type })) });

  async function command(r: KustoRequest, cmd: Command): Promise<Table> {
    if (cmd.c === 'policy') return policyCommand(r, cmd);
    const database = await requireDatabase(r.cluster, r.database);
    const cluster = r.cluster;
    switch (cmd.c) {
      case 'update-policy':
        return updatePolicyCommand(r, database, cmd);
      case 'show-tables': {
        await authorize(r, database, 'monitor', 'Show tables');
        const tables = await store.kusto.listEntities(cluster.id, database, 'table');
        return {
          columns: [
            { name: 'TableName', type: 'string' },
            { name: 'DatabaseName', type: 'string' },
            { name: 'Folder', type: 'string' },
            { name: 'DocString', type: 'string' },
          ],
          rows: tables.map((t) => [t.name, database, '', '']),
        };
      }
      case 'show-table-schema': {
        await authorize(r, database, 'viewer', 'Show table schema');
        const t = await tableSchema(cluster, database, cmd.table);
        return {
          columns: [
            { name: 'TableName', type: 'string' },
            { name: 'Schema', type: 'string' },
            { name: 'DatabaseName', type: 'string' },
            { name: 'Folder', type: 'string' },
            { name: 'DocString', type: 'string' },
          ],
          rows: [[t.name, schemaRow(t.name, t.columns), database, '', '']],
        };
      }
      case 'create-table': {
        await authorize(r, database, 'user', cmd.merge ? 'Create-merge table' : 'Create table');
        const existing = await store.kusto.getEntity(cluster.id, database, 'table', cmd.table);
        let columns = cmd.columns;
        if (existing) {
          const old = existing.body['columns'] as ColumnDef[];
          for (const c of cmd.columns) {
            const o = old.find((x) => x.name === c.name);
            if (o && o.type !== c.type)
              throw new KustoError('bad-request', `Column '${c.name}' of table '${existing.name}' is of type ${o.type}; it cannot become ${c.type}.`);
          }
          if (!cmd.merge) {
            const same = old.length === cmd.columns.length && old.every((o, i) => o.name === cmd.columns[i]!.name && o.type === cmd.columns[i]!.type);
            if (!same)
              throw new KustoError('bad-request', `Table '${existing.name}' already exists with a different schema; use .create-merge table to add columns.`);
          }
          columns = [...old, ...cmd.columns.filter((c) => !old.some((o) => o.name === c.name))];
        }
        if (columns.length === 0) throw new KustoError('bad-request', 'A table needs at least one column.');
        const name = existing?.name ?? cmd.table;
        await store.kusto.putEntity({ cluster: cluster.id, database, kind: 'table', name, body: { columns } });
        return {
          columns: [
            { name: 'TableName', type: 'string' },
            { name: 'Schema', type: 'string' },
            { name: 'DatabaseName', type: 'string' },
            { name: 'Folder', type: 'string' },
            { name: 'DocString', type: 'string' },
          ],
          rows: [[name, schemaRow(name, columns), database, '', '']],
        };
      }
      case 'drop-table': {
        await authorize(r, database, 'admin', 'Drop table');
        const e = await store.kusto.getEntity(cluster.id, database, 'table', cmd.table);
        if (!e) {
          if (!cmd.ifExists) throw new KustoError('table-not-found', `Table '${cmd.table}' was not found in database '${database}'.`);
        } else {
          await store.transaction(async (tx) => {
            await tx.kusto.deleteExtents(cluster.id, database, e.name);
            await tx.kusto.deleteEntity(cluster.id, database, 'table', e.name);
            await tx.kusto.deleteEntity(cluster.id, database, 'policy', `update/${e.name}`);
          });
        }
        const tables = await store.kusto.listEntities(cluster.id, database, 'table');
        return {
          columns: [
            { name: 'TableName', type: 'string' },
            { name: 'DatabaseName', type: 'string' },
          ],
          rows: tables.map((t) => [t.name, database]),
        };
      }
      case 'set-or-append': {
        await authorize(r, database, 'ingestor', 'Set-or-append');
        const result = runQuery(await querySource(r, database, cmd.query), cmd.query);
        let target = await store.kusto.getEntity(cluster.id, database, 'table', cmd.table);
        if (!target) {
          target = { cluster: cluster.id, database, kind: 'table', name: cmd.table, body: { columns: result.columns } };
          await store.kusto.putEntity(target);
        }
        const columns = target.body['columns'] as ColumnDef[];
        const rows = result.rows.map((row) =>
          columns.map((c) => {
            const i = result.columns.findIndex((x) => x.name === c.name);
            return i < 0 ? null : coerce(row[i], c.type);
          }),
        );
        const extent = await appendRows(cluster, database, target.name, columns, rows);
        return ingestResult(extent, `${rows.length} rows from query`);
      }
      case 'ingest': {
        await authorize(r, database, 'ingestor', 'Ingest');
        const table = await tableSchema(cluster, database, cmd.table);
        const format = (cmd.props['format'] ?? 'csv').toLowerCase();
        const ignoreFirst = (cmd.props['ignoreFirstRecord'] ?? 'false').toLowerCase() === 'true';
        const rows: unknown[][] = [];
        for (const source of cmd.sources) {
          const ref = parseStorageRef(source);
          const token = await tokenForRef(cluster, database, ref, 'NativeIngestion');
          for (const row of readRecords(await download(ref.url, token), format, table.columns, ignoreFirst)) rows.push(row);
        }
        const extent = await appendRows(cluster, database, table.name, table.columns, rows);
        return ingestResult(extent, cmd.sources.map(redact).join(', '));
      }
      case 'create-external-table': {
        await authorize(r, database, 'admin', 'Create external table');
        if (!['csv', 'json', 'multijson', 'txt'].includes(cmd.format))
          throw new KustoError('bad-request', `The data format '${cmd.format}' is not supported by Keyless; use csv or json.`);
        for (const s of cmd.sources) {
          const ref = parseStorageRef(s);
          if (ref.impersonate) throw new KustoError('bad-request', "';impersonate' is not supported by Keyless; use ';managed_identity=system|<object id>'.");
          if (ref.identity) await resolveIdentity(cluster, ref.identity);
        }
        await store.kusto.putEntity({
          cluster: cluster.id,
          database,
          kind: 'external_table',
          name: cmd.name,
          body: { columns: cmd.columns, format: cmd.format, sources: cmd.sources },
        });
        return externalTablesTable([{ name: cmd.name, columns: cmd.columns, sources: cmd.sources }]);
      }
      case 'drop-external-table': {
        await authorize(r, database, 'admin', 'Drop external table');
        if (!(await store.kusto.deleteEntity(cluster.id, database, 'external_table', cmd.name)))
          throw new KustoError('entity-not-found', `External table '${cmd.name}' was not found in database '${database}'.`);
        return externalTablesTable([]);
      }
      case 'show-external-tables': {
        await authorize(r, database, 'viewer', 'Show external tables');
        return externalTablesTable(
          (await store.kusto.listEntities(cluster.id, database, 'external_table')).map((e) => ({
            name: e.name,
            columns: e.body['columns'] as ColumnDef[],
            sources: e.body['sources'] as string[],
          })),
        );
      }
      case 'export': {
        await authorize(r, database, 'viewer', 'Export');
        if (cmd.format !== 'csv' && cmd.format !== 'json')
          throw new KustoError('bad-request', `Export format '${cmd.format}' is not supported by Keyless; use csv or json.`);
        const result = runQuery(await querySource(r, database, cmd.query), cmd.query);
        const rows: unknown[][] = [];
        const header = (cmd.props['includeHeader'] ?? 'none').toLowerCase() !== 'none';
        for (const target of cmd.targets) {
          const ref = parseStorageRef(target);
          const token = await tokenForRef(cluster, database, ref, 'ExportRequest');
          const path = await writeBlob(ref.url, token, cmd.props['namePrefix'] ?? 'export', cmd.format, result, header);
          rows.push([path, result.rows.length, 0]);
        }
        return {
          columns: [
            { name: 'Path', type: 'string' },
            { name: 'NumRecords', type: 'long' },
            { name: 'SizeInBytes', type: 'long' },
          ],
          rows,
        };
      }
      case 'continuous-export': {
        await authorize(r, database, 'admin', 'Create-or-alter continuous export');
        const ext = await store.kusto.getEntity(cluster.id, database, 'external_table', cmd.externalTable);
        if (!ext) throw new KustoError('entity-not-found', `External table '${cmd.externalTable}' was not found in database '${database}'.`);
        const interval = cmd.props['intervalBetweenRuns'];
        const intervalMs = interval ? parseInterval(interval) : 300_000;
        const mi = cmd.props['managedIdentity'];
        if (mi) {
          // The identity must be the cluster's and allowed for AutomatedFlows now, and again at each run.
          await identityFor(cluster, database, mi.toLowerCase(), 'AutomatedFlows');
        }
        const query = cmd.query;
        // The query's text is kept to run later; re-serialised from the command.
        const text = r.csl.slice(r.csl.indexOf('<|') + 2).trim();
        for (const t of cmd.over.length > 0 ? cmd.over : [query.source.kind === 'table' ? query.source.name : ''])
          if (t) await tableSchema(cluster, database, t);
        const previous = await store.kusto.getEntity(cluster.id, database, 'continuous_export', cmd.name);
        const body = {
          externalTable: ext.name,
          query: text,
          intervalMs,
          managedIdentity: mi ? mi.toLowerCase() : null,
          over: cmd.over,
          exported: (previous?.body['exported'] as string[] | undefined) ?? [],
          lastRunAt: previous?.body['lastRunAt'] ?? null,
          lastError: null,
          runs: previous?.body['runs'] ?? 0,
        };
        await store.kusto.putEntity({ cluster: cluster.id, database, kind: 'continuous_export', name: cmd.name, body });
        return continuousExportsTable([{ name: cmd.name, body }]);
      }
      case 'show-continuous-exports': {
        await authorize(r, database, 'viewer', 'Show continuous exports');
        return continuousExportsTable((await store.kusto.listEntities(cluster.id, database, 'continuous_export')).map((e) => ({ name: e.name, body: e.body })));
      }
      case 'drop-continuous-export': {
        await authorize(r, database, 'admin', 'Drop continuous export');
        if (!(await store.kusto.deleteEntity(cluster.id, database, 'continuous_export', cmd.name)))
          throw new KustoError('entity-not-found', `Continuous export '${cmd.name}' was not found in database '${database}'.`);
        return continuousExportsTable([]);
      }
    }
  }

  async function writeBlob(url: string, token: string | undefined, prefix: string, format: string, result: Table, header: boolean): Promise<string> {
    const base = url.replace(/\/+$/, '');
    const name = `${prefix}_${deps.ids.newGuid()}.${format}`;
    const target = `${base}/${name}`;
    const body =
      format === 'csv'
        ? toCsv(result.rows, header ? result.columns.map((c) => c.name) : undefined)
        : result.rows.map((row) => JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])))).join('\n') +
          (result.rows.length ? '\n' : '');
    const res = await deps.storage.put(target, token, Buffer.from(body, 'utf8'), format === 'csv' ? 'text/csv' : 'application/json');
    if (res.status !== 201 && res.status !== 200) throw storageFailure(target, res.status, res.code, 'upload');
    return target;
  }

  async function runContinuousExport(cluster: ResourceRecord, database: string, name: string, body: Record<string, unknown>): Promise<void> {
    const exported = new Set(body['exported'] as string[]);
    const query = parseQuery(String(body['query']));
    const ext = await store.kusto.getEntity(cluster.id, database, 'external_table', String(body['externalTable']));
    let error: string | null = null;
    let newExtents: string[] = [];
    try {
      if (!ext) throw new KustoError('entity-not-found', `External table '${String(body['externalTable'])}' no longer exists.`);
      const source = await querySource(
        { cluster, database, csl: '', caller: { objectId: '', tenantId: '', appId: '', claims: {} } },
        database,
        query,
        (_t, id) => !exported.has(id),
      );
      newExtents = (source as Table & { extents?: string[] }).extents ?? [];
      const result = runQuery(source, query);
      if (result.rows.length > 0) {
        const target = parseStorageRef((ext.body['sources'] as string[])[0]!);
        const mi = body['managedIdentity'] as string | null;
        const token = mi ? (await identityFor(cluster, database, mi, 'AutomatedFlows')).token : await tokenForRef(cluster, database, target, 'ExternalTable');
        await writeBlob(target.url, token, name, String(ext.body['format']) === 'json' ? 'json' : 'csv', result, false);
      }
    } catch (e) {
      error = e instanceof KustoError ? e.message : 'The continuous export failed.';
      newExtents = [];
    }
    await store.kusto.putEntity({
      cluster: cluster.id,
      database,
      kind: 'continuous_export',
      name,
      body: { ...body, exported: [...exported, ...newExtents], lastRunAt: now(), lastError: error, runs: Number(body['runs'] ?? 0) + 1 },
    });
  }

  return {
    async findCluster(name) {
      const clusterName = name.toLowerCase().startsWith('ingest-') ? name.slice('ingest-'.length) : name;
      const found = await store.resources.findByTypeAndName(KUSTO_CLUSTER_TYPE, clusterName);
      return found[0];
    },
    async executeCommand(r) {
      const cmd = parseCommand(r.csl);
      return command(r, cmd);
    },
    async executeQuery(r) {
      const query = parseQuery(r.csl);
      const database = await requireDatabase(r.cluster, r.database);
      await authorize(r, database, 'viewer', 'Query');
      return runQuery(await querySource(r, database, query), query);
    },
    async runDueContinuousExports() {
      let ran = 0;
      const clusters: ResourceRecord[] = [];
      // Few clusters per server: read them through their databases' continuous exports.
      for (const subscription of await store.subscriptions.list()) {
        let after: string | undefined;
        for (;;) {
          const page = await store.resources.listBySubscription(subscription.id, { limit: 500, ...(after ? { after } : {}) }, KUSTO_CLUSTER_TYPE);
          clusters.push(...page.items);
          if (!page.next) break;
          after = page.next;
        }
      }
      for (const cluster of clusters) {
        if (cluster.properties['state'] === 'Stopped') continue;
        for (const db of await children(cluster, DATABASE_TYPE, cluster.id)) {
          for (const e of await store.kusto.listEntities(cluster.id, db.name, 'continuous_export')) {
            const last = e.body['lastRunAt'] ? Date.parse(String(e.body['lastRunAt'])) : 0;
            if (deps.clock.now() - last < Number(e.body['intervalMs'])) continue;
            await runContinuousExport(cluster, db.name, e.name, e.body);
            ran++;
          }
        }
      }
      return ran;
    },
  };
}

function ingestResult(extentId: string, item: string): Table {
  return {
    columns: [
      { name: 'ExtentId', type: 'guid' },
      { name: 'ItemLoaded', type: 'string' },
      { name: 'Duration', type: 'timespan' },
      { name: 'HasErrors', type: 'bool' },
      { name: 'OperationId', type: 'guid' },
    ],
    rows: [[extentId, item, '00:00:00', false, extentId]],
  };
}

function externalTablesTable(tables: { name: string; columns: ColumnDef[]; sources: string[] }[]): Table {
  return {
    columns: [
      { name: 'TableName', type: 'string' },
      { name: 'TableType', type: 'string' },
      { name: 'Folder', type: 'string' },
      { name: 'DocString', type: 'string' },
      { name: 'Schema', type: 'string' },
      { name: 'Properties', type: 'string' },
      { name: 'ConnectionStrings', type: 'dynamic' },
    ],
    // Connection strings are shown without their credential part, as Kusto obfuscates them.
    rows: tables.map((t) => [
      t.name,
      'Blob',
      '',
      '',
      JSON.stringify(t.columns.map((c) => ({ Name: c.name, CslType: c.type }))),
      '{}',
      t.sources.map((s) => `${s.split(';')[0]}${s.includes(';') ? ';*******' : ''}`),
    ]),
  };
}

function continuousExportsTable(exports: { name: string; body: Record<string, unknown> }[]): Table {
  return {
    columns: [
      { name: 'Name', type: 'string' },
      { name: 'ExternalTableName', type: 'string' },
      { name: 'Query', type: 'string' },
      { name: 'IntervalBetweenRuns', type: 'timespan' },
      { name: 'ManagedIdentity', type: 'string' },
      { name: 'LastRunTime', type: 'datetime' },
      { name: 'LastRunResult', type: 'string' },
      { name: 'Runs', type: 'long' },
    ],
    rows: exports.map((e) => [
      e.name,
      e.body['externalTable'],
      e.body['query'],
      msToTimespan(Number(e.body['intervalMs'])),
      e.body['managedIdentity'] ?? '',
      e.body['lastRunAt'] ?? null,
      e.body['lastError'] ? `Failed: ${String(e.body['lastError'])}` : e.body['lastRunAt'] ? 'Completed' : '',
      e.body['runs'] ?? 0,
    ]),
  };
}

function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/i.exec(text.trim());
  if (!m) throw new KustoError('bad-request', `intervalBetweenRuns '${text}' is not a timespan such as 5m or 1h.`);
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as Record<string, number>)[m[2]!.toLowerCase()]!;
  if (ms < 1000) throw new KustoError('bad-request', 'intervalBetweenRuns must be at least one second.');
  return ms;
}

function msToTimespan(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function dotNet(type: ScalarType): string {
  return (
    {
      string: 'String',
      long: 'Int64',
      int: 'Int32',
      real: 'Double',
      bool: 'Boolean',
      datetime: 'DateTime',
      timespan: 'TimeSpan',
      guid: 'Guid',
      dynamic: 'Object',
      decimal: 'Data.SqlTypes.SqlDecimal',
    } as const
  )[type];
}

export { DEFAULT_DB };
