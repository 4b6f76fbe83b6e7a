/**
 * `.export [async] to csv|json (…) <| query`: the query's result written as a new blob to each
 * target, as the identity the connection strings name (`ExportRequest` usage).
 */
import { KustoError } from '../errors.js';
import type { Table } from '../query-engine.js';
import { authorize } from './access.js';
import type { CommandOf, EngineContext, KustoRequest } from './context.js';
import { tokenForRef } from './identity-flows.js';
import { evaluateQuery } from './query.js';
import { resultTable } from './result-tables.js';
import { writeResultBlob } from './storage-io.js';
import { parseStorageRef } from './storage-ref.js';

export async function exportQuery(ctx: EngineContext, r: KustoRequest, database: string, cmd: CommandOf<'export'>): Promise<Table> {
  await authorize(ctx, r, database, 'viewer', 'Export');
  if (cmd.format !== 'csv' && cmd.format !== 'json')
    throw new KustoError('bad-request', `Export format '${cmd.format}' is not supported by Keyless; use csv or json.`);
  const result = await evaluateQuery(ctx, r.cluster, database, cmd.query);
  const rows: unknown[][] = [];
  const file = { prefix: cmd.props['namePrefix'] ?? 'export', format: cmd.format, header: (cmd.props['includeHeader'] ?? 'none').toLowerCase() !== 'none' };
  for (const target of cmd.targets) {
    const ref = parseStorageRef(target);
    const token = await tokenForRef(ctx, r.cluster, database, ref, 'ExportRequest');
    const path = await writeResultBlob(ctx, ref.url, token, file, result);
    rows.push([path, result.rows.length, 0]);
  }
  return resultTable(
    [
      ['Path', 'string'],
      ['NumRecords', 'long'],
      ['SizeInBytes', 'long'],
    ],
    rows,
  );
}
