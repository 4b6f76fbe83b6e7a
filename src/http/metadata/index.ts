/**
 * ARM's cloud metadata, `GET /metadata/endpoints?api-version=…`, unauthenticated as on Azure: what
 * `az cloud register --endpoint-resource-manager`, `ARM_CLOUD_METADATA_URL` and the SDKs' cloud
 * discovery read. The documents are built in src/core/cloud/cloud-metadata.ts.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { METADATA_API_VERSIONS, metadataArray, metadataFormFor, metadataObject, type CloudSuffixes } from '../../core/cloud/cloud-metadata.js';

export const METADATA_PATH = '/metadata/endpoints';

export interface MetadataDeps {
  /** The server's https origin (known after listen). */
  baseUrl(): string;
  /** The data-plane DNS suffixes served, by metadata key. */
  suffixes?(): CloudSuffixes;
}

function armError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message } });
}

export function metadataPlugin(deps: MetadataDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const query = request.query as Record<string, unknown>;
      const raw = query['api-version'];
      const version = Array.isArray(raw) ? raw[0] : raw;
      if (typeof version !== 'string' || version === '') {
        return armError(reply, 400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
      }
      const form = metadataFormFor(version);
      if (!form) {
        return armError(
          reply,
          400,
          'InvalidApiVersionParameter',
          `The api-version '${version.slice(0, 40)}' is invalid. The supported versions are '${METADATA_API_VERSIONS.join(',')}'.`,
        );
      }
      const input = { baseUrl: deps.baseUrl(), suffixes: deps.suffixes?.() ?? {} };
      reply.header('cache-control', 'no-cache').type('application/json; charset=utf-8');
      return form === 'object' ? metadataObject(input) : metadataArray(input);
    };
    app.get(METADATA_PATH, handler);
    app.setErrorHandler(async (error, request, reply) => {
      request.log.warn({ err: error }, 'metadata request failed');
      const status = (error as { statusCode?: number }).statusCode;
      return armError(reply, status && status >= 400 && status < 500 ? status : 500, 'InvalidRequest', 'The request could not be read.');
    });
  };
}
