/**
 * The baseline of the data-plane benchmark: Keyless's blob engine (the same BlobService over the same
 * SQLite store code) served over HTTPS by Fastify with no authentication, no authorization and no
 * account lookup. The parent sends the blob's bytes; the target stores them and answers
 * `GET /{account}/{container}/{blob}` with them. Forked with IPC; reports `{type:'ready', port, caPem}`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { systemClock } from '../../src/core/clock.js';
import { createBlobService, emptyHeaders } from '../../src/core/blob/blob-service.js';
import { openStore } from '../../src/storage/store.js';
import { createBaselineTls } from '../lib/tls.js';

process.once('message', async (message: { bytes: string }) => {
  const dir = await mkdtemp(join(tmpdir(), 'keyless-bench-engine-'));
  const store = await openStore({ sqliteFile: join(dir, 'engine.db') });
  const blobs = createBlobService({ store, clock: systemClock });
  await blobs.createContainer('benchdata', 'bench', {});
  await blobs.putBlob('benchdata', 'bench', 'small.json', Buffer.from(message.bytes, 'base64'), { ...emptyHeaders(), contentType: 'application/json' }, {});
  const tls = await createBaselineTls('blob engine baseline');
  const app = Fastify({ https: { key: tls.keyPem, cert: tls.certPem } });
  app.get('/:account/:container/:blob', async (request, reply) => {
    const { account = '', container = '', blob = '' } = request.params as Record<string, string | undefined>;
    const result = await blobs.readBlob(account, container, blob, undefined);
    if (result.notModified) return reply.code(304).send();
    return reply
      .code(200)
      .header('etag', `"${result.blob.etag}"`)
      .header('content-type', result.blob.contentType ?? 'application/octet-stream')
      .send(result.content);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send!({ type: 'ready', port: (app.server.address() as { port: number }).port, caPem: tls.caPem });
  process.once('SIGTERM', () => {
    void app
      .close()
      .then(() => store.close())
      .then(() => process.exit(0));
  });
});
