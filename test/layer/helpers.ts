import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import type { LayerEntry } from '../../src/layer';

/** Deterministic pseudo-random bytes: a pure function of the seed (STYLE.md: fixtures made by code). */
export function patternBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** A file entry whose content comes from memory. */
export function fileEntry(
  path: string,
  content: Buffer | string,
  extra: Partial<LayerEntry> = {},
): LayerEntry {
  const data = Buffer.from(content);
  return { path, type: 'file', mode: 0o644, size: data.length, open: () => Readable.from([data]), ...extra };
}

/** A sink that keeps everything written to it. */
export function memorySink(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}
