import { Transform } from 'node:stream';
import type { Header } from 'tar-stream';
import { capExceeded, DEFAULT_UNPACK_LIMITS, type UnpackLimits } from './unpack-limits';

/**
 * What unpacking may still use. One budget may span several calls (the layers of one image share the caps, so
 * a stage of twenty layers cannot write twenty times the cap). Every check throws SIZE_LIMIT naming the cap.
 */
export class UnpackBudget {
  readonly limits: Readonly<UnpackLimits>;
  private bytes = 0;
  private entries = 0;

  constructor(limits: Partial<UnpackLimits> = {}) {
    this.limits = { ...DEFAULT_UNPACK_LIMITS, ...limits };
  }

  /** Decompressed tar bytes read so far, in every call sharing this budget. */
  get bytesRead(): number {
    return this.bytes;
  }

  get entriesSeen(): number {
    return this.entries;
  }

  /** `chunk` bytes of decompressed tar arrived. */
  read(chunk: number, what: string): void {
    this.bytes += chunk;
    if (this.bytes > this.limits.maxBytes)
      throw capExceeded('maxBytes', this.limits.maxBytes, what, 'the archive unpacks to more');
  }

  /** A pass-through stream for the decompressed tar that counts its bytes against `maxBytes`. */
  counter(what: string): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        try {
          this.read(chunk.length, what);
          done(null, chunk);
        } catch (err) {
          done(err as Error);
        }
      },
    });
  }

  /** A tar header as tar-stream decodes it: the member's name, depth, content size and link target. */
  header(header: Header, what: string): void {
    const depth = header.name.split('/').filter((part) => part !== '' && part !== '.').length;
    this.entry(header.name, depth, contentSize(header), what);
    if (header.linkname) this.name(header.linkname, what);
  }

  /** A member's header: counts it and refuses, before any content is written, what cannot fit. */
  entry(name: string, depth: number, size: number, what: string): void {
    const { limits } = this;
    this.entries += 1;
    if (this.entries > limits.maxEntries)
      throw capExceeded('maxEntries', limits.maxEntries, what, `member "${name}" is one entry too many`);
    if (Buffer.byteLength(name) > limits.maxPathLength)
      throw capExceeded(
        'maxPathLength',
        limits.maxPathLength,
        what,
        `a member name of ${Buffer.byteLength(name)} bytes`,
      );
    if (depth > limits.maxDepth)
      throw capExceeded('maxDepth', limits.maxDepth, what, `member "${name}" is ${depth} levels deep`);
    if (size > limits.maxEntryBytes)
      throw capExceeded('maxEntryBytes', limits.maxEntryBytes, what, `member "${name}" holds ${size} bytes`);
    if (this.bytes + size > limits.maxBytes)
      throw capExceeded(
        'maxBytes',
        limits.maxBytes,
        what,
        `member "${name}" (${size} bytes) would take it further`,
      );
  }

  /** A link target or other name from a header that is not the member's own. */
  name(name: string, what: string): void {
    if (Buffer.byteLength(name) > this.limits.maxPathLength)
      throw capExceeded(
        'maxPathLength',
        this.limits.maxPathLength,
        what,
        `a link target of ${Buffer.byteLength(name)} bytes`,
      );
  }
}

/** Bytes a member writes: only files carry content that reaches the disk (other types' data is only read). */
function contentSize(header: Header): number {
  return header.type === 'file' || header.type === 'contiguous-file' ? (header.size ?? 0) : 0;
}
