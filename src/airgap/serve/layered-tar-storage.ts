import { posix } from 'node:path';
import { open, type FileHandle } from 'node:fs/promises';
import type { TarIndex } from '../../layer';
import { FileRange } from './file-range';
import { checkStoragePath, type RegistryStorage, type StorageEntry, type StorageFile } from './storage';

/** One uncompressed layer of the image, indexed, with the file it is read from. */
export interface IndexedLayer {
  /** For messages: `layer 3 (sha256:…)`. */
  label: string;
  index: TarIndex;
}

type FileNode = { type: 'file'; layer: number; offset: number; size: number };
type DirNode = { type: 'directory'; children: Map<string, Node> };
type Node = DirNode | FileNode | { type: 'other' };

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * The folder `folder` (e.g. `registry`) of an image's file system, read in place from its uncompressed layer
 * blobs in the store: each layer's tar is indexed once (headers only, tar-index.ts) and the layers are merged as
 * a container runtime would unpack them (image-spec layer.md "Applying Changesets"): a later layer's entry
 * replaces an earlier one, `.wh.NAME` deletes NAME and what is below it, `.wh..wh..opq` empties its directory of
 * what lower layers put there. Hard links are resolved inside their own layer; symlinks are listed as `other`
 * and never followed (nothing a registry writes is a symlink, and following one could leave the folder).
 *
 * One descriptor per layer stays open for the server's life: each request reads a member's range with positional
 * reads on it, and a `kimg prune` running meanwhile cannot take the bytes away (the inode lives while open).
 */
export class LayeredTarStorage implements RegistryStorage {
  private constructor(
    readonly description: string,
    private readonly handles: FileHandle[],
    private readonly root: DirNode,
  ) {}

  /** Merges `layers` (bottom first); `folder` becomes the storage root. Undefined when no layer has it. */
  static async open(
    description: string,
    layers: readonly IndexedLayer[],
    folder: string,
  ): Promise<LayeredTarStorage | undefined> {
    const root = mergeLayers(layers, folder);
    if (!root) return undefined;
    const handles: FileHandle[] = [];
    try {
      for (const layer of layers) handles.push(await open(layer.index.dataFile, 'r'));
    } catch (err) {
      await Promise.all(handles.map((handle) => handle.close()));
      throw err;
    }
    return new LayeredTarStorage(description, handles, root);
  }

  async list(path: string): Promise<StorageEntry[] | undefined> {
    checkStoragePath(path);
    const node = lookup(this.root, path);
    if (node?.type !== 'directory') return undefined;
    return [...node.children].map(([name, child]) => ({ name, type: child.type }));
  }

  async open(path: string): Promise<StorageFile | undefined> {
    checkStoragePath(path);
    const node = lookup(this.root, path);
    if (node?.type !== 'file') return undefined;
    const handle = this.handles[node.layer];
    return handle && new FileRange(handle, node.offset, node.size, false);
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.splice(0).map((handle) => handle.close()));
  }
}

/**
 * The merged tree below `folder`, or undefined when no layer has it. A tree (not a map of paths) so that a
 * whiteout or a file replacing a directory drops a whole subtree in one step, whatever the number of entries.
 */
function mergeLayers(layers: readonly IndexedLayer[], folder: string): DirNode | undefined {
  let root: DirNode | undefined;
  layers.forEach((layer, layerNumber) => {
    const entries = layer.index.entries();
    // Whiteouts speak about lower layers only, so they apply before this layer's own entries.
    for (const entry of entries) {
      const base = posix.basename(entry.name);
      if (!base.startsWith(WHITEOUT_PREFIX)) continue;
      const dir = parentOf(entry.name);
      const target = base === OPAQUE_MARKER ? dir : posix.join(dir, base.slice(WHITEOUT_PREFIX.length));
      const relative = relativeTo(folder, target);
      if (relative === undefined) {
        // `.wh.registry` at the root, or an opaque parent: the whole folder of lower layers is gone.
        if (isAncestor(target, folder)) root = undefined;
      } else if (root && base === OPAQUE_MARKER) {
        const node = lookup(root, relative);
        if (node?.type === 'directory') node.children.clear();
      } else if (root) {
        if (relative === '') root = undefined;
        else {
          const parent = lookup(root, parentOf(relative));
          if (parent?.type === 'directory') parent.children.delete(posix.basename(relative));
        }
      }
    }
    for (const entry of entries) {
      if (posix.basename(entry.name).startsWith(WHITEOUT_PREFIX)) continue;
      const relative = relativeTo(folder, entry.name);
      if (relative === undefined) continue;
      // A hard link is its target's content (resolved inside this layer); anything else keeps its type.
      const resolved = entry.type === 'link' ? layer.index.get(entry.name) : entry;
      const node: Node =
        resolved?.type === 'file'
          ? { type: 'file', layer: layerNumber, offset: resolved.offset, size: resolved.size }
          : resolved?.type === 'directory'
            ? { type: 'directory', children: new Map() }
            : { type: 'other' };
      root ??= { type: 'directory', children: new Map() };
      if (relative === '') {
        // The folder itself replaced by a non-directory hides it; a directory entry merges with what is there.
        if (node.type !== 'directory') root = undefined;
        continue;
      }
      place(root, relative, node);
    }
  });
  return root;
}

/** Puts `node` at `path`, making (or replacing non-directories by) the parents; directories merge. */
function place(root: DirNode, path: string, node: Node): void {
  const parts = path.split('/');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    let next = dir.children.get(part);
    if (next?.type !== 'directory')
      dir.children.set(part, (next = { type: 'directory', children: new Map() }));
    dir = next;
  }
  const name = parts[parts.length - 1] as string;
  if (node.type === 'directory' && dir.children.get(name)?.type === 'directory') return;
  dir.children.set(name, node);
}

function lookup(root: DirNode, path: string): Node | undefined {
  let node: Node | undefined = root;
  for (const part of path === '' ? [] : path.split('/')) {
    node = node?.type === 'directory' ? node.children.get(part) : undefined;
  }
  return node;
}

function parentOf(path: string): string {
  const dir = posix.dirname(path);
  return dir === '.' ? '' : dir;
}

/** `name` relative to `folder` ('' for the folder itself), or undefined when it is not inside it. */
function relativeTo(folder: string, name: string): string | undefined {
  if (name === folder) return '';
  return name.startsWith(`${folder}/`) ? name.slice(folder.length + 1) : undefined;
}

/** Whether `dir` is `path` or one of its parents ('' is the root, the parent of everything). */
function isAncestor(dir: string, path: string): boolean {
  return dir === '' || dir === path || path.startsWith(`${dir}/`);
}
