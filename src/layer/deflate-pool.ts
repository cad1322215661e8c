import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KimgError } from '../errors';

/**
 * The worker's whole program, evaluated as CommonJS (`eval: true`), so the pool works the same from ts-jest,
 * from dist/ and from a bundle — there is no worker file to locate. One job at a time per worker: raw deflate of
 * one block, primed with the previous block's last 32 KiB (pigz's `-i`-less default), ended with Z_SYNC_FLUSH so
 * the next block starts on a byte boundary (RFC 1951 §3.2.4 empty stored block), plus the block's CRC-32.
 *
 * Every buffer goes back to the main thread (the output and the input alike): a worker allocates almost no JS
 * objects, so V8 would not collect its dead ArrayBuffers before ~64 MiB of them piled up per worker, and RSS
 * would grow with the worker count. The main thread's frequent scavenges free them promptly.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
parentPort.on('message', (job) => {
  try {
    // One output chunk big enough for incompressible input (stored blocks add 5 bytes per 16 KiB), so nothing
    // but the transferred buffers is allocated here.
    const chunkSize = job.data.length + (job.data.length >> 8) + 1024;
    const out = zlib.deflateRawSync(job.data, {
      level: job.level,
      dictionary: job.dictionary,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      chunkSize,
    });
    const crc = zlib.crc32(job.data);
    const owned = out.buffer.byteLength >= chunkSize ? out : Uint8Array.from(out);
    parentPort.postMessage({ id: job.id, out: owned, crc, data: job.data }, [owned.buffer, job.data.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
  }
});
`;

export interface DeflatedBlock {
  out: Buffer;
  /** The input block, transferred back: the caller may reuse it. */
  data: Buffer;
  /** CRC-32 of the uncompressed block, from 0. */
  crc: number;
}

interface Job {
  id: number;
  data: Buffer;
  dictionary: Buffer | undefined;
  level: number;
  resolve: (block: DeflatedBlock) => void;
  reject: (err: Error) => void;
}

interface Reply {
  id: number;
  out?: Uint8Array;
  data?: Uint8Array;
  crc?: number;
  error?: string;
}

/**
 * A small pool of deflate workers, started lazily (a one-block layer starts one) and shared across the layers of
 * a build. Idle workers are unref'd so a forgotten pool never keeps the process alive; busy ones are ref'd so a
 * pending job does. The results never depend on which worker ran a job or when.
 */
export class DeflatePool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(readonly size: number = availableParallelism()) {
    if (!Number.isInteger(size) || size < 1) {
      throw new KimgError('INVALID_ARGUMENT', `deflate pool size must be a positive integer, got ${size}`);
    }
  }

  /** Deflates `data` (its buffer is transferred: the caller must not touch it afterwards). */
  deflate(data: Buffer, dictionary: Buffer | undefined, level: number): Promise<DeflatedBlock> {
    if (this.closed) return Promise.reject(new KimgError('ABORTED', 'the deflate pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, data, dictionary, level, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const failure = new KimgError('ABORTED', 'the deflate pool was closed');
    for (const job of this.queue.splice(0)) job.reject(failure);
    const workers = [...this.idle.splice(0), ...this.busy.keys()];
    for (const job of this.busy.values()) job.reject(failure);
    this.busy.clear();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.busy.size < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.queue.shift() as Job;
      this.busy.set(worker, job);
      worker.ref();
      const { id, data, dictionary, level } = job;
      worker.postMessage({ id, data, dictionary, level }, [data.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (reply: Reply) => {
      const job = this.busy.get(worker);
      if (!job || job.id !== reply.id) return;
      this.busy.delete(worker);
      worker.unref();
      this.idle.push(worker);
      if (reply.error !== undefined || !reply.out || !reply.data) {
        job.reject(new Error(`deflate failed: ${reply.error}`));
      } else {
        job.resolve({ out: asBuffer(reply.out), data: asBuffer(reply.data), crc: reply.crc ?? 0 });
      }
      this.dispatch();
    });
    worker.on('error', (err) => this.lose(worker, err));
    worker.on('exit', (code) => this.lose(worker, new Error(`deflate worker exited with code ${code}`)));
    return worker;
  }

  /** A worker died (out of memory, killed): its job fails, the pool carries on with the others. */
  private lose(worker: Worker, err: Error): void {
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    job?.reject(err);
    if (!this.closed) this.dispatch();
  }
}

function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.length);
}
