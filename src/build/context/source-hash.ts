import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FILE_READ_CHUNK, type Digest } from '../../digest';
import { sortKey } from '../../layer/layer-entry';
import type { ContextEntry } from './context-walk';
import type { CopyItem } from './copy-sources';

/** Files hashed at once: enough to keep the disk busy, few enough not to exhaust file descriptors. */
export const HASH_CONCURRENCY = 8;

/**
 * What the build remembers of files it hashed before (build/cache/stat-index.ts): a content digest per context
 * path, trusted only while the file's stat `stamp` is the same and the file is not "racy" (its rule is there).
 */
export interface FileDigestIndex {
  /** The file's sha256 (hex) when the index has it for exactly this stamp, else undefined. */
  lookup(entry: ContextEntry): string | undefined;
  /** A digest learned by reading the file (hashed here, or while its layer was written). */
  record(entry: ContextEntry, sha256: string): void;
}

export interface HashSourcesOptions {
  /** Include mtimes (for `--preserve-mtime` layers, whose bytes depend on them). */
  includeMtime?: boolean;
  signal?: AbortSignal;
}

/**
 * The cache key part of a COPY (issue 5 item 6): sha256 over one record per item — image path, type, mode,
 * size, content digest, link target, hardlink group — in layer order. It covers exactly what the layer's bytes
 * depend on (the tar normalises owners and times), so an unchanged context gives the same key on any machine
 * and in any checkout. Content digests come from the stat index when it vouches for a file; the others are
 * read (`hash`) — or learned while the layer is written (`learn`), so a build that has to write the layer
 * anyway reads each file once.
 */
export class SourceKey {
  private readonly ordered: CopyItem[];
  private readonly digests: (string | undefined)[];
  private readonly byFile = new Map<string, number[]>();

  constructor(
    private readonly root: string,
    items: readonly CopyItem[],
    private readonly options: HashSourcesOptions & { index?: FileDigestIndex | undefined } = {},
  ) {
    this.ordered = items
      .map((item) => ({ item, key: sortKey(item.target) }))
      .sort((a, b) => Buffer.compare(a.key, b.key))
      .map(({ item }) => item);
    this.digests = this.ordered.map(({ source }) =>
      source.type === 'file' ? options.index?.lookup(source) : undefined,
    );
    this.ordered.forEach(({ source }, index) => {
      if (source.type !== 'file' || this.digests[index] !== undefined) return;
      const file = join(root, source.path);
      this.byFile.set(file, [...(this.byFile.get(file) ?? []), index]);
    });
  }

  /** Bytes of the files whose digest is not known yet. */
  get unknownBytes(): number {
    let bytes = 0;
    for (const indexes of this.byFile.values()) bytes += this.ordered[indexes[0] as number]?.source.size ?? 0;
    return bytes;
  }

  /** The key if every file's digest is known (nothing to read), else undefined. */
  known(): Digest | undefined {
    return this.byFile.size === 0 ? this.key() : undefined;
  }

  /** A digest learned elsewhere (the layer writer read the file at `file`, an absolute path). */
  learn(file: string, sha256: string): void {
    const indexes = this.byFile.get(file);
    if (!indexes) return;
    this.byFile.delete(file);
    for (const index of indexes) this.set(index, sha256);
  }

  /** Reads and hashes what is still unknown (HASH_CONCURRENCY files at once, streamed), then the key. */
  async hash(): Promise<Digest> {
    const pending = [...this.byFile.entries()];
    const worker = async (): Promise<void> => {
      for (let next = pending.pop(); next; next = pending.pop()) {
        const [file] = next;
        const hash = createHash('sha256');
        await pipeline(createReadStream(file, { highWaterMark: FILE_READ_CHUNK }), hash, {
          signal: this.options.signal,
        });
        this.learn(file, hash.digest('hex'));
      }
    };
    await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
    return this.key();
  }

  /** The key; every file's digest must be known by now (`known`, `hash`, or `learn` from the layer writer). */
  key(): Digest {
    const firstName = new Map<string, string>();
    const hash = createHash('sha256');
    this.ordered.forEach(({ source, target }, index) => {
      let hardlink = '';
      if (source.linkKey !== undefined) {
        hardlink = firstName.get(source.linkKey) ?? '';
        if (hardlink === '') firstName.set(source.linkKey, target);
      }
      const digest = this.digests[index] ?? '';
      if (source.type === 'file' && digest === '') {
        throw new Error(`the content of ${source.path} was never hashed`);
      }
      const fields = [target, source.type, source.mode.toString(8), String(source.size), digest];
      fields.push(source.linkTarget ?? '', hardlink, this.options.includeMtime ? String(source.mtime) : '');
      hash.update(`${fields.map((field) => JSON.stringify(field)).join(' ')}\n`);
    });
    return `sha256:${hash.digest('hex')}`;
  }

  private set(index: number, sha256: string): void {
    this.digests[index] = sha256;
    const source = this.ordered[index]?.source;
    if (source) this.options.index?.record(source, sha256);
  }
}

/** The key of `items`, reading every file the index does not vouch for. */
export function hashSources(
  root: string,
  items: readonly CopyItem[],
  options: HashSourcesOptions & { index?: FileDigestIndex | undefined } = {},
): Promise<Digest> {
  return new SourceKey(root, items, options).hash();
}
