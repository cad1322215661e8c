import { posix } from 'node:path';

/**
 * Archive member names as we key them: no leading `./` (GNU `tar -C dir .` writes them), no trailing `/` on
 * directories. Names that climb out (`..`) or are absolute are refused by the caller: no format we read
 * produces them, and a consumer that extracts would write outside its directory (CVE-2018-20482 class).
 */
export function normalizeEntryName(raw: string): { name: string; safe: boolean } {
  let name = raw;
  while (name.startsWith('./')) name = name.slice(2);
  name = name.replace(/\/+$/, '');
  if (name === '.') name = '';
  const safe = !name.startsWith('/') && !name.split('/').includes('..') && !name.includes('\0');
  return { name, safe };
}

/**
 * Where a symlink inside the archive points, as an archive member name, or undefined when it leaves the archive.
 * Docker's save format links `<id>/layer.tar` to the first copy of a shared layer (and, since Docker 25, to
 * `blobs/sha256/<hex>`), so readers must follow links without ever touching the host file system.
 */
export function resolveLinkTarget(from: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const joined = posix.normalize(posix.join(posix.dirname(from), target));
  if (joined === '..' || joined.startsWith('../') || joined.startsWith('/')) return undefined;
  return normalizeEntryName(joined).name;
}
