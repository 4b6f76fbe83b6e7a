/**
 * The composition root: the one place that reads the configuration and wires everything.
 * Start order: data dir and TLS → store (migrations) → signing keys → signer threads → directory
 * bootstrap → services → HTTP app → listen → bootstrap.json. Stop runs the reverse.
 */
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { ServerConfig } from '../config/config.js';
import { systemClock } from '../core/clock.js';
import { addClientSecret, checkClientSecret, ensureBootstrap, type BootstrapIdentity } from '../core/directory/bootstrap.js';
import { createDirectoryReadCache } from '../core/directory/read-cache.js';
import { createDirectoryReader } from '../core/directory/directory-reader.js';
import { createApplicationService } from '../core/directory/applications.js';
import { azCloudConfig, GRAPH_PATH, type CloudSuffixes } from '../core/cloud/cloud-metadata.js';
import { randomIds } from '../core/ids.js';
import type { Store } from '../core/ports.js';
import { createOperationService } from '../core/resources/operation-service.js';
import { createResourceGroupService } from '../core/resources/resource-group-service.js';
import { createSubscriptionService } from '../core/resources/subscription-service.js';
import { createTokenService } from '../core/tokens/token-service.js';
import { DEFAULT_CLIENT_AUTHENTICATORS } from '../core/tokens/client-credentials.js';
import { createClientAssertionAuthenticator } from '../core/workload-identity/client-assertion.js';
import { createFederatedCredentialSource } from '../core/workload-identity/credential-source.js';
import { createAppFederatedCredentialService } from '../core/directory/app-federated-credentials.js';
import { createAssertionKeys } from '../crypto/assertion-keys.js';
import { createClusterIssuers } from '../core/workload-identity/cluster-issuers.js';
import { createIssuerKeyCrypto } from '../crypto/cluster-issuer-keys.js';
import { createServiceAccountTokens } from '../core/workload-identity/service-account-tokens.js';
import { createRbac, ensureBootstrapOwner } from '../core/rbac/rbac.js';
import { createArmAuthorizer } from '../providers/authorization/index.js';
import { createProviders, type ProviderRegistry } from '../providers/index.js';
import { createHostAttestation, type HostAttestation } from '../core/hosts/host-attestation.js';
import { createIdentityChangeNotifier, createIdentityWatch } from '../core/hosts/identity-watch.js';
import { createManagedIdentityTokens } from '../core/tokens/managed-identity.js';
import { createAccessTokenVerifier } from '../crypto/access-token-verifier.js';
import { createKeyRing } from '../crypto/key-ring.js';
import { createKeySealing, loadKeyEncryptionKey } from '../crypto/key-sealing.js';
import { clientSecretHasher } from '../crypto/secrets.js';
import { createSignerPool } from '../crypto/signer-pool.js';
import { buildApp } from '../http/app.js';
import { createServiceCalls } from './service-calls.js';
import type { FastifyInstance } from 'fastify';
import { dataPlaneCertificateNames } from '../core/dataplanes/addressing.js';
import { createDataPlaneWiring } from './data-planes.js';
import { createKustoWiring } from './kusto.js';
import { createActivityLog } from '../core/activity/activity-log.js';
import { startMetricsListener } from './metrics.js';
import {
  countedArmAuthorizer,
  countedClientCredentials,
  countedDataPlaneAccess,
  countedDirectoryReadCache,
  countedIssueToken,
  countedManagedIdentityTokens,
  createServerMetrics,
} from './metrics-wiring.js';
import { openStore } from '../storage/store.js';
import {
  bootstrapFile,
  ensureDataDir,
  ensureTls,
  readBootstrapFile,
  sqliteFile,
  writeAzCloudFile,
  writeBootstrapFile,
  type BootstrapFile,
} from './data-dir.js';

export interface RunningServer {
  bootstrap: BootstrapFile;
  bootstrapPath: string;
  /** e.g. `SQLite /path/keyless.db` or `PostgreSQL host/db` (no password). */
  storageDescription: string;
  /** The port actually listened on. */
  port: number;
  /** The application and its store, for in-process callers (the fuzz campaign injects requests: test/fuzz/). */
  app: FastifyInstance;
  store: Store;
  providers: ProviderRegistry['providers'];
  /** The Prometheus listener's port (`KEYLESS_METRICS_PORT`); undefined when metrics are off. */
  metricsPort?: number;
  stop(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const log = pino({ level: config.logLevel, redact: { paths: ['clientSecret', 'secret', 'token'], censor: '[redacted]' } }, pino.destination(2));
  const clock = systemClock;
  const ids = randomIds;
  const cleanup: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };

  try {
    await ensureDataDir(config.dataDir);
    // The certificate also covers the data planes' host-style names (docs/adr/0011-data-planes.md).
    const tls = await ensureTls(config.dataDir, config.host, dataPlaneCertificateNames(config.dnsSuffix));

    const store: Store = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: sqliteFile(config.dataDir) });
    cleanup.push(() => store.close());
    // Prometheus metrics (docs/adr/0017-metrics-and-soak.md): undefined, and nothing counted, unless the listener is configured.
    const metrics = createServerMetrics(config, store);

    // Signing keys are sealed at rest with a key kept outside the database (src/crypto/key-sealing.ts).
    const sealing = createKeySealing(await loadKeyEncryptionKey(config.dataDir, config.keyEncryptionKey));
    const keyRing = createKeyRing({
      store,
      clock,
      sealing,
      policy: {
        periodSeconds: config.keyRotationSeconds,
        maxTokenLifetimeSeconds: Math.max(config.appTokenLifetimeSeconds, config.managedIdentityTokenLifetimeSeconds),
      },
      refreshIntervalMs: config.keyRefreshSeconds * 1000,
      onError: (error) => log.error({ err: error }, 'signing key refresh failed'),
    });
    await keyRing.start();
    cleanup.push(() => keyRing.stop());

    const signer = createSignerPool({ threads: config.signingThreads, key: keyRing.current() });
    cleanup.push(() => signer.close());
    const unsubscribe = keyRing.onCurrentKeyChange((key) => signer.setKey(key));
    cleanup.push(unsubscribe);

    const identity = await ensureBootstrap({ store, ids, clock, secrets: clientSecretHasher });
    const clientSecret = await adminSecret(config.dataDir, identity, { store, ids, clock, secrets: clientSecretHasher });

    // Activity Log and sign-in events (docs/adr/0016-activity-log.md): buffered, written every second,
    // pruned past the retention period; stopped (and flushed) before the store closes.
    const activity = createActivityLog({
      events: store.activityEvents,
      signIns: store.signInEvents,
      clock,
      ids,
      retentionDays: config.activityRetentionDays,
      onError: (error, what) => log.error({ err: error }, what),
    });
    activity.start();
    cleanup.push(() => activity.stop());

    // RBAC (docs/adr/0005-rbac.md): the admin holds Owner on the subscription; decisions are made on
    // an in-memory index kept current from the database's change feed.
    await ensureBootstrapOwner(store, clock, identity);
    const rbac = createRbac({ store, clock, grantRule: config.rbacGrantRule });
    await rbac.start({ onError: (error) => log.error({ err: error }, 'rbac change feed poll failed') });
    cleanup.push(() => rbac.stop());

    // The public origin is known only once the listener has its port (with --port 0).
    let publicUrl = config.publicUrl ?? '';
    const baseUrl = () => publicUrl;

    // The token path reads tenant, client and secrets on every request: a 1-second read cache.
    const directoryReads = countedDirectoryReadCache(store, metrics, (source) => createDirectoryReadCache(source, { clock }));
    // DNS suffixes of the data planes, by cloud-metadata key (`storage`, `keyVaultDns`, `kustoDns`,
    // `acrLoginServer`, …): each data-plane surface adds its own here; `/metadata/endpoints` and
    // az-cloud.json publish them.
    const cloudSuffixes: Record<string, string> = {} satisfies CloudSuffixes;
    // Workload identity federation (docs/adr/0013-workload-identity.md): `client_assertion` checked
    // against the client's federated credentials, outside issuers' keys fetched over HTTPS.
    const appFederatedCredentials = createAppFederatedCredentialService({
      store,
      ids,
      clock,
      administrators: () => [identity.objectId],
      onChange: () => federatedCredentials.invalidate(),
    });
    const federatedCredentials = createFederatedCredentialSource({ repos: store, apps: appFederatedCredentials, clock });
    // Per-cluster OIDC issuers (AKS oidcIssuerProfile): keys sealed like the token signing keys;
    // tokens of these issuers are checked against the local keys, never fetched.
    const clusterIssuers = createClusterIssuers({ meta: store.meta, crypto: createIssuerKeyCrypto(sealing), ids, clock, baseUrl });
    const clientAssertions = createClientAssertionAuthenticator({
      credentialsOf: (principal) => federatedCredentials.credentialsOf(principal),
      keys: createAssertionKeys({ clock, localIssuers: (issuer) => clusterIssuers.localJwks(issuer) }),
      clock,
      ownIssuers: (tenantId) => tokens.issuers.accepted(tenantId),
      managedIdentityLifetimeSeconds: config.managedIdentityTokenLifetimeSeconds,
    });
    const tokens = createTokenService({
      repos: directoryReads,
      signer,
      clock,
      config,
      baseUrl,
      secrets: clientSecretHasher,
      clientAuthenticators: [...DEFAULT_CLIENT_AUTHENTICATORS, clientAssertions],
      signIns: activity,
    });
    // An unknown kid re-reads the keys at most every 5 s: a key promoted by `keyless keys rotate` verifies
    // on a server that has not refreshed yet, and forged kids cost at most one small read per 5 s.
    const verifier = createAccessTokenVerifier({ keys: keyRing, issuers: tokens.issuers, clock, unknownKidRefreshMs: 5000 });
    // Host agents (docs/adr/0004-host-attestation.md). Writers of identities call
    // `identityChanges.notify()` to wake agents at once; the watch polls the store regardless.
    const identityChanges = createIdentityChangeNotifier();
    // Resource providers (src/providers/index.ts): each declares itself once; the dispatcher, the
    // authorizer, attestation and the catalogue read the declarations.
    // Attestation needs the host types the providers declare; the join routes need attestation.
    const attestation: { current?: HostAttestation } = {};
    // Blob / Data Lake and Key Vault data planes: bearer tokens of this server, RBAC data actions.
    const planes = createDataPlaneWiring({
      store,
      clock,
      sealing,
      access: countedDataPlaneAccess(rbac.access, metrics),
      verifier,
      baseUrl,
      dnsSuffix: config.dnsSuffix,
    });
    // HDInsight acts as its clusters' identities on the data planes (docs/adr/0014-hdinsight.md).
    const appRef: { current?: FastifyInstance } = {};
    const services = createServiceCalls({
      tokens: countedIssueToken(tokens, metrics, 'service'),
      principals: store.principals,
      app: () => appRef.current,
      sealing,
    });
    const registry = createProviders({
      store,
      clock,
      ids,
      registrations: store.registrations,
      rbac,
      services,
      resources: {
        subscriptions: createSubscriptionService({ tenants: store.tenants, subscriptions: store.subscriptions }),
        resourceGroups: createResourceGroupService({ store, clock, ids }),
        operations: createOperationService({ operations: store.operations, clock, ids }),
      },
      hosts: { issueJoinToken: (id, tenantId) => attestation.current!.issueJoinToken(id, tenantId) },
      activityLog: activity,
      // Agents re-read what they hold; the token path forgets cached principals and federated credentials.
      onIdentitiesChanged: () => {
        identityChanges.notify();
        directoryReads.invalidate();
        federatedCredentials.invalidate();
      },
      oidcIssuers: clusterIssuers,
      dataPlanes: { addressing: planes.addressing, sealing },
    });
    const hosts = (attestation.current = createHostAttestation({ repos: store, clock, hasher: clientSecretHasher, hostTypes: registry.hostTypes }));
    const agentApi = {
      hosts,
      tokens: countedManagedIdentityTokens(
        createManagedIdentityTokens({
          tokens,
          principals: store.principals,
          resources: store.resources,
          hostTypes: registry.hostTypes,
          lifetimeSeconds: config.managedIdentityTokenLifetimeSeconds,
        }),
        metrics,
      ),
      serviceAccountTokens: createServiceAccountTokens({ resources: store.resources, issuers: clusterIssuers, clock, ids }),
      watch: createIdentityWatch({ principals: store.principals, resources: store.resources, hostTypes: registry.hostTypes, notifier: identityChanges }),
    };
    // Kusto (Azure Data Explorer) data plane (docs/adr/0015-kusto.md): mounted with the other data planes.
    const kusto = await createKustoWiring({
      store,
      clock,
      ids,
      tokens: countedIssueToken(tokens, metrics, 'service'),
      verifier,
      addressing: planes.addressing,
      baseUrl,
      caCertFile: tls.caCertFile,
      lifetimeSeconds: config.managedIdentityTokenLifetimeSeconds,
    });
    planes.dataPlanes.plugins.push(kusto.plugin);
    cleanup.push(() => kusto.stop());
    const app = await buildApp({
      base: {
        logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
        https: { key: tls.key, cert: tls.cert },
        limits: {
          headersTimeoutMs: config.headersTimeoutSeconds * 1000,
          requestTimeoutMs: config.requestTimeoutSeconds * 1000,
          keepAliveTimeoutMs: config.keepAliveTimeoutSeconds * 1000,
        },
      },
      // `adfsTenantId`: the AD FS authority form `<base>/adfs` az 2.45 signs in through (src/core/cloud/cloud-metadata.ts).
      oauth: { tokens: countedClientCredentials(tokens, metrics), keys: keyRing, baseUrl, clock, adfsTenantId: identity.tenantId },
      arm: {
        subscriptions: createSubscriptionService({ tenants: store.tenants, subscriptions: store.subscriptions }),
        verifier,
        clock,
        baseUrl,
        defaultTenantId: identity.tenantId,
        // SDK clients given this server as endpoint ask for `${endpoint}/.default`.
        extraAudiences: () => [publicUrl, `${publicUrl}/`],
        providers: registry.providers,
        audit: (outcome) => activity.recordArm(outcome),
        authorize: countedArmAuthorizer(createArmAuthorizer(rbac.access, registry.openActions), metrics),
      },
      agentApi,
      health: { ping: () => store.ping() },
      // Graph's directory reads (az resolves principal names and `--assignee` through them).
      graph: {
        directory: createDirectoryReader(store.principals),
        verifier,
        baseUrl,
        defaultTenantId: identity.tenantId,
        // App registrations (docs/adr/0006-directory-permissions.md): the bootstrap admin manages them;
        // every write drops the token path's read cache here (other servers: within its 1 s).
        applications: createApplicationService({
          store,
          ids,
          clock,
          secrets: clientSecretHasher,
          administrators: () => [identity.objectId],
          onChange: () => directoryReads.invalidate(),
        }),
        federatedCredentials: appFederatedCredentials,
        // Sign-in logs (`auditLogs/signIns`): directory administrators only, as app registrations.
        signIns: { log: activity, administrators: () => [identity.objectId] },
        extraAudiences: () => [`${publicUrl}${GRAPH_PATH}/`],
      },
      // Cloud metadata (`/metadata/endpoints`) naming this server's endpoints and the data-plane suffixes.
      metadata: { baseUrl, suffixes: () => cloudSuffixes },
      oidcIssuer: { issuers: clusterIssuers },
      dataPlanes: planes.dataPlanes,
      metrics,
    });
    cleanup.push(() => app.close());
    appRef.current = app;

    await app.listen({ host: config.host, port: config.port });
    const metricsListener = metrics && (await startMetricsListener(metrics.registry, config.metricsHost, config.metricsPort!));
    if (metricsListener) cleanup.push(() => metricsListener.close());
    kusto.start();
    const port = (app.server.address() as AddressInfo).port;
    if (!config.publicUrl) publicUrl = `https://${urlHost(config.host)}:${port}`;
    Object.assign(cloudSuffixes, planes.suffixes());

    const bootstrap: BootstrapFile = {
      tenantId: identity.tenantId,
      subscriptionId: identity.subscriptionId,
      clientId: identity.clientId,
      clientSecret,
      armEndpoint: publicUrl,
      authorityHost: publicUrl,
      caCertFile: tls.caCertFile,
    };
    await writeBootstrapFile(config.dataDir, bootstrap);
    await writeAzCloudFile(config.dataDir, azCloudConfig({ baseUrl: publicUrl, suffixes: cloudSuffixes }));
    log.info({ port, engine: store.engine }, 'keyless server ready');
    return {
      bootstrap,
      bootstrapPath: bootstrapFile(config.dataDir),
      port,
      ...(metricsListener ? { metricsPort: metricsListener.port } : {}),
      stop,
      app,
      store,
      providers: registry.providers,
      storageDescription: config.databaseUrl ? `PostgreSQL ${describePostgres(config.databaseUrl)}` : `SQLite ${sqliteFile(config.dataDir)}`,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/**
 * The admin's secret for this data dir: the one in bootstrap.json when it is still valid, else a new
 * one (first start, or a second server sharing the database from another data dir).
 */
async function adminSecret(dataDir: string, identity: BootstrapIdentity, deps: Parameters<typeof addClientSecret>[0]): Promise<string> {
  const app = { tenantId: identity.tenantId, appId: identity.clientId };
  const previous = await readBootstrapFile(dataDir);
  if (
    previous &&
    previous.tenantId === identity.tenantId &&
    previous.clientId === identity.clientId &&
    typeof previous.clientSecret === 'string' &&
    (await checkClientSecret(deps, app, previous.clientSecret))
  ) {
    return previous.clientSecret;
  }
  return (await addClientSecret(deps, app, `bootstrap secret (${dataDir})`)).secret;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function describePostgres(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? ':' + u.port : ''}${u.pathname}`;
  } catch {
    return '(url)';
  }
}
