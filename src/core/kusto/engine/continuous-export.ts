/**
 * Continuous exports: `.create-or-alter continuous-export`, `.show continuous-exports`,
 * `.drop continuous-export`, and their runs (a timer calls `runDueContinuousExports`): each run
 * exports the extents added since the previous one to the external table's storage, as the named
 * identity (`AutomatedFlows`) or the external table's own connection string, and records its result.
 */
import type { ResourceRecord } from '../../model.js';
import { KustoError } from '../errors.js';
import { parseQuery } from '../kql-parser.js';
import { runQuery, type Table } from '../query-engine.js';
import { authorize } from './access.js';
import type { CommandOf, EngineContext, KustoRequest } from './context.js';
import { externalTableNotFound } from './external-tables.js';
import { identityToken, tokenForRef } from './identity-flows.js';
import { querySource } from './query.js';
import { childrenOf, DATABASE_TYPE, listClusters } from './resource-tree.js';
import { continuousExportsTable } from './result-tables.js';
import { writeResultBlob } from './storage-io.js';
import { parseStorageRef } from './storage-ref.js';
import { tableSchema } from './tables.js';

export async function createOrAlterContinuousExport(
  ctx: EngineContext,
  r: KustoRequest,
  database: string,
  cmd: CommandOf<'continuous-export'>,
): Promise<Table> {
  const cluster = r.cluster;
  await authorize(ctx, r, database, 'admin', 'Create-or-alter continuous export');
  const ext = await ctx.store.kusto.getEntity(cluster.id, database, 'external_table', cmd.externalTable);
  if (!ext) throw externalTableNotFound(cmd.externalTable, database);
  const interval = cmd.props['intervalBetweenRuns'];
  const intervalMs = interval ? parseInterval(interval) : 300_000;
  const mi = cmd.props['managedIdentity'];
  // The identity must be the cluster's and allowed for AutomatedFlows now, and again at each run.
  if (mi) await identityToken(ctx, cluster, database, mi.toLowerCase(), 'AutomatedFlows');
  // The query's text is kept to run later; re-serialised from the command.
  const text = r.csl.slice(r.csl.indexOf('<|') + 2).trim();
  for (const t of cmd.over.length > 0 ? cmd.over : [cmd.query.source.kind === 'table' ? cmd.query.source.name : ''])
    if (t) await tableSchema(ctx, cluster, database, t);
  const previous = await ctx.store.kusto.getEntity(cluster.id, database, 'continuous_export', cmd.name);
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
  await ctx.store.kusto.putEntity({ cluster: cluster.id, database, kind: 'continuous_export', name: cmd.name, body });
  return continuousExportsTable([{ name: cmd.name, body }]);
}

export async function showContinuousExports(ctx: EngineContext, r: KustoRequest, database: string): Promise<Table> {
  await authorize(ctx, r, database, 'viewer', 'Show continuous exports');
  const entities = await ctx.store.kusto.listEntities(r.cluster.id, database, 'continuous_export');
  return continuousExportsTable(entities.map((e) => ({ name: e.name, body: e.body })));
}

export async function dropContinuousExport(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'drop-continuous-export'>): Promise<Table> {
  await authorize(ctx, r, database, 'admin', 'Drop continuous export');
  if (!(await ctx.store.kusto.deleteEntity(r.cluster.id, database, 'continuous_export', cmd.name)))
    throw new KustoError('entity-not-found', `Continuous export '${cmd.name}' was not found in database '${database}'.`);
  return continuousExportsTable([]);
}

/** `5m`, `1h`, `30s`, … in milliseconds; at least one second. */
function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/i.exec(text.trim());
  if (!m) throw new KustoError('bad-request', `intervalBetweenRuns '${text}' is not a timespan such as 5m or 1h.`);
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as Record<string, number>)[m[2]!.toLowerCase()]!;
  if (ms < 1000) throw new KustoError('bad-request', 'intervalBetweenRuns must be at least one second.');
  return ms;
}

/** Runs the continuous exports of running clusters whose interval has passed; returns how many ran. */
export async function runDueContinuousExports(ctx: EngineContext): Promise<number> {
  let ran = 0;
  // Few clusters per server: read them through their databases' continuous exports.
  for (const cluster of await listClusters(ctx.store)) {
    if (cluster.properties['state'] === 'Stopped') continue;
    for (const db of await childrenOf(ctx.store, cluster, DATABASE_TYPE, cluster.id)) {
      for (const e of await ctx.store.kusto.listEntities(cluster.id, db.name, 'continuous_export')) {
        const last = e.body['lastRunAt'] ? Date.parse(String(e.body['lastRunAt'])) : 0;
        if (ctx.deps.clock.now() - last < Number(e.body['intervalMs'])) continue;
        await runContinuousExport(ctx, cluster, db.name, e.name, e.body);
        ran++;
      }
    }
  }
  return ran;
}

/** One run: exports the new extents' result (if any rows) and records the run, failed or not. */
async function runContinuousExport(ctx: EngineContext, cluster: ResourceRecord, database: string, name: string, body: Record<string, unknown>): Promise<void> {
  const exported = new Set(body['exported'] as string[]);
  const query = parseQuery(String(body['query']));
  const ext = await ctx.store.kusto.getEntity(cluster.id, database, 'external_table', String(body['externalTable']));
  let error: string | null = null;
  let newExtents: string[] = [];
  try {
    if (!ext) throw new KustoError('entity-not-found', `External table '${String(body['externalTable'])}' no longer exists.`);
    const source = await querySource(ctx, cluster, database, query, (_t, id) => !exported.has(id));
    newExtents = (source as Table & { extents?: string[] }).extents ?? [];
    const result = runQuery(source, query);
    if (result.rows.length > 0) {
      const target = parseStorageRef((ext.body['sources'] as string[])[0]!);
      const mi = body['managedIdentity'] as string | null;
      const token = mi ? await identityToken(ctx, cluster, database, mi, 'AutomatedFlows') : await tokenForRef(ctx, cluster, database, target, 'ExternalTable');
      await writeResultBlob(ctx, target.url, token, { prefix: name, format: String(ext.body['format']) === 'json' ? 'json' : 'csv', header: false }, result);
    }
  } catch (e) {
    error = e instanceof KustoError ? e.message : 'The continuous export failed.';
    newExtents = [];
  }
  const record = { ...body, exported: [...exported, ...newExtents], lastRunAt: ctx.now(), lastError: error, runs: Number(body['runs'] ?? 0) + 1 };
  await ctx.store.kusto.putEntity({ cluster: cluster.id, database, kind: 'continuous_export', name, body: record });
}
