import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * One digest over every path, type, mode and content below `dir`: equal before and after an operation means
 * the operation changed nothing, byte for byte ("bad input changes nothing", DESIGN.md).
 */
export async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  async function walk(relative: string): Promise<void> {
    const entries = (await readdir(join(dir, relative))).sort();
    for (const name of entries) {
      const path = join(relative, name);
      const stat = await lstat(join(dir, path));
      hash.update(`${path}\0${stat.mode}\0`);
      if (stat.isDirectory()) await walk(path);
      else if (stat.isSymbolicLink()) hash.update(await readlink(join(dir, path)));
      // A FIFO or device (hostile-input tests plant them) is hashed by its mode only: reading it would block.
      else if (stat.isFile()) hash.update(await readFile(join(dir, path)));
    }
  }
  await walk('.');
  return hash.digest('hex');
}
