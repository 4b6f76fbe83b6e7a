/**
 * Wiring of the Kusto data plane (docs/adr/0015-kusto.md), called by the composition root: the
 * engine over the store, its storage client (HTTPS to this server's own Blob data plane, trusting the
 * server's CA), managed-identity tokens from the token service, and the continuous-export timer.
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import type { DataPlaneAddressing } from '../core/dataplanes/addressing.js';
import type { IdGenerator } from '../core/ids.js';
import { createKustoService, type KustoService } from '../core/kusto/service.js';
import type { AccessTokenVerifier, Store } from '../core/ports.js';
import { miridOf } from '../core/tokens/managed-identity.js';
import type { TokenService } from '../core/tokens/token-service.js';
import { kustoPlugin, KUSTO_PATH_PREFIX } from '../dataplanes/kusto/plugin.js';
import { createStorageClient } from '../dataplanes/kusto/storage-client.js';
import type { FastifyPluginAsync } from 'fastify';

export interface KustoWiring {
  plugin: FastifyPluginAsync;
  service: KustoService;
  /** Starts the continuous-export timer (after the listener has its port). */
  start(): void;
  stop(): void;
}

/** Largest blob a flow reads or an export writes. */
const MAX_BLOB_BYTES = 256 * 1024 * 1024;

export async function createKustoWiring(deps: {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  tokens: Pick<TokenService, 'issueToken'>;
  verifier: AccessTokenVerifier;
  addressing: DataPlaneAddressing;
  baseUrl(): string;
  caCertFile?: string;
  lifetimeSeconds: number;
}): Promise<KustoWiring> {
  const ca = deps.caCertFile ? await readFile(deps.caCertFile) : undefined;
  const service = createKustoService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    maxBlobBytes: MAX_BLOB_BYTES,
    storage: createStorageClient({ addressing: deps.addressing, baseUrl: deps.baseUrl, maxBytes: MAX_BLOB_BYTES, ...(ca ? { ca } : {}) }),
    // The identity's own token, as IMDS would give it to code on the cluster: the identity's principal,
    // certificate-authenticated, with its `xms_mirid`.
    identityToken: async (identity, resource) =>
      (
        await deps.tokens.issueToken({
          principal: identity.principal,
          audience: resource,
          version: '1.0',
          lifetimeSeconds: deps.lifetimeSeconds,
          clientAuthentication: 'certificate',
          extraClaims: { xms_mirid: miridOf(identity.resourceId) },
        })
      ).accessToken,
  });
  const plugin = kustoPlugin({
    kusto: service,
    verifier: deps.verifier,
    authorityHost: deps.baseUrl,
    serviceResourceId: () => `https://kusto.${deps.addressing.suffix}`,
    clusterUri: (name) => `${deps.baseUrl()}${KUSTO_PATH_PREFIX}/${name}`,
    tenantOf: async (cluster) => (await deps.store.subscriptions.get(cluster.subscriptionId))?.tenantId,
  });
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  return {
    plugin,
    service,
    start() {
      timer = setInterval(() => {
        if (running) return;
        running = true;
        service
          .runDueContinuousExports()
          .catch(() => undefined)
          .finally(() => {
            running = false;
          });
      }, 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
