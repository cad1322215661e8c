import { isKimgError, KimgError } from '../../errors';
import { readImageEntry, type ImageEntry } from './image-entry';

/** One entry of an image list: the image and its 1-based line. */
export interface ListedImage {
  entry: ImageEntry;
  line: number;
}

/** Longest piece of a bad line quoted in an error: the rest of a binary file is noise. */
const QUOTE_MAX = 120;

/**
 * An image list (sealos `images/shim/*`, `images/skopeo/tar.txt`, `--image-list`, `--ignore-images`): one
 * reference per line; blank lines and `#` comments (whole lines, or after a space) are skipped. Entries may
 * name any kimg transport (`docker-archive:x.tar`, `oci-archive:…`, `docker-daemon:…`); a bare name is a
 * registry image. A line that is none of these fails the whole list, naming `file:line` and the text.
 */
export function parseImageList(text: string, file: string): ListedImage[] {
  const listed: ListedImage[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    try {
      listed.push({ entry: readImageEntry(line, true), line: index + 1 });
    } catch (err) {
      if (!isKimgError(err, 'INVALID_REFERENCE') && !isKimgError(err, 'UNKNOWN_TRANSPORT')) throw err;
      throw new KimgError(
        'DISCOVERY_INPUT_INVALID',
        `${file}:${index + 1}: ${quote(line)} is not an image reference (${err.message})`,
        err.hint ?? 'write one image reference per line; # starts a comment',
        { cause: err },
      );
    }
  });
  return listed;
}

/** The text as a JSON string (control characters and quotes escaped), shortened. */
export function quote(text: string): string {
  const short = text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text;
  return JSON.stringify(short);
}
