/** `keyless serve`: starts the server, prints how to use it, and stops cleanly on SIGTERM/SIGINT. */
import { ConfigError, loadConfig } from '../config/config.js';
import { startServer } from '../server/server.js';
import { stopOnSignals } from './shutdown.js';

export interface ServeOptions {
  dataDir?: string;
  host?: string;
  port?: string;
  databaseUrl?: string;
  publicUrl?: string;
  logLevel?: string;
  metricsPort?: string;
  metricsHost?: string;
}

export async function runServe(opts: ServeOptions): Promise<void> {
  let config;
  try {
    config = loadConfig({
      dataDir: opts.dataDir,
      host: opts.host,
      port: opts.port,
      databaseUrl: opts.databaseUrl,
      publicUrl: opts.publicUrl,
      logLevel: opts.logLevel,
      metricsPort: opts.metricsPort,
      metricsHost: opts.metricsHost,
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`keyless serve: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  let server;
  try {
    server = await startServer(config);
  } catch (e) {
    // Start-up failures (port in use, database unreachable, newer schema…) are the operator's to fix:
    // say what failed in one line, without a stack trace.
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'EADDRINUSE' ? `${config.host}:${config.port} is already in use` : err.message;
    process.stderr.write(`keyless serve: could not start: ${reason}\n`);
    process.exit(1);
  }
  const b = server.bootstrap;
  process.stdout.write(
    [
      `Keyless is listening on ${b.armEndpoint}`,
      `  ARM endpoint:    ${b.armEndpoint}`,
      `  Authority host:  ${b.authorityHost}`,
      `  Tenant:          ${b.tenantId}`,
      `  Subscription:    ${b.subscriptionId}`,
      `  Storage:         ${server.storageDescription}`,
      `  Bootstrap file:  ${server.bootstrapPath}`,
      ...(server.metricsPort === undefined ? [] : [`  Metrics:         http://${metricsUrlHost(config.metricsHost)}:${server.metricsPort}/metrics`]),
      '',
      'Point Azure SDKs at it:',
      `export NODE_EXTRA_CA_CERTS=${b.caCertFile}`,
      `export AZURE_AUTHORITY_HOST=${b.authorityHost}`,
      `export AZURE_TENANT_ID=${b.tenantId}`,
      `export AZURE_CLIENT_ID=${b.clientId}`,
      `export AZURE_CLIENT_SECRET=$(node -p "require('${server.bootstrapPath}').clientSecret")`,
      '',
    ].join('\n'),
  );
  stopOnSignals(
    async (signal) => {
      process.stderr.write(`keyless: ${signal} received, shutting down\n`);
      await server.stop();
    },
    (message) => process.stderr.write(`keyless: ${message}\n`),
  );
}

function metricsUrlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
