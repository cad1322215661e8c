import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { KimgError } from '../errors';
import { memberParts, shown } from './member-name';
import { parentInside } from './scoped-path';
import { readTar } from './tar-entries';
import { UnpackBudget } from './unpack-budget';
import type { UnpackLimits } from './unpack-limits';
import { inAufsMetadata, whiteoutOf } from './whiteout';
import { ownershipPolicy, type Ownership } from './ownership';
import { writeEntry } from './write-entry';

export interface UnpackOptions {
  /** What the tar is (`ADD site.tar.gz`, `stage 0 layer sha256:…`), named by every error. */
  what: string;
  /** Apply OCI whiteouts: true for image layers; false for a user's archive (ADD), whose `.wh.*` are files. */
  whiteouts: boolean;
  /**
   * Device nodes and FIFOs: 'skip' (default; listed in the result, as umoci does in rootless mode and moby in a
   * user namespace) or 'create' (root only, else refused).
   */
  specialFiles?: 'skip' | 'create';
  /** Caps of this call; ignored when `budget` is given. Unset caps take DEFAULT_UNPACK_LIMITS. */
  limits?: Partial<UnpackLimits>;
  /** A budget shared by several calls: the layers of one image count against the same caps. */
  budget?: UnpackBudget;
  signal?: AbortSignal;
  /** Who owns the files (ownership.ts): 'ignore' (default), 'keep' (root only), or an id map. */
  ownership?: Ownership;
  /** Setuid/setgid bits: 'keep' (default) or 'strip'. */
  setid?: 'keep' | 'strip';
  /**
   * Members to leave out, by name components (install leaves `registry/` in the store, where it is served in
   * place). A skipped member is still read past and counted against the caps; nothing of it is written.
   */
  skip?: (parts: readonly string[]) => boolean;
}

export interface UnpackResult {
  /** Members read, including whiteouts and skipped ones. */
  entries: number;
  /** Special files left out ('skip'), by member name. */
  skipped: string[];
}

/**
 * Unpacks a tar — plain, gzip or zstd, chosen by its first bytes — into `dir`, the one unpacker for everything
 * that writes files from a layer or an archive. Nothing lands outside `dir`: `..` is refused, absolute names are
 * made relative, symlinks among the parents are followed only inside `dir` (scoped-path.ts), the last component
 * is replaced and never written through, hard links join members only, whiteouts delete only below `dir`. Caps
 * (UnpackBudget) bound bytes, entries, entry size, name length and depth. Calls on one `dir` stack layers.
 */
export async function unpackTar(input: Readable, dir: string, options: UnpackOptions): Promise<UnpackResult> {
  const { what } = options;
  // Refused before the first read: keeping owners without root would fail halfway through the tree.
  const policy = ownershipPolicy(options.ownership, options.setid);
  const budget = options.budget ?? new UnpackBudget(options.limits);
  const reading = await readTar(input, budget, what, options.signal);
  const result: UnpackResult = { entries: 0, skipped: [] };
  const layer = new LayerPaths(dir);
  const parents = new Map<string, string>();
  try {
    for await (const { header, content } of reading.entries) {
      result.entries += 1;
      const parts = memberParts(header.name, what);
      if (parts.length === 0) continue; // the root itself: its mode and owner are the caller's
      if (options.skip?.(parts)) continue;
      if (options.whiteouts && (await applyWhiteout(dir, parts, layer, what))) {
        parents.clear();
        continue;
      }
      const written = await writeEntry(
        { root: dir, parts, what, specialFiles: options.specialFiles ?? 'skip', parents, policy },
        header,
        content,
      );
      if ('skipped' in written) result.skipped.push(written.skipped);
      else if (options.whiteouts) layer.add(written.path); // only whiteouts ask what this layer wrote
    }
  } catch (err) {
    throw await reading.explain(err);
  }
  return result;
}

/**
 * Applies the member if it is a whiteout (true), else leaves it to writeEntry (false). Deletes only below
 * `root` (the parent is resolved inside it) and only what lower layers made: image-spec layer.md, "Files that
 * are present in the same layer as a whiteout file can only be hidden by whiteout files in subsequent layers".
 */
async function applyWhiteout(
  root: string,
  parts: readonly string[],
  layer: LayerPaths,
  what: string,
): Promise<boolean> {
  if (inAufsMetadata(parts)) return true;
  const whiteout = whiteoutOf(parts[parts.length - 1] ?? '');
  switch (whiteout.kind) {
    case 'none':
      return false;
    case 'metadata':
      return true;
    case 'invalid':
      throw new KimgError(
        'ARCHIVE_INVALID',
        `${what}: member ${shown(parts.join('/'))} is a whiteout of ${shown(whiteout.name)}, which names no entry of its directory`,
        'the layer is malformed or malicious (image-spec layer.md: a whiteout names one entry)',
      );
    case 'opaque': {
      const parent = await parentInside(root, parts, false, what);
      if (parent === undefined) return true;
      for (const child of await readdir(parent).catch(() => [] as string[])) {
        const path = join(parent, child);
        if (!layer.has(path)) await rm(path, { recursive: true, force: true });
      }
      return true;
    }
    case 'remove': {
      const parent = await parentInside(root, parts, false, what);
      const path = parent === undefined ? undefined : join(parent, whiteout.name);
      if (path !== undefined && !layer.has(path)) await rm(path, { recursive: true, force: true });
      return true;
    }
  }
}

/** The paths this call wrote, with their parents, so a whiteout in the same layer spares them. */
class LayerPaths {
  private readonly paths = new Set<string>();

  constructor(private readonly root: string) {}

  add(path: string): void {
    for (let p = path; p !== this.root && p.startsWith(this.root) && !this.paths.has(p); p = dirname(p))
      this.paths.add(p);
  }

  has(path: string): boolean {
    return this.paths.has(path);
  }
}
