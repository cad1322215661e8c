import { availableParallelism } from 'node:os';
import * as zstd from 'zstd-napi/binding';
import type { BlockBuffers } from './fixed-blocks';

/**
 * zstd level 3 is libzstd's default and what containers/image writes for `--compression-format zstd`.
 */
export const DEFAULT_ZSTD_LEVEL = 3;

export interface ZstdBlocksOptions {
  level?: number;
  /** libzstd worker threads (`ZSTD_c_nbWorkers`); default os.availableParallelism(). Never changes the bytes. */
  workers?: number;
  /** Where consumed input blocks go back to. */
  buffers?: BlockBuffers;
}

/**
 * One zstd frame (RFC 8878) with content checksum, compressed by libzstd's own worker threads.
 *
 * Determinism: libzstd's multi-threaded mode writes the same bytes for any nbWorkers ≥ 1 (the input is cut into
 * jobs by jobSize and overlapLog, which depend on the level only, not on the thread count) — facebook/zstd#2238,
 * "the multi-threaded output is the same for any number of threads", a one-shot e_end made it depend on
 * nbWorkers until that was fixed (#2327; zstd-napi bundles libzstd 1.5.7), and we always stream anyway
 * (e_continue, then e_end). It differs from
 * single-threaded mode (nbWorkers 0), so nbWorkers is never 0 here, even on one core: one format, whatever the
 * machine. test/layer/golden-digest.test.ts checks 1, 2 and 4 workers give the golden bytes.
 *
 * compressStream2 is synchronous: with workers it hands input to them and returns, blocking only while every
 * job buffer is busy — the JS thread then has nothing better to do (both cores are compressing).
 */
export async function* zstdBlocks(
  source: AsyncIterable<Buffer>,
  options: ZstdBlocksOptions = {},
): AsyncGenerator<Buffer> {
  const cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.compressionLevel, options.level ?? DEFAULT_ZSTD_LEVEL);
  cctx.setParameter(zstd.CParameter.checksumFlag, 1);
  cctx.setParameter(zstd.CParameter.nbWorkers, Math.max(1, options.workers ?? availableParallelism()));
  const outSize = zstd.cStreamOutSize();
  const produced: Buffer[] = [];
  let out = Buffer.allocUnsafe(outSize);
  const feed = (input: Buffer, end: boolean): void => {
    const directive = end ? zstd.EndDirective.end : zstd.EndDirective.continue;
    for (;;) {
      const [remaining, written, consumed] = cctx.compressStream2(out, input, directive);
      if (written > 0) {
        produced.push(out.subarray(0, written));
        out = Buffer.allocUnsafe(outSize);
      }
      input = input.subarray(consumed);
      if (input.length === 0 && (!end || remaining === 0)) return;
    }
  };
  for await (const block of source) {
    feed(block, false);
    options.buffers?.give(block); // libzstd copied it into its job buffers
    yield* produced.splice(0);
  }
  feed(Buffer.alloc(0), true);
  yield* produced.splice(0);
}
