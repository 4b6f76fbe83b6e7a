/**
 * The agent's Prometheus metrics (`keyless agent --metrics-port`, docs/adr/0017-metrics-and-soak.md):
 * requests by endpoint and status with latencies, token cache hits and misses, tokens held, and
 * node's process metrics. Labels are closed sets: the endpoint style, never a path, resource or
 * identity.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TokenCache } from './token-cache.js';

export { startMetricsListener, type MetricsListener } from '../http/metrics/metrics-listener.js';

export type AgentEndpoint = 'imds' | 'app-service' | 'msi-extension' | 'other';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface AgentMetrics {
  readonly registry: Registry;
  /** Counts `res` under `endpoint` once it is sent. */
  observe(endpoint: AgentEndpoint, req: IncomingMessage, res: ServerResponse): void;
  /** The cache with its lookups counted: answered from the cache (hit), or waiting for the server (miss). */
  countCache(cache: TokenCache): TokenCache;
}

export function createAgentMetrics(): AgentMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'keyless_agent_requests_total',
    help: 'Requests answered by the agent, by endpoint style (imds, app-service, msi-extension, other) and status code.',
    labelNames: ['endpoint', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'keyless_agent_request_duration_seconds',
    help: 'Time from a request arriving at the agent to its answer being sent, by endpoint style.',
    labelNames: ['endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const lookups = new Counter({
    name: 'keyless_cache_lookups_total',
    help: 'Cache lookups by cache and result. agent_token: the agent token cache (miss = asked the Keyless server).',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
  });
  const hits = lookups.labels({ cache: 'agent_token', result: 'hit' });
  const misses = lookups.labels({ cache: 'agent_token', result: 'miss' });
  let held: TokenCache | undefined;
  new Gauge({
    name: 'keyless_agent_cached_tokens',
    help: 'Tokens the agent holds in its cache.',
    registers: [registry],
    collect() {
      this.set(held?.size() ?? 0);
    },
  });
  return {
    registry,
    observe(endpoint, _req, res) {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        requests.inc({ endpoint, status: String(res.statusCode) });
        latency.observe({ endpoint }, Number(process.hrtime.bigint() - started) / 1e9);
      });
    },
    countCache(cache) {
      held = cache;
      return {
        size: () => cache.size(),
        acquire(selector, resource) {
          const result = cache.acquire(selector, resource);
          (result instanceof Promise ? misses : hits).inc();
          return result;
        },
      };
    },
  };
}
