import { statSync } from 'node:fs';

/**
 * What names the files only this node binary may use (the start-up snapshot's blob, undici's code cache): its
 * size and mtime, `SIZE-SECONDS`, the key bin/kimg computes with `stat -Lc %s-%Y "$(command -v node)"` before
 * node starts. A blob or cache made by another node is then never even opened.
 */
export function nodeBinaryKey(execPath: string = process.execPath): string {
  const stat = statSync(execPath);
  return `${stat.size}-${Math.floor(stat.mtimeMs / 1000)}`;
}
