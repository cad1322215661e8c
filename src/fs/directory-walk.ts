import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isWithin } from './confine';

export interface WalkedDirectory {
  /** Path components from the walk's root ([] for the root itself). */
  components: string[];
  /** Entry names of the directory. */
  names: string[];
}

/**
 * Visits `root` and the directories below it, following symlinked directories only while their real path stays
 * inside `root` and only once per real directory: a link back to a parent (a loop) or two links to one folder
 * cannot make the walk endless or exponential. `descend(name)` says which entries to look into; `maxDepth`
 * bounds the nesting (a repository name has at most 255 characters, so at most 128 components).
 */
export async function walkDirectories(
  root: string,
  descend: (name: string) => boolean,
  maxDepth: number,
): Promise<WalkedDirectory[]> {
  const realRoot = await realpath(root).catch(() => undefined);
  if (realRoot === undefined) return [];
  const seen = new Set<string>([realRoot]);
  const found: WalkedDirectory[] = [];
  const pending: { dir: string; components: string[] }[] = [{ dir: root, components: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const names = await readdir(next.dir).catch(() => [] as string[]);
    found.push({ components: next.components, names });
    if (next.components.length >= maxDepth) continue;
    for (const name of names) {
      if (!descend(name)) continue;
      const path = join(next.dir, name);
      if (!(await stat(path).catch(() => undefined))?.isDirectory()) continue;
      const real = await realpath(path).catch(() => undefined);
      if (real === undefined || !isWithin(realRoot, real) || seen.has(real)) continue;
      seen.add(real);
      pending.push({ dir: path, components: [...next.components, name] });
    }
  }
  return found;
}
