/**
 * Management commands: parsed, then handed to the module of their concept. Every command but the
 * `managed_identity` policy (which may be the cluster's) needs the request's database.
 */
import { parseCommand, type Command } from '../kql-parser.js';
import type { Table } from '../query-engine.js';
import type { EngineContext, KustoRequest, KustoResult } from './context.js';
import { createOrAlterContinuousExport, dropContinuousExport, showContinuousExports } from './continuous-export.js';
import { exportQuery } from './export-commands.js';
import { createExternalTable, dropExternalTable, showExternalTables } from './external-tables.js';
import { identityPolicyCommand } from './identity-policy-commands.js';
import { ingest, setOrAppend } from './ingestion-commands.js';
import { requireDatabase } from './resource-tree.js';
import { createTable, dropTable, showTables, showTableSchema } from './table-commands.js';
import { updatePolicyCommand } from './update-policy-commands.js';

export async function executeCommand(ctx: EngineContext, r: KustoRequest): Promise<KustoResult> {
  const cmd = parseCommand(r.csl);
  if (cmd.c === 'policy') return identityPolicyCommand(ctx, r, cmd);
  const database = await requireDatabase(ctx.store, r.cluster, r.database);
  return databaseCommand(ctx, r, database, cmd);
}

function databaseCommand(ctx: EngineContext, r: KustoRequest, database: string, cmd: Exclude<Command, { c: 'policy' }>): Promise<Table> {
  switch (cmd.c) {
    case 'update-policy':
      return updatePolicyCommand(ctx, r, database, cmd);
    case 'show-tables':
      return showTables(ctx, r, database);
    case 'show-table-schema':
      return showTableSchema(ctx, r, database, cmd);
    case 'create-table':
      return createTable(ctx, r, database, cmd);
    case 'drop-table':
      return dropTable(ctx, r, database, cmd);
    case 'set-or-append':
      return setOrAppend(ctx, r, database, cmd);
    case 'ingest':
      return ingest(ctx, r, database, cmd);
    case 'create-external-table':
      return createExternalTable(ctx, r, database, cmd);
    case 'drop-external-table':
      return dropExternalTable(ctx, r, database, cmd);
    case 'show-external-tables':
      return showExternalTables(ctx, r, database);
    case 'export':
      return exportQuery(ctx, r, database, cmd);
    case 'continuous-export':
      return createOrAlterContinuousExport(ctx, r, database, cmd);
    case 'show-continuous-exports':
      return showContinuousExports(ctx, r, database);
    case 'drop-continuous-export':
      return dropContinuousExport(ctx, r, database, cmd);
  }
}
