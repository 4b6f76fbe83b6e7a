/**
 * The metrics port (src/core/metrics.ts) on prom-client; src/http/metrics/metrics-listener.ts
 * publishes it on its own port, off unless configured (docs/adr/0017-metrics-and-soak.md).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics } from '../core/metrics.js';
import type { DatabasePoolStats } from '../core/ports.js';

/** Latency buckets, seconds: a cached token answers in about a millisecond, an ARM write in tens. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
}

export interface PrometheusMetricsOptions {
  /** `sqlite` or `postgres`, published as `keyless_store_info{engine}`. */
  engine: string;
  /** The PostgreSQL pool's counts, read at each scrape; absent for SQLite (one in-process connection, no pool). */
  pool?: () => DatabasePoolStats;
  /** Node's process metrics (CPU, memory, fds, event-loop lag, GC). Default true. */
  processMetrics?: boolean;
}

export function createPrometheusMetrics(options: PrometheusMetricsOptions): PrometheusMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'keyless_http_requests_total',
    help: 'HTTP requests answered, by surface and status code.',
    labelNames: ['surface', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'keyless_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by surface.',
    labelNames: ['surface'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const issued = new Counter({
    name: 'keyless_tokens_issued_total',
    help: 'Access tokens signed, by how they were earned (client_credentials, client_assertion, managed_identity, service).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'keyless_token_refusals_total',
    help: 'Token requests refused (bad client, secret or assertion; an identity the host does not hold), by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const cache = new Counter({
    name: 'keyless_cache_lookups_total',
    help: 'Cache lookups by cache and result (hit or miss). directory: the token path read cache of tenants, clients and secrets.',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'keyless_rbac_decisions_total',
    help: 'RBAC decisions by where they were asked (arm, dataplane) and outcome (allowed, denied).',
    labelNames: ['surface', 'decision'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'keyless_store_info',
    help: 'The storage engine in use (value 1).',
    labelNames: ['engine'] as const,
    registers: [registry],
    collect() {
      this.set({ engine: options.engine }, 1);
    },
  });
  const pool = options.pool;
  if (pool) {
    new Gauge({
      name: 'keyless_db_pool_connections',
      help: 'PostgreSQL pool connections by state (idle, busy).',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const s = pool();
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'busy' }, s.total - s.idle);
      },
    });
    new Gauge({
      name: 'keyless_db_pool_waiting',
      help: 'Queries waiting for a PostgreSQL pool connection.',
      registers: [registry],
      collect() {
        this.set(pool().waiting);
      },
    });
    new Gauge({
      name: 'keyless_db_pool_max_connections',
      help: 'The PostgreSQL pool size.',
      registers: [registry],
      collect() {
        this.set(pool().max);
      },
    });
  }
  // Children are looked up once per label set and kept: the hot path does no label hashing.
  const children = new WeakMap<Counter, Map<string, Counter.Internal>>();
  const child = (counter: Counter, key: string, labels: Record<string, string>): Counter.Internal => {
    let byKey = children.get(counter);
    if (!byKey) children.set(counter, (byKey = new Map()));
    let found = byKey.get(key);
    if (!found) byKey.set(key, (found = counter.labels(labels)));
    return found;
  };
  const requestChildren = new Map<string, Counter.Internal>();
  const latencyChildren = new Map<string, Histogram.Internal<'surface'>>();
  return {
    registry,
    requestServed(surface, status, seconds) {
      const key = `${surface} ${status}`;
      let counter = requestChildren.get(key);
      if (!counter) requestChildren.set(key, (counter = requests.labels({ surface, status: String(status) })));
      counter.inc();
      let histogram = latencyChildren.get(surface);
      if (!histogram) latencyChildren.set(surface, (histogram = latency.labels({ surface })));
      histogram.observe(seconds);
    },
    tokenIssued: (kind) => child(issued, kind, { kind }).inc(),
    tokenRefused: (kind) => child(refused, kind, { kind }).inc(),
    cacheLookup: (name, hit) => child(cache, `${name} ${hit}`, { cache: name, result: hit ? 'hit' : 'miss' }).inc(),
    rbacDecision: (surface, allowed) => child(decisions, `${surface} ${allowed}`, { surface, decision: allowed ? 'allowed' : 'denied' }).inc(),
  };
}

export { startMetricsListener, type MetricsListener } from '../http/metrics/metrics-listener.js';
