import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { isDigest } from '../../digest';
import { KimgError } from '../../errors';
import { assertWritableInside, readBoundedFile } from '../../fs';
import { writeFileAtomic } from '../../store';

/** A link file holds one digest, `sha256:<hex>` (paths.go blobLinkPathSpec); anything longer is not a link. */
export const MAX_LINK_BYTES = 256;

/**
 * The digest a link file names, or undefined when there is no such link. The link must be a regular file inside
 * `dir` of at most 256 bytes (fs/: a FIFO, /dev/zero or a symlink out is refused, not read).
 */
export async function readLink(path: string, where: string, dir: string): Promise<string | undefined> {
  let text: string;
  try {
    const bytes = await readBoundedFile(path, {
      what: `link in ${where}`,
      within: dir,
      limit: MAX_LINK_BYTES,
      limitHint: 'a registry link file holds one digest (distribution paths.go); the storage is damaged',
    });
    text = bytes.toString('utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  if (!isDigest(text)) throw badLink(path, where);
  return text;
}

/**
 * Writes a link atomically (temp + fsync + rename), creating its directories. The registry parses the file with
 * digest.Parse, so it is the bare digest with no newline, as the registry writes it (linkedblobstore.go linkBlob).
 * An identical link already there is left alone, so re-committing an image rewrites nothing. Never written
 * through a folder that leads out of `dir` (a repository folder that is a symlink elsewhere).
 */
export async function writeLink(path: string, digest: string, dir: string, where: string): Promise<void> {
  if ((await readLink(path, where, dir).catch(() => undefined)) === digest) return;
  await assertWritableInside(dir, path, where);
  await fs.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, digest);
}

function badLink(path: string, where: string): KimgError {
  return new KimgError(
    'LAYOUT_INVALID',
    `${path} in ${where} is not a registry link file (expected one digest)`,
    'the registry storage is damaged; copy the image into it again',
  );
}
