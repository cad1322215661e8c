import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Header } from 'tar-stream';
import { KimgError } from '../errors';
import { shown } from './member-name';

const run = promisify(execFile);

export type SpecialType = 'character-device' | 'block-device' | 'fifo';

export function isSpecial(type: Header['type']): type is SpecialType {
  return type === 'character-device' || type === 'block-device' || type === 'fifo';
}

/**
 * A device node or FIFO, made with mknod(1) (node has no mknod(2) binding). Only root may make devices, and a
 * device in an image is an instruction to the host's kernel, so this runs only when the caller asked for special
 * files (`specialFiles: 'create'`) and the process is root; asked as another user it is refused rather than
 * silently dropped, because the caller said the files matter.
 */
export async function makeSpecialFile(
  path: string,
  header: Header,
  name: string,
  what: string,
): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new KimgError(
      'UNSUPPORTED',
      `${what}: member ${shown(name)} is a ${header.type}, and only root may create one`,
      'run as root, or unpack without special files (they are skipped)',
    );
  }
  const mode = ((header.mode ?? 0o644) & 0o777).toString(8);
  const kind = header.type === 'fifo' ? ['p'] : [header.type === 'block-device' ? 'b' : 'c'];
  const numbers = header.type === 'fifo' ? [] : [String(header.devmajor ?? 0), String(header.devminor ?? 0)];
  await run('mknod', ['-m', mode, path, ...kind, ...numbers]);
}
