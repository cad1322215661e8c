import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { isDigest } from '../../digest';
import { KimgError } from '../../errors';
import { pathExists, writeFileAtomic } from '../../store';

/** A link file holds one digest, `sha256:<hex>` (paths.go blobLinkPathSpec); anything longer is not a link. */
export const MAX_LINK_BYTES = 256;

/** The digest a link file names, or undefined when there is no such link. */
export async function readLink(path: string, where: string): Promise<string | undefined> {
  let text: string;
  try {
    const stat = await fs.stat(path);
    if (stat.size > MAX_LINK_BYTES) throw badLink(path, where);
    text = (await fs.readFile(path, 'utf8')).trim();
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
 * An identical link already there is left alone, so re-committing an image rewrites nothing.
 */
export async function writeLink(path: string, digest: string): Promise<void> {
  if ((await pathExists(path)) && (await fs.readFile(path, 'utf8')) === digest) return;
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
