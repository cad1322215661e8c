import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ClusterDirs } from '../../cluster';
import type { LayerEntry } from '../../layer';

/**
 * The members of the `registry/` layer: every folder and file of the registry-dir `dir` (which kimg itself just
 * wrote: folders and regular files only), under `registry/`, sorted by name so the same images give the same
 * bytes. Modes are fixed (0755 folders, 0644 files) rather than read, so the umask of the build does not leak
 * into the layer digest; the layer writer fixes mtimes and owners.
 */
export async function registryLayerEntries(dir: string): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [{ path: ClusterDirs.registry, type: 'directory', mode: 0o755 }];
  await walk(dir, ClusterDirs.registry, entries);
  return entries;
}

async function walk(dir: string, prefix: string, into: LayerEntry[]): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const path = join(dir, name);
    const member = `${prefix}/${name}`;
    const stat = await lstat(path);
    if (stat.isDirectory()) {
      into.push({ path: member, type: 'directory', mode: 0o755 });
      await walk(path, member, into);
    } else if (stat.isFile()) {
      into.push({
        path: member,
        type: 'file',
        mode: 0o644,
        size: stat.size,
        open: () => createReadStream(path),
      });
    } else {
      throw new Error(`${path}: not a folder or a regular file in a registry-dir kimg wrote`);
    }
  }
}
