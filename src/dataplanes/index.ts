/**
 * The data planes as one mountable unit: their Fastify plugins and the host-style rewrite that sends
 * `{account}.blob|dfs.<suffix>` and `{vault}.vault.<suffix>` requests to them
 * (docs/adr/0011-data-planes.md). app.ts mounts it; server.ts builds it.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { DataPlaneAddressing } from '../core/dataplanes/addressing.js';
import { blobPlanePlugin, HOST_STYLE_PREFIX, type BlobPlaneDeps } from './blob/plugin.js';
import { keyVaultPlugin, type KeyVaultPlaneDeps } from './keyvault/plugin.js';

export interface DataPlanes {
  plugins: FastifyPluginAsync[];
  /**
   * Rewrites a host-style request's URL to `/.keyless-dataplane/{blob|dfs|vault}/{name}{path}` before
   * routing (the client's URL stays in `originalUrl`); other requests are left alone.
   */
  rewrite(request: IncomingMessage & { originalUrl?: string }): void;
}

export interface DataPlaneDeps {
  addressing: DataPlaneAddressing;
  blob?: Omit<BlobPlaneDeps, 'addressing'>;
  keyVault?: Omit<KeyVaultPlaneDeps, 'addressing'>;
}

export function createDataPlanes(deps: DataPlaneDeps): DataPlanes {
  const plugins: FastifyPluginAsync[] = [];
  if (deps.blob) plugins.push(blobPlanePlugin({ ...deps.blob, addressing: deps.addressing }));
  if (deps.keyVault) plugins.push(keyVaultPlugin({ ...deps.keyVault, addressing: deps.addressing }));
  return {
    plugins,
    rewrite(request) {
      const target = deps.addressing.hostStyle(request.headers.host);
      if (!target || request.url === undefined) return;
      if (target.endpoint === 'vault' ? !deps.keyVault : !deps.blob) return;
      request.originalUrl = request.url;
      const path = request.url.startsWith('/') ? request.url : `/${request.url}`;
      request.url = `${HOST_STYLE_PREFIX}/${target.endpoint}/${target.name}${path}`;
    },
  };
}
