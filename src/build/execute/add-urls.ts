import { posix } from 'node:path';
import { createReadStream } from 'node:fs';
import { KimgError } from '../../errors';
import type { LayerEntry } from '../../layer/layer-entry';
import { redactUrl } from '../../registry/http/redact';
import type { CopySpec } from '../plan/types';
import type { UrlSources } from './url-sources';

/** One ADD URL source: where it lands (relative to `/`) and its content digest, the cache key's part. */
export interface UrlItem {
  url: string;
  target: string;
  digest: string;
}

/**
 * Where each URL source of an ADD lands and what it holds (reference: "ADD", "Adding files from a URL": with a
 * destination ending in `/` the file name is inferred from the URL's path, else the destination is the file).
 * Known limit: the name comes from the URL as written, never from a redirect target or Content-Disposition.
 */
export async function urlItems(spec: CopySpec, urls: UrlSources | undefined): Promise<UrlItem[]> {
  const list = spec.urls ?? [];
  if (list.length === 0) return [];
  if (!urls) throw new Error('ADD of a URL outside the build context');
  const intoDir = spec.dest.endsWith('/');
  if (!intoDir && list.length + spec.sources.length + spec.inline.length > 1) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `ADD of several sources needs a directory destination, not "${spec.dest}"`,
      `end the destination with a slash: "${spec.dest}/"`,
    );
  }
  const items: UrlItem[] = [];
  for (const url of list) {
    const target = intoDir ? posix.join(spec.dest, fileName(url)) : spec.dest;
    const { digest } = await urls.content(url, spec.checksum);
    items.push({ url, target: target.replace(/^\/+/, ''), digest });
  }
  return items;
}

/** The layer entries of the URL sources: regular files, mode 0600 unless `--chmod` (as docker and BuildKit). */
export async function urlEntries(
  items: readonly UrlItem[],
  spec: CopySpec,
  urls: UrlSources | undefined,
): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  for (const item of items) {
    const { file, size } = await urls!.file(item.url, item.digest);
    entries.push({
      path: item.target,
      type: 'file',
      mode: spec.chmod ?? 0o600,
      size,
      open: () => createReadStream(file),
    });
  }
  return entries;
}

function fileName(url: string): string {
  const name = posix.basename(decodeURIComponent(new URL(url).pathname));
  if (name === '' || name === '/' || name === '.' || name === '..') {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `ADD ${redactUrl(url)}: the URL's path names no file to put in the destination directory`,
      'give the destination a file name (ADD URL /path/file)',
    );
  }
  return name;
}
