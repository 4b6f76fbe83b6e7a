/**
 * The TokenSigner: a pool of worker threads that sign RS256 JWTs with the current key. Each request
 * goes to the least busy worker; key changes are pushed to every worker, and since a worker handles
 * its messages in order, every sign request sent after `setKey` uses the new key.
 *
 * The worker is `signer-worker.ts` when running from source (tests under tsx) and `signer-worker.js`
 * in `dist/`: the URL takes the extension of this very module. Workers do not inherit tsx's loader
 * hooks in Node 20, so under tsx the worker first registers them.
 */
import { Worker } from 'node:worker_threads';
import type { SigningKeyRecord } from '../core/model.js';
import type { TokenSigner } from '../core/ports.js';
import type { SignerRequest, SignerResponse } from './signer-worker.js';

export interface SignerPoolOptions {
  /** Number of signing threads (config.signingThreads). */
  threads: number;
  /** The key to sign with until {@link SignerPool.setKey} changes it. */
  key: Pick<SigningKeyRecord, 'kid' | 'privateKeyPem'>;
}

export interface SignerPool extends TokenSigner {
  readonly threads: number;
  /** Switches every worker to `key` for the requests that follow. */
  setKey(key: Pick<SigningKeyRecord, 'kid' | 'privateKeyPem'>): void;
  /** Stops the workers; pending and later `sign` calls fail. */
  close(): Promise<void>;
}

interface Pending {
  resolve: (token: string) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

const workerUrl = new URL(`./signer-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

function spawnWorker(): Worker {
  if (!workerUrl.pathname.endsWith('.ts')) return new Worker(workerUrl);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(boot, { eval: true });
}

/** Starts `threads` signing workers holding `key`. */
export function createSignerPool(options: SignerPoolOptions): SignerPool {
  if (!Number.isInteger(options.threads) || options.threads < 1) throw new RangeError('threads must be a whole number ≥ 1');
  let key = options.key;
  let closed = false;
  let nextId = 1;
  const slots: Slot[] = [];

  function start(index: number): void {
    const slot: Slot = { worker: spawnWorker(), pending: new Map() };
    slots[index] = slot;
    slot.worker.on('message', (reply: SignerResponse) => settle(slot, reply));
    slot.worker.on('error', (error) => fail(slot, error));
    slot.worker.on('exit', (code) => {
      fail(slot, new Error(`signing worker exited with code ${code}`));
      if (!closed) start(index);
    });
    post(slot, { t: 'key', kid: key.kid, pem: key.privateKeyPem });
    // An idle pool must not keep the process alive; a busy one must (sign() refs, settle() unrefs).
    // After the listeners: adding a 'message' listener refs the worker again.
    slot.worker.unref();
  }

  function post(slot: Slot, message: SignerRequest): void {
    slot.worker.postMessage(message);
  }

  function settle(slot: Slot, reply: SignerResponse): void {
    const waiting = slot.pending.get(reply.id);
    if (!waiting) return;
    slot.pending.delete(reply.id);
    if (slot.pending.size === 0) slot.worker.unref();
    if ('token' in reply) waiting.resolve(reply.token);
    else waiting.reject(new Error(`token signing failed: ${reply.error}`));
  }

  function fail(slot: Slot, error: Error): void {
    for (const waiting of slot.pending.values()) waiting.reject(error);
    slot.pending.clear();
  }

  function leastBusy(): Slot {
    let best = slots[0]!;
    for (let i = 1; i < slots.length; i++) if (slots[i]!.pending.size < best.pending.size) best = slots[i]!;
    return best;
  }

  for (let i = 0; i < options.threads; i++) start(i);

  return {
    threads: options.threads,
    sign(claims) {
      if (closed) return Promise.reject(new Error('the signer pool is closed'));
      const payload = JSON.stringify(claims);
      const slot = leastBusy();
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        if (slot.pending.size === 0) slot.worker.ref();
        slot.pending.set(id, { resolve, reject });
        post(slot, { t: 'sign', id, payload });
      });
    },
    setKey(newKey) {
      key = newKey;
      for (const slot of slots) post(slot, { t: 'key', kid: key.kid, pem: key.privateKeyPem });
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(
        slots.map(async (slot) => {
          fail(slot, new Error('the signer pool is closed'));
          await slot.worker.terminate();
        }),
      );
    },
  };
}
