/** The Kusto engine's entities and extents (migration 12). Names compare case-insensitively. */
import type { KustoEntity, KustoEntityKind, KustoExtent, KustoRepository } from '../../core/kusto/model.js';
import type { KustoEntityTable, KustoExtentTable } from '../schema.js';
import { countOf, fromJson, keyOf, toJson, type DbSource } from './shared.js';

const toEntity = (r: KustoEntityTable, cluster: string, database: string): KustoEntity => ({
  cluster,
  database,
  kind: r.kind as KustoEntityKind,
  name: r.name,
  body: fromJson(r.body),
});

const toExtent = (r: KustoExtentTable, cluster: string, database: string, table: string): KustoExtent => ({
  cluster,
  database,
  table,
  id: r.extent_id,
  columns: fromJson(r.columns),
  rows: fromJson(r.rows),
  createdAt: r.created_at,
});

export function createKustoRepository(db: DbSource): KustoRepository {
  const entities = (cluster: string, database: string, kind: KustoEntityKind) =>
    db()
      .selectFrom('kusto_entities')
      .selectAll()
      .where('cluster_key', '=', keyOf(cluster))
      .where('database_key', '=', keyOf(database))
      .where('kind', '=', kind);
  return {
    async getEntity(cluster, database, kind, name) {
      const r = await entities(cluster, database, kind).where('name_key', '=', keyOf(name)).executeTakeFirst();
      return r && toEntity(r, cluster, database);
    },
    async listEntities(cluster, database, kind) {
      return (await entities(cluster, database, kind).orderBy('name_key').execute()).map((r) => toEntity(r, cluster, database));
    },
    async putEntity(e) {
      const row: KustoEntityTable = {
        cluster_key: keyOf(e.cluster),
        database_key: keyOf(e.database),
        kind: e.kind,
        name_key: keyOf(e.name),
        name: e.name,
        body: toJson(e.body),
      };
      await db()
        .insertInto('kusto_entities')
        .values(row)
        .onConflict((oc) => oc.columns(['cluster_key', 'database_key', 'kind', 'name_key']).doUpdateSet({ name: row.name, body: row.body }))
        .execute();
    },
    async deleteEntity(cluster, database, kind, name) {
      const r = await db()
        .deleteFrom('kusto_entities')
        .where('cluster_key', '=', keyOf(cluster))
        .where('database_key', '=', keyOf(database))
        .where('kind', '=', kind)
        .where('name_key', '=', keyOf(name))
        .executeTakeFirst();
      return countOf(r) > 0;
    },
    async appendExtent(x) {
      await db()
        .insertInto('kusto_extents')
        .values({
          cluster_key: keyOf(x.cluster),
          database_key: keyOf(x.database),
          table_key: keyOf(x.table),
          extent_id: x.id,
          columns: toJson(x.columns),
          rows: toJson(x.rows),
          created_at: x.createdAt,
        })
        .execute();
    },
    async listExtents(cluster, database, table) {
      const rows = await db()
        .selectFrom('kusto_extents')
        .selectAll()
        .where('cluster_key', '=', keyOf(cluster))
        .where('database_key', '=', keyOf(database))
        .where('table_key', '=', keyOf(table))
        .orderBy('created_at')
        .orderBy('extent_id')
        .execute();
      return rows.map((r) => toExtent(r, cluster, database, table));
    },
    async deleteExtents(cluster, database, table) {
      const r = await db()
        .deleteFrom('kusto_extents')
        .where('cluster_key', '=', keyOf(cluster))
        .where('database_key', '=', keyOf(database))
        .where('table_key', '=', keyOf(table))
        .executeTakeFirst();
      return countOf(r);
    },
    async deleteDatabase(cluster, database) {
      await db().deleteFrom('kusto_extents').where('cluster_key', '=', keyOf(cluster)).where('database_key', '=', keyOf(database)).execute();
      await db().deleteFrom('kusto_entities').where('cluster_key', '=', keyOf(cluster)).where('database_key', '=', keyOf(database)).execute();
    },
    async deleteCluster(cluster) {
      await db().deleteFrom('kusto_extents').where('cluster_key', '=', keyOf(cluster)).execute();
      await db().deleteFrom('kusto_entities').where('cluster_key', '=', keyOf(cluster)).execute();
    },
  };
}
