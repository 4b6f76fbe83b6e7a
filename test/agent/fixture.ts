/** Starts a real agent (listening on loopback) over the TEST upstream, and sends raw requests to it. */
import { request } from 'node:http';
import type { Clock } from '../../src/core/clock.js';
import { createAgent, type Agent, type AgentOptions } from '../../src/agent/agent.js';
import { createTestAgentUpstream, type TestAgentUpstream } from '../support/agent-upstream.js';

export interface AgentFixture {
  agent: Agent;
  upstream: TestAgentUpstream;
  base: string;
  /** Sends `method` (GET) to `path` with exactly these headers (no fetch defaults). */
  get(
    path: string,
    headers?: Record<string, string>,
    method?: string,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface FixtureOptions extends Partial<Omit<AgentOptions, 'upstream'>> {
  clock?: Clock;
  /** Runs on the test upstream before the agent starts (e.g. to make the first watch fail). */
  prepare?: (upstream: TestAgentUpstream) => void;
}

export async function startAgentFixture(options: FixtureOptions = {}): Promise<AgentFixture> {
  const upstream = await createTestAgentUpstream(options.clock ? { clock: options.clock } : {});
  options.prepare?.(upstream);
  const agent = createAgent({ ...options, upstream });
  const { port } = await agent.start();
  const base = `http://127.0.0.1:${port}`;
  return {
    agent,
    upstream,
    base,
    get(path, headers = {}, method = 'GET') {
      return new Promise((done, fail) => {
        const req = request(`${base}${path}`, { method, headers, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => {
            let json: Record<string, unknown> = {};
            try {
              json = JSON.parse(body) as Record<string, unknown>;
            } catch {
              /* asserted by the tests */
            }
            done({ status: res.statusCode ?? 0, headers: res.headers, body, json });
          });
        });
        req.on('error', fail);
        req.end();
      });
    },
    async close() {
      await agent.stop();
      upstream.close();
    },
  };
}

/** The IMDS token path with a query built from `params`. */
export function imdsPath(params: Record<string, string>, trailingSlash = false): string {
  return `/metadata/identity/oauth2/token${trailingSlash ? '/' : ''}?${new URLSearchParams(params).toString()}`;
}

export const MANAGEMENT = 'https://management.azure.com/';
