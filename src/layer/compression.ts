/**
 * Compression sniffing by magic number. Media types can lie (or be absent, as in `docker save` archives), the
 * first bytes cannot: gzip is RFC 1952 §2.3.1 (1f 8b), zstd is RFC 8878 §3.1.1 (28 b5 2f fd).
 */
export type SniffedCompression = 'gzip' | 'zstd' | 'none';

/** Bytes needed to sniff any format we recognise. */
export const SNIFF_BYTES = 4;

export function sniffCompression(head: Uint8Array): SniffedCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return 'zstd';
  return 'none';
}
