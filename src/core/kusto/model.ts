/**
 * What the Kusto (Azure Data Explorer) engine keeps per cluster, and the repository port storage
 * implements (migration 12): named entities (tables' schemas, external tables, continuous exports,
 * policies) and extents (batches of rows appended by one ingestion or `.set-or-append`).
 * A cluster is keyed by its ARM id; the empty database name holds cluster-level entities.
 */

/** The kinds of named entities kept per database (or per cluster for policies). */
export type KustoEntityKind = 'table' | 'external_table' | 'continuous_export' | 'policy';

export interface KustoEntity {
  /** The cluster's ARM id. */
  cluster: string;
  /** The database name ('' for cluster-level entities). */
  database: string;
  kind: KustoEntityKind;
  /** The entity's name as created (names compare case-insensitively here). */
  name: string;
  body: Record<string, unknown>;
}

/** A batch of rows appended at once, with the column names they were written under. */
export interface KustoExtent {
  cluster: string;
  database: string;
  table: string;
  id: string;
  columns: string[];
  rows: unknown[][];
  createdAt: string;
}

export interface KustoRepository {
  getEntity(cluster: string, database: string, kind: KustoEntityKind, name: string): Promise<KustoEntity | undefined>;
  listEntities(cluster: string, database: string, kind: KustoEntityKind): Promise<KustoEntity[]>;
  /** Inserts or replaces. */
  putEntity(entity: KustoEntity): Promise<void>;
  deleteEntity(cluster: string, database: string, kind: KustoEntityKind, name: string): Promise<boolean>;
  appendExtent(extent: KustoExtent): Promise<void>;
  listExtents(cluster: string, database: string, table: string): Promise<KustoExtent[]>;
  deleteExtents(cluster: string, database: string, table: string): Promise<number>;
  /** Everything of one database (its ARM resource was deleted). */
  deleteDatabase(cluster: string, database: string): Promise<void>;
  /** Everything of a cluster (its ARM resource was deleted). */
  deleteCluster(cluster: string): Promise<void>;
}
