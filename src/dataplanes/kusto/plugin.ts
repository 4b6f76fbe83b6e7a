/**
 * The Kusto (Azure Data Explorer) data plane for `azure-kusto-data` 7.x used unmodified
 * (kusto-wire.md §2): `GET /v1/rest/auth/metadata` at the host root (no authentication; it names the
 * token audience, `KustoServiceResourceId`), and per cluster, path-style on the server's origin
 * (`/kusto/{cluster}`, docs/adr/0015-kusto.md): `POST …/v1/rest/mgmt` (one v1 table),
 * `POST …/v2/rest/query` (v2 frames) and `POST …/v1/rest/query`. Each request: body `{db, csl,
 * properties}` → cluster lookup → bearer token of the cluster's tenant for a Kusto audience → the
 * engine (Kusto roles, commands, queries, managed-identity flows). Failures answer Kusto's OneApi
 * error body with its status; only 200 is success, as the client expects.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { KustoError, type KustoErrorKind } from '../../core/kusto/errors.js';
import type { ScalarType } from '../../core/kusto/kql-parser.js';
import type { KustoResult, KustoService } from '../../core/kusto/service.js';
import { DATA_TYPES } from '../../core/kusto/values.js';
import type { ResourceRecord } from '../../core/model.js';
import type { AccessTokenVerifier } from '../../core/ports.js';
import { bearerToken, BearerError, verifyBearer } from '../auth.js';

/** Where path-style clusters live on the server's origin. */
export const KUSTO_PATH_PREFIX = '/kusto';
const BODY_LIMIT = 1024 * 1024;

export interface KustoPlaneDeps {
  kusto: KustoService;
  verifier: AccessTokenVerifier;
  /** The token authority's origin (`LoginEndpoint`). */
  authorityHost(): string;
  /** The audience Keyless advertises as `KustoServiceResourceId`, e.g. `https://kusto.keyless.localhost`. */
  serviceResourceId(): string;
  /** The public URI of a cluster (what ARM shows as `uri`). */
  clusterUri(name: string): string;
  /** The tenant of a cluster's subscription. */
  tenantOf(cluster: ResourceRecord): Promise<string | undefined>;
}

const STATUS: Record<KustoErrorKind, { status: number; code: string; type: string }> = {
  syntax: { status: 400, code: 'BadRequest_SyntaxError', type: 'Kusto.Data.Exceptions.SyntaxException' },
  semantic: { status: 400, code: 'BadRequest_SemanticError', type: 'Kusto.Data.Exceptions.SemanticException' },
  'bad-request': { status: 400, code: 'General_BadRequest', type: 'Kusto.Data.Exceptions.KustoBadRequestException' },
  'database-not-found': { status: 400, code: 'BadRequest_DatabaseNotExist', type: 'Kusto.Data.Exceptions.DatabaseNotFoundException' },
  'table-not-found': { status: 400, code: 'BadRequest_TableNotExist', type: 'Kusto.Data.Exceptions.TableNotFoundException' },
  'entity-not-found': { status: 400, code: 'BadRequest_EntityNotFound', type: 'Kusto.Data.Exceptions.EntityNotFoundInContainerException' },
  forbidden: { status: 403, code: 'Forbidden', type: 'Kusto.Data.Exceptions.KustoRequestDeniedException' },
  conflict: { status: 409, code: 'Conflict', type: 'Kusto.Data.Exceptions.KustoConflictException' },
  suspended: { status: 412, code: 'PreconditionFailed', type: 'Kusto.Data.Exceptions.ClusterSuspendedException' },
  unauthenticated: { status: 401, code: 'Unauthorized', type: 'Kusto.Data.Exceptions.KustoRequestDeniedException' },
  'download-forbidden': { status: 400, code: 'General_BadRequest', type: 'Kusto.Data.Exceptions.KustoBadRequestException' },
  'too-large': { status: 413, code: 'PayloadTooLarge', type: 'Kusto.Data.Exceptions.KustoBadRequestException' },
};

declare module 'fastify' {
  interface FastifyRequest {
    kustoDatabase?: string;
  }
}

interface Body {
  db: string;
  csl: string;
}

function readBody(raw: unknown): Body {
  if (!Buffer.isBuffer(raw) || raw.length === 0)
    throw new KustoError('bad-request', 'The request body must be JSON: {"db": "<database>", "csl": "<command or query>"}.');
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new KustoError('bad-request', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new KustoError('bad-request', 'The request body must be a JSON object with "db" and "csl".');
  const v = value as Record<string, unknown>;
  if (typeof v['csl'] !== 'string' || v['csl'].trim() === '') throw new KustoError('bad-request', "The request body's 'csl' must be a non-empty string.");
  if (v['db'] !== undefined && v['db'] !== null && typeof v['db'] !== 'string')
    throw new KustoError('bad-request', "The request body's 'db' must be a string.");
  const properties = v['properties'];
  if (properties !== undefined && properties !== null && typeof properties !== 'object' && typeof properties !== 'string')
    throw new KustoError('bad-request', "'properties' must be an object or a JSON string.");
  return { db: typeof v['db'] === 'string' && v['db'] !== '' ? v['db'] : 'NetDefaultDB', csl: v['csl'] };
}

const column = (c: { name: string; type: ScalarType }) => ({ ColumnName: c.name, ColumnType: c.type });

function v1(result: KustoResult): unknown {
  return {
    Tables: [
      {
        TableName: 'Table_0',
        Columns: result.columns.map((c) => ({ ColumnName: c.name, DataType: DATA_TYPES[c.type], ColumnType: c.type })),
        Rows: result.rows,
      },
    ],
  };
}

function v2(result: KustoResult, clientRequestId: string): unknown {
  const ts = new Date().toISOString();
  return [
    { FrameType: 'DataSetHeader', IsProgressive: false, Version: 'v2.0', IsFragmented: false, ErrorReportingPlacement: 'EndOfTable' },
    {
      FrameType: 'DataTable',
      TableId: 0,
      TableKind: 'QueryProperties',
      TableName: '@ExtendedProperties',
      Columns: [
        { ColumnName: 'TableId', ColumnType: 'int' },
        { ColumnName: 'Key', ColumnType: 'string' },
        { ColumnName: 'Value', ColumnType: 'dynamic' },
      ],
      Rows: [],
    },
    { FrameType: 'DataTable', TableId: 1, TableKind: 'PrimaryResult', TableName: 'PrimaryResult', Columns: result.columns.map(column), Rows: result.rows },
    {
      FrameType: 'DataTable',
      TableId: 2,
      TableKind: 'QueryCompletionInformation',
      TableName: 'QueryCompletionInformation',
      Columns: [
        ['Timestamp', 'datetime'],
        ['ClientRequestId', 'string'],
        ['ActivityId', 'guid'],
        ['SubActivityId', 'guid'],
        ['ParentActivityId', 'guid'],
        ['Level', 'int'],
        ['LevelName', 'string'],
        ['StatusCode', 'int'],
        ['StatusCodeName', 'string'],
        ['EventType', 'int'],
        ['EventTypeName', 'string'],
        ['Payload', 'string'],
      ].map(([n, t]) => ({ ColumnName: n, ColumnType: t })),
      Rows: [
        [
          ts,
          clientRequestId,
          randomUUID(),
          randomUUID(),
          randomUUID(),
          4,
          'Info',
          0,
          'S_OK (0)',
          4,
          'QueryInfo',
          JSON.stringify({ Count: 1, Text: 'Query completed successfully' }),
        ],
      ],
    },
    { FrameType: 'DataSetCompletion', HasErrors: false, Cancelled: false },
  ];
}

export function kustoPlugin(deps: KustoPlaneDeps): FastifyPluginAsync {
  const audiences = (cluster: ResourceRecord) => {
    const id = deps.serviceResourceId();
    const uri = deps.clusterUri(cluster.name);
    // The advertised audience, the cluster's own URI, and Azure's generic Kusto audiences.
    return [id, `${id}/`, uri, `${uri}/`, 'https://kusto.kusto.windows.net', 'https://api.kusto.windows.net', 'https://help.kusto.windows.net'];
  };

  async function handle(request: FastifyRequest<{ Params: { cluster: string } }>, reply: FastifyReply, kind: 'mgmt' | 'query' | 'query-v1') {
    const clientRequestId = request.headers['x-ms-client-request-id'];
    const requestId = typeof clientRequestId === 'string' && /^[\w.;:-]{1,200}$/.test(clientRequestId) ? clientRequestId : randomUUID();
    reply.header('x-ms-client-request-id', requestId).header('x-ms-activity-id', randomUUID());
    const cluster = await deps.kusto.findCluster(request.params.cluster);
    if (!cluster) throw new KustoError('bad-request', `Cluster '${request.params.cluster}' does not exist on this Keyless server.`);
    // Authentication first: nothing about the cluster's content is told to an anonymous caller.
    const token = bearerToken(request.headers.authorization);
    if (token === undefined)
      throw new BearerError('missing', 'The request has no bearer token; sign in for the audience named by /v1/rest/auth/metadata (KustoServiceResourceId).');
    const caller = await verifyBearer(deps.verifier, token, audiences(cluster));
    const tenant = await deps.tenantOf(cluster);
    if (!tenant || caller.tenantId.toLowerCase() !== tenant.toLowerCase())
      throw new BearerError('invalid', `The token is from tenant '${caller.tenantId}'; cluster '${cluster.name}' belongs to another tenant.`);
    if (cluster.properties['state'] === 'Stopped')
      throw new KustoError('suspended', `Cluster '${cluster.name}' is stopped; start it (POST …/clusters/${cluster.name}/start) to run commands and queries.`);
    const body = readBody(request.body);
    request.kustoDatabase = body.db;
    const csl = body.csl.trim();
    // As the service does: anything starting with a dot is a management command, whatever the endpoint.
    const isCommand = csl.startsWith('.');
    if (kind === 'mgmt' && !isCommand)
      throw new KustoError('bad-request', 'The /v1/rest/mgmt endpoint runs management commands (starting with a dot); send queries to /v2/rest/query.');
    if (kind !== 'mgmt' && isCommand) throw new KustoError('bad-request', 'Management commands (starting with a dot) are sent to /v1/rest/mgmt.');
    const run = { cluster, database: body.db, csl, caller };
    const result = isCommand ? await deps.kusto.executeCommand(run) : await deps.kusto.executeQuery(run);
    reply.code(200).type('application/json; charset=utf-8');
    return reply.send(JSON.stringify(kind === 'query' ? v2(result, requestId) : v1(result)));
  }

  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
    app.setErrorHandler(async (error, request, reply) => {
      if (error instanceof BearerError) {
        reply.header('www-authenticate', `Bearer authorization_uri="${deps.authorityHost()}", resource="${deps.serviceResourceId()}"`);
        return send(
          reply,
          request,
          401,
          'Unauthorized',
          'Kusto.Data.Exceptions.KustoRequestDeniedException',
          error.reason === 'audience'
            ? `The token's audience is not accepted by this cluster: ${error.message} Ask for '${deps.serviceResourceId()}/.default'.`
            : error.message,
        );
      }
      if (error instanceof KustoError) {
        const s = STATUS[error.kind];
        return send(reply, request, s.status, s.code, s.type, error.message);
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 413)
        return send(
          reply,
          request,
          413,
          'PayloadTooLarge',
          'Kusto.Data.Exceptions.KustoBadRequestException',
          `The request body is larger than ${BODY_LIMIT} bytes.`,
        );
      if (status !== undefined && status >= 400 && status < 500)
        return send(reply, request, 400, 'General_BadRequest', 'Kusto.Data.Exceptions.KustoBadRequestException', (error as Error).message);
      request.log.error({ err: error }, 'kusto request failed');
      return send(
        reply,
        request,
        500,
        'Internal_Error',
        'Kusto.Data.Exceptions.KustoServiceException',
        'The Keyless Kusto engine encountered an internal error. Please retry the request.',
      );
    });
    // The client fetches this before its first call to a host, without authentication (kusto-wire.md §2.6).
    app.get('/v1/rest/auth/metadata', async (_request, reply) =>
      reply
        .header('cache-control', 'no-cache')
        .type('application/json; charset=utf-8')
        .send(
          JSON.stringify({
            AzureAD: {
              LoginEndpoint: deps.authorityHost(),
              LoginMfaRequired: false,
              KustoClientAppId: 'db662dc1-0cfe-4e1c-a843-19a68e65be58',
              KustoClientRedirectUri: 'https://microsoft/kustoclient',
              KustoServiceResourceId: deps.serviceResourceId(),
              FirstPartyAuthorityUrl: deps.authorityHost(),
            },
          }),
        ),
    );
    const opts = { bodyLimit: BODY_LIMIT };
    app.post<{ Params: { cluster: string } }>(`${KUSTO_PATH_PREFIX}/:cluster/v1/rest/mgmt`, opts, (req, reply) => handle(req, reply, 'mgmt'));
    app.post<{ Params: { cluster: string } }>(`${KUSTO_PATH_PREFIX}/:cluster/v2/rest/query`, opts, (req, reply) => handle(req, reply, 'query'));
    app.post<{ Params: { cluster: string } }>(`${KUSTO_PATH_PREFIX}/:cluster/v1/rest/query`, opts, (req, reply) => handle(req, reply, 'query-v1'));
  };
}

function send(reply: FastifyReply, request: FastifyRequest, status: number, code: string, type: string, message: string) {
  const context = {
    timestamp: new Date().toISOString(),
    serviceAlias: 'KEYLESS',
    clientRequestId: String(request.headers['x-ms-client-request-id'] ?? ''),
    activityId: randomUUID(),
  };
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(
      JSON.stringify({
        error: {
          code,
          message:
            status === 403 ? 'Caller is not authorized to perform this action' : status === 401 ? 'Unauthorized' : 'Request is invalid and cannot be executed.',
          '@type': type,
          '@message': message,
          '@context': context,
          '@permanent': true,
          ...(request.kustoDatabase ? { '@database': request.kustoDatabase } : {}),
        },
      }),
    );
}
