import type { Readable } from 'node:stream';
import { KimgError } from '../errors';
import { normalizeEntryName } from './entry-name';

/**
 * One member of a layer we build. Paths are relative to the image root, `/`-separated, without `./` (image-spec
 * layer.md "Changeset over the filesystem": entries are paths in the root filesystem).
 */
export interface LayerEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits including setuid/setgid/sticky (`0o7777`); the file type bits are ignored. */
  mode: number;
  /** Files: the exact number of bytes `open()` yields; a file that changed size while read fails the layer. */
  size?: number;
  /** Files: a fresh stream of the content (re-openable, so a retry or a second pass can read it again). */
  open?: () => Readable;
  /**
   * Files: the path to read the content from instead of `open` — read with positional reads straight into the
   * compressor's blocks (layer-tar.ts), the fastest way. Opened without following a final symlink.
   */
  file?: string;
  /** Symlinks: the target, kept verbatim (never followed). */
  linkTarget?: string;
  /** Seconds since the epoch; used only with `preserveMtime`. */
  mtime?: number;
  /** Owner; defaults to the layer's `owner` option, else 0:0. */
  uid?: number;
  gid?: number;
  /**
   * Identity of the underlying file (`dev:ino`) when it has several names: the first name in layer order is
   * written as a file and the others as tar hardlinks to it, as `docker build` does for hardlinks in one layer.
   */
  linkKey?: string;
}

/** A member in the order it is written: implicit parents added, hardlinks resolved. */
export interface OrderedEntry extends LayerEntry {
  /** Set on later names of a multiply-linked file: the member name of its first name. */
  hardlinkTo?: string;
  /** Parent directories nobody listed: written 0755 root-owned, like `mkdir -p` in Docker's COPY. */
  implicit?: boolean;
}

/**
 * Dedupes (a later entry for the same path wins, as a later COPY source does), adds missing parent directories,
 * sorts, and assigns hardlinks. The order is a pre-order walk with names compared bytewise per component —
 * Go's `filepath.Walk` order, which `tar -C dir .` and buildah produce — so parents precede their children.
 */
export function orderLayerEntries(entries: Iterable<LayerEntry>): OrderedEntry[] {
  const byPath = new Map<string, OrderedEntry>();
  for (const entry of entries) {
    const { name, safe } = normalizeEntryName(entry.path);
    if (!safe || name === '') {
      throw new KimgError(
        'INVALID_ARGUMENT',
        `layer entry "${entry.path}" is not a path inside the image root`,
        'layer paths are relative, without ".." components',
      );
    }
    byPath.set(name, { ...entry, path: name });
  }
  for (const path of [...byPath.keys()]) {
    for (let parent = parentOf(path); parent !== ''; parent = parentOf(parent)) {
      const existing = byPath.get(parent);
      if (existing?.type === 'directory') break;
      if (existing) {
        throw new KimgError(
          'INVALID_ARGUMENT',
          `layer entry "${path}" is below "${parent}", which is a ${existing.type}, not a directory`,
          'two sources of one COPY map to conflicting paths; copy them to different destinations',
        );
      }
      byPath.set(parent, { path: parent, type: 'directory', mode: 0o755, implicit: true });
    }
  }
  const ordered = [...byPath.values()]
    .map((entry) => ({ entry, key: sortKey(entry.path) }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map(({ entry }) => entry);
  const firstName = new Map<string, string>();
  for (const entry of ordered) {
    if (entry.type !== 'file' || entry.linkKey === undefined) continue;
    const first = firstName.get(entry.linkKey);
    if (first === undefined) firstName.set(entry.linkKey, entry.path);
    else entry.hardlinkTo = first;
  }
  return ordered;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * Component-wise bytewise order (`a/b` < `a-b`, because `a` < `a-b` as a component) as one bytewise compare:
 * `/` becomes NUL, which sorts before every byte a name can hold.
 */
export function sortKey(path: string): Buffer {
  const key = Buffer.from(path);
  for (let i = 0; i < key.length; i++) if (key[i] === 0x2f) key[i] = 0;
  return key;
}

export function comparePaths(a: string, b: string): number {
  return Buffer.compare(sortKey(a), sortKey(b));
}
