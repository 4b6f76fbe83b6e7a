/**
 * The Kusto engine behind each cluster's data plane: finds the cluster, decides the caller's Kusto
 * roles from the cluster's and database's principal assignments (not Azure RBAC, as in ADX), runs
 * management commands and queries of Keyless's KQL subset over tables kept in the store, and runs
 * the managed-identity flows: a named identity must be held by the cluster and allowed by the
 * cluster or database `managed_identity` policy for the flow's usage; the engine then gets that
 * identity's token for Azure Storage from the token service and calls the Blob data plane with it,
 * where RBAC decides. Every other way of naming an identity is refused with the seed's message.
 *
 * The parts live in ./engine/, one concept a file: access (roles), resource-tree (ARM records),
 * identity-flows, storage-ref/storage-io/records (the Blob data plane), tables and append, and the
 * command modules commands.ts dispatches to.
 */
import { executeCommand } from './engine/commands.js';
import { createEngineContext, type KustoRequest, type KustoResult, type KustoServiceDeps } from './engine/context.js';
import { runDueContinuousExports } from './engine/continuous-export.js';
import { executeQuery } from './engine/query.js';
import { findCluster } from './engine/resource-tree.js';
import type { ResourceRecord } from '../model.js';

export type { KustoRequest, KustoResult, KustoServiceDeps, StorageClient } from './engine/context.js';
export { KUSTO_CLUSTER_TYPE } from './engine/resource-tree.js';
export { parseStorageRef } from './engine/storage-ref.js';

/** Kusto's default database name. */
export const DEFAULT_DB = 'NetDefaultDB';

export interface KustoService {
  /** The cluster of a data-plane host name (`adxmain` or `ingest-adxmain`). */
  findCluster(name: string): Promise<ResourceRecord | undefined>;
  executeCommand(request: KustoRequest): Promise<KustoResult>;
  executeQuery(request: KustoRequest): Promise<KustoResult>;
  /** Runs the continuous exports whose interval has passed (called by a timer). */
  runDueContinuousExports(): Promise<number>;
}

export function createKustoService(deps: KustoServiceDeps): KustoService {
  const ctx = createEngineContext(deps);
  return {
    findCluster: (name) => findCluster(ctx.store, name),
    executeCommand: (request) => executeCommand(ctx, request),
    executeQuery: (request) => executeQuery(ctx, request),
    runDueContinuousExports: () => runDueContinuousExports(ctx),
  };
}
