/**
 * The baseline of the agent benchmark: a bare node:http server answering every request with one fixed
 * JSON body (sent by the parent: a real agent token answer, so both carry the same bytes). Forked
 * with IPC; reports `{type:'ready', port}`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

process.once('message', (message: { body: string }) => {
  const body = message.body;
  const length = String(Buffer.byteLength(body));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': length });
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', port: (server.address() as AddressInfo).port }));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
});
