/**
 * How the Kusto engine's flows reach storage: over HTTPS to Keyless's own Blob data plane, with the
 * bearer token of the managed identity the flow runs as — the same front door, authentication and
 * RBAC data actions as any client (no in-process shortcut). A host-style URL under the data planes'
 * DNS suffix (`{account}.blob.<suffix>`), or Azure's own `{account}.blob.core.windows.net` as the
 * docs write it, is sent path-style to the server's origin (`{origin}/{account}/…`), so the server
 * needs no DNS for its own names; any other host is refused (Keyless reaches only its own storage).
 */
import { request } from 'node:https';
import { KustoError } from '../../core/kusto/errors.js';
import type { StorageClient } from '../../core/kusto/service.js';
import type { DataPlaneAddressing } from '../../core/dataplanes/addressing.js';
import { STORAGE_SERVICE_VERSION } from '../blob/plugin.js';

export interface StorageClientDeps {
  addressing: DataPlaneAddressing;
  /** The server's origin (`https://127.0.0.1:8443`). */
  baseUrl(): string;
  /** CA certificates the server's own certificate chains to (PEM). */
  ca?: string | Buffer;
  /** Largest response body read (bytes). */
  maxBytes: number;
}

interface Raw {
  status: number;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export function createStorageClient(deps: StorageClientDeps): StorageClient {
  /** The path-style URL on the server's origin for a storage URL, or a refusal. */
  function localize(url: string): URL {
    const u = new URL(url);
    const origin = new URL(deps.baseUrl());
    if (u.host.toLowerCase() === origin.host.toLowerCase()) return u;
    const host = u.hostname.toLowerCase();
    const azure = /^([a-z0-9]{3,24})\.(blob|dfs)\.core\.windows\.net$/.exec(host);
    const target = azure ? { name: azure[1]! } : deps.addressing.hostStyle(u.host);
    if (!target || ('endpoint' in target && target.endpoint === 'vault')) {
      throw new KustoError(
        'bad-request',
        `Keyless can reach only its own storage accounts; '${u.origin}' is not one (use https://<account>.blob.${deps.addressing.suffix} or the path-style URL on the Keyless server).`,
      );
    }
    return new URL(`${origin.origin}/${target.name}${u.pathname}${u.search}`);
  }

  function send(method: string, url: URL, token: string | undefined, body?: Buffer, headers: Record<string, string> = {}): Promise<Raw> {
    return new Promise((done, fail) => {
      const req = request(
        url,
        {
          method,
          ...(deps.ca ? { ca: deps.ca } : {}),
          headers: {
            'x-ms-version': STORAGE_SERVICE_VERSION,
            'x-ms-date': new Date().toUTCString(),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body ? { 'content-length': String(body.length) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > deps.maxBytes) {
              req.destroy(new KustoError('too-large', `The blob '${url.origin}${url.pathname}' is larger than ${deps.maxBytes} bytes.`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
          res.on('error', fail);
        },
      );
      req.setTimeout(120_000, () => req.destroy(new KustoError('bad-request', `Storage did not answer within 120 s for '${url.origin}${url.pathname}'.`)));
      req.on('error', fail);
      req.end(body);
    });
  }

  const code = (r: Raw) => (typeof r.headers['x-ms-error-code'] === 'string' ? r.headers['x-ms-error-code'] : undefined);

  return {
    async get(url, token) {
      const r = await send('GET', localize(url), token);
      return { status: r.status, body: r.body, ...(code(r) ? { code: code(r)! } : {}) };
    },
    async put(url, token, body, contentType) {
      const r = await send('PUT', localize(url), token, body, { 'x-ms-blob-type': 'BlockBlob', 'content-type': contentType });
      return { status: r.status, ...(code(r) ? { code: code(r)! } : {}) };
    },
    async list(containerUrl, token) {
      const u = localize(containerUrl.replace(/\/+$/, ''));
      const origin = new URL(deps.baseUrl());
      // Path-style: /{account}/{container}/{prefix…}.
      const segments = u.pathname.split('/').filter((s) => s !== '');
      const depth = u.host.toLowerCase() === origin.host.toLowerCase() ? 2 : 1;
      const container = segments.slice(0, depth).join('/');
      const prefix = segments.slice(depth).map(decodeURIComponent).join('/');
      const names: string[] = [];
      let marker = '';
      for (let page = 0; page < 1000; page++) {
        const q = new URLSearchParams({
          restype: 'container',
          comp: 'list',
          ...(prefix ? { prefix: prefix.endsWith('/') ? prefix : `${prefix}/` } : {}),
          ...(marker ? { marker } : {}),
        });
        const r = await send('GET', new URL(`${u.origin}/${container}?${q}`), token);
        if (r.status !== 200) return { status: r.status, names: [], ...(code(r) ? { code: code(r)! } : {}) };
        const xml = r.body.toString('utf8');
        for (const m of xml.matchAll(/<Blob>[\s\S]*?<Name>([\s\S]*?)<\/Name>/g)) names.push(unescapeXml(m[1]!));
        marker = /<NextMarker>([\s\S]*?)<\/NextMarker>/.exec(xml)?.[1] ?? '';
        if (!marker) break;
      }
      return { status: 200, names };
    },
  };
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
