/**
 * `keyless agent`: the host agent for one compute resource. Obtains its host credential
 * (src/cli/agent-enrol.ts), starts the IMDS / App Service (/ Arc) listener on loopback, and once it
 * serves prints the variables a workload exports, one per line. SIGTERM/SIGINT stop it cleanly.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { createAgent } from '../agent/agent.js';
import { createAgentMetrics, startMetricsListener, type MetricsListener } from '../agent/metrics.js';
import { createHttpUpstream } from '../agent/upstream-http.js';
import { fullResourceType, parseResourceId } from '../core/resource-id.js';
import type { BootstrapFile } from '../contract/bootstrap.js';
import { AgentCliError, obtainHostKey, readJsonFile } from './agent-enrol.js';
import { stopOnSignals } from './shutdown.js';
import { checkTokenFile, startProjectedToken, type ProjectedToken } from '../agent/projected-token.js';

export interface AgentCommandOptions {
  dataDir?: string;
  resource?: string;
  port?: string;
  host?: string;
  joinToken?: string;
  server?: string;
  ca?: string;
  arc?: boolean;
  logLevel?: string;
  /** Workload identity for a pod on an AKS node (issue 14): `<namespace>/<name>`. */
  serviceAccount?: string;
  federatedTokenFile?: string;
  workloadClientId?: string;
  /** Prometheus metrics at http://<metricsHost>:<metricsPort>/metrics; off when absent. */
  metricsPort?: string;
  metricsHost?: string;
}

export async function runAgent(opts: AgentCommandOptions): Promise<void> {
  try {
    await start(opts);
  } catch (error) {
    if (error instanceof AgentCliError) {
      process.stderr.write(`keyless agent: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    throw error;
  }
}

function usage(message: string): AgentCliError {
  return new AgentCliError(message, 2);
}

function checkOptions(opts: AgentCommandOptions): { resourceId: string; port: number } {
  if (!opts.resource) throw usage('--resource <id> is required (the ARM id of the host this agent serves: a virtual machine, or an AKS agent pool for a node)');
  // Which resource types are hosts is the server's to say (its join action answers 404 for others);
  // here the id only has to be a resource below a group: a VM, or a child such as an agent pool.
  const parts = parseResourceId(opts.resource);
  if (
    !parts ||
    !parts.subscriptionId ||
    !parts.resourceGroup ||
    !fullResourceType(parts) ||
    parts.names.length !== parts.types.length ||
    parts.names.length === 0
  ) {
    throw usage(
      `--resource must be the ARM id of a virtual machine (/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/{name}) or of an AKS agent pool (…/providers/Microsoft.ContainerService/managedClusters/{cluster}/agentPools/{pool}), got '${opts.resource}'`,
    );
  }
  const port = Number(opts.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usage(`--port must be a whole number from 0 to 65535, got '${opts.port}'`);
  return { resourceId: opts.resource, port };
}

/** `--service-account ns/name --federated-token-file path`: both or neither; the path where the agent may write. */
function checkWorkloadOptions(opts: AgentCommandOptions, dataDir: string): { namespace: string; name: string; file: string } | undefined {
  if (opts.serviceAccount === undefined && opts.federatedTokenFile === undefined) {
    if (opts.workloadClientId !== undefined) throw usage('--workload-client-id needs --service-account and --federated-token-file');
    return undefined;
  }
  if (!opts.serviceAccount || !opts.federatedTokenFile) throw usage('--service-account <namespace>/<name> and --federated-token-file <path> go together');
  const match = /^([^/]+)\/([^/]+)$/.exec(opts.serviceAccount);
  if (!match) throw usage(`--service-account must be <namespace>/<name>, got '${opts.serviceAccount}'`);
  const checked = checkTokenFile(opts.federatedTokenFile, dataDir);
  if ('error' in checked) throw usage(checked.error);
  return { namespace: match[1]!, name: match[2]!, file: checked.file };
}

async function start(opts: AgentCommandOptions): Promise<void> {
  const { resourceId, port } = checkOptions(opts);
  const metricsPort = opts.metricsPort === undefined ? undefined : Number(opts.metricsPort);
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535))
    throw usage(`--metrics-port must be a whole number from 0 to 65535, got '${opts.metricsPort}'`);
  const dataDir = resolve(opts.dataDir ?? '.keyless');
  const workload = checkWorkloadOptions(opts, dataDir);
  const bootstrap = await readJsonFile<BootstrapFile>(join(dataDir, 'bootstrap.json'));
  const serverUrl = (opts.server ?? bootstrap?.armEndpoint)?.replace(/\/+$/, '');
  if (!serverUrl) throw usage(`no server: pass --server <https url>, or a --data-dir holding bootstrap.json (looked in ${dataDir})`);
  const caFile = opts.ca ?? bootstrap?.caCertFile ?? join(dataDir, 'ca.pem');
  const ca = await readFile(caFile, 'utf8').catch(() => {
    if (opts.ca) throw usage(`cannot read the CA file ${opts.ca}`);
    return undefined;
  });

  const hostKey = await obtainHostKey({ dataDir, serverUrl, resourceId, ca, joinToken: opts.joinToken, bootstrap });
  const level = opts.logLevel ?? 'warn';
  const logger = pino({ level, redact: { paths: ['token', 'hostKey', 'secret'], censor: '[redacted]' } }, pino.destination(2));
  const upstream = createHttpUpstream({ serverUrl, hostKey, ...(ca ? { ca } : {}) });
  const metrics = metricsPort === undefined ? undefined : createAgentMetrics();
  const agent = createAgent({ upstream, host: opts.host ?? '127.0.0.1', port, arc: opts.arc === true, logger, ...(metrics ? { metrics } : {}) });
  try {
    await agent.start();
  } catch (error) {
    upstream.close();
    throw new AgentCliError(`cannot listen on ${opts.host ?? '127.0.0.1'}:${port}: ${(error as Error).message}`);
  }
  let metricsListener: MetricsListener | undefined;
  if (metrics && metricsPort !== undefined) {
    const metricsHost = opts.metricsHost ?? '127.0.0.1';
    try {
      metricsListener = await startMetricsListener(metrics.registry, metricsHost, metricsPort);
    } catch (error) {
      await agent.stop().finally(() => upstream.close());
      throw new AgentCliError((error as Error).message);
    }
  }
  let projected: ProjectedToken | undefined;
  if (workload) {
    try {
      projected = await startProjectedToken({ serverUrl, hostKey, ...(ca ? { ca } : {}), ...workload, onError: (message) => logger.warn({}, message) });
    } catch (error) {
      await agent.stop().finally(() => upstream.close());
      throw new AgentCliError(`cannot write the service-account token: ${(error as Error).message}`);
    }
  }
  const env = agent.env();
  const arc = agent.arcEnv();
  process.stdout.write(
    [
      `export AZURE_POD_IDENTITY_AUTHORITY_HOST=${env.AZURE_POD_IDENTITY_AUTHORITY_HOST}`,
      `export IDENTITY_ENDPOINT=${env.IDENTITY_ENDPOINT}`,
      `export IDENTITY_HEADER=${env.IDENTITY_HEADER}`,
      '# the VM-extension protocol, used by `az login --identity` (az 2.45):',
      `export MSI_ENDPOINT=${env.MSI_ENDPOINT}`,
      ...(arc ? [`# Azure Arc style (instead of the two lines above): IDENTITY_ENDPOINT=${arc.IDENTITY_ENDPOINT} IMDS_ENDPOINT=${arc.IMDS_ENDPOINT}`] : []),
      // What the workload identity webhook injects into the pod (WorkloadIdentityCredential reads these).
      ...(workload && projected
        ? [
            `# workload identity for ${workload.namespace}/${workload.name} (issuer ${projected.issuer}):`,
            ...(opts.workloadClientId ? [`export AZURE_CLIENT_ID=${opts.workloadClientId}`] : []),
            `export AZURE_TENANT_ID=${projected.tenantId}`,
            `export AZURE_FEDERATED_TOKEN_FILE=${workload.file}`,
            `export AZURE_AUTHORITY_HOST=${serverUrl}`,
          ]
        : []),
      '',
    ].join('\n'),
  );

  stopOnSignals(
    async (signal) => {
      logger.info({ signal }, 'agent stopping');
      projected?.stop();
      await metricsListener?.close();
      await agent.stop().finally(() => upstream.close());
    },
    (message) => logger.error({}, message),
  );
}
