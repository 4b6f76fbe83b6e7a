/**
 * HTTPS for the CLI: one keep-alive agent trusting the server's CA (from the profile, not
 * NODE_EXTRA_CA_CERTS), and az's `--debug` trace of every call (method, URL, status, headers) with
 * `Authorization`, secrets and tokens replaced by `*****`.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { CliError } from './errors.js';
import { log } from './log.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON body, undefined when empty or not JSON. */
  json: unknown;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  /** The body or the answer carries secrets (token endpoint): never shown by `--debug`. */
  secret?: boolean;
}

const SECRET_HEADERS = new Set(['authorization', 'x-identity-header', 'set-cookie']);
const REDACTED = '*****';

let agent: Agent | undefined;
let agentCa: string | undefined;

/** Trust `caFile` (PEM) for every later request; undefined uses Node's trust store. */
export function useCa(caFile: string | undefined): void {
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new CliError(`Cannot read the CA certificate ${caFile}: ${(e as Error).message}. Run 'keyless login' again.`);
    }
  }
  if (agent && agentCa === ca) return;
  agent?.destroy();
  agentCa = ca;
  agent = new Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
}

/** Closes pooled connections so the process can exit at once. */
export function closeTransport(): void {
  agent?.destroy();
  agent = undefined;
}

function traceHeaders(headers: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(headers)) {
    log.debug(`keyless.http:     '${name}': '${SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : String(value)}'`);
  }
}

/** One HTTPS request; network failures become a {@link CliError} naming the server. */
export function send(req: HttpRequest): Promise<HttpResponse> {
  if (!agent) useCa(undefined);
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'keyless-cli', ...req.headers };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  if (log.debugEnabled) {
    log.debug(`keyless.http: Request URL: '${req.url.href}'`);
    log.debug(`keyless.http: Request method: '${req.method}'`);
    log.debug('keyless.http: Request headers:');
    traceHeaders(headers);
    if (req.body !== undefined) log.debug(`keyless.http: Request body: ${req.secret ? REDACTED : req.body}`);
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const r = request(req.url, { method: req.method, headers, agent, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        if (log.debugEnabled) {
          log.debug(`keyless.http: Response status: ${res.statusCode} (${Date.now() - started} ms)`);
          log.debug('keyless.http: Response headers:');
          traceHeaders(res.headers);
          if (text) log.debug(`keyless.http: Response content: ${req.secret ? REDACTED : text}`);
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    r.on('timeout', () => r.destroy(new Error('the request timed out after 60 s')));
    r.on('error', (e) => reject(new CliError(`Cannot reach the Keyless server at ${req.url.origin}: ${e.message}`)));
    r.end(req.body);
  });
}
