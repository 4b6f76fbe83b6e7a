/**
 * Raw HTTP/1.1 exchanges for the fuzz campaign: the request is written byte for byte (no client
 * library validates or tidies it) on a fresh TCP or TLS connection, and the answer is parsed by hand.
 */
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';

export interface RawAnswer {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

/**
 * Sends `payload` as is on a fresh connection and reads the answer until a whole one arrived or the
 * server closed the connection (generated requests say `Connection: close`). Undefined when the
 * connection closed with no answer.
 */
export function rawRequest(port: number, payload: Buffer, head: boolean, timeoutMs = 15_000, tls?: { ca: string }): Promise<RawAnswer | undefined> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    const socket = tls ? connectTls({ host: '127.0.0.1', port, ca: tls.ca }) : connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      done(parseAnswer(Buffer.concat(chunks), head));
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // A whole answer (head and Content-Length body) ends the exchange even on a kept-alive connection.
      const data = Buffer.concat(chunks);
      const length = /\r\ncontent-length: *(\d+)\r\n/i.exec(data.toString('latin1'))?.[1];
      const end = data.indexOf('\r\n\r\n');
      if (
        length !== undefined &&
        end >= 0 &&
        !/^HTTP\/1\.[01] 1\d\d /.test(data.toString('latin1', 0, 16)) &&
        (head || data.length >= end + 4 + Number(length))
      ) {
        socket.destroy();
        finish();
      }
    });
    socket.on('end', finish);
    socket.on('close', finish);
    // The agent may answer (and close) before reading all of a big request: the answer already read counts.
    socket.on('error', () => undefined);
    socket.write(payload);
  });
}

export function parseAnswer(data: Buffer, head: boolean): RawAnswer | undefined {
  // Interim answers (`100 Continue` to an `Expect`) come before the answer.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString('latin1'))) {
    const interimEnd = data.indexOf('\r\n\r\n');
    if (interimEnd < 0) return undefined;
    data = data.subarray(interimEnd + 4);
  }
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
  if (!status) return undefined;
  const headers: Record<string, string[]> = {};
  for (const line of lines.slice(1)) {
    const at = line.indexOf(':');
    const name = line.slice(0, at).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(at + 1).trim());
  }
  let body = data.subarray(end + 4);
  if (head) body = Buffer.alloc(0);
  else if (headers['content-length']) body = body.subarray(0, Number(headers['content-length'][0]));
  else if (headers['transfer-encoding']?.[0] === 'chunked') body = dechunk(body);
  return { status: Number(status[1]), headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 4 + size;
  }
  return Buffer.concat(out);
}
