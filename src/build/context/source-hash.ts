import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FILE_READ_CHUNK, type Digest } from '../../digest';
import { sortKey } from '../../layer/layer-entry';
import type { CopyItem } from './copy-sources';

/** Files hashed at once: enough to keep the disk busy, few enough not to exhaust file descriptors. */
export const HASH_CONCURRENCY = 8;

export interface HashSourcesOptions {
  /** Include mtimes (for `--preserve-mtime` layers, whose bytes depend on them). */
  includeMtime?: boolean;
  signal?: AbortSignal;
}

/**
 * The cache key part of a COPY (issue 5 item 6): sha256 over one record per item — image path, type, mode,
 * size, content digest, link target, hardlink group — in layer order. It covers exactly what the layer's bytes
 * depend on (the tar normalises owners and times), so an unchanged context gives the same key on any machine
 * and in any checkout. File contents are streamed; nothing is read whole into memory.
 */
export async function hashSources(
  root: string,
  items: readonly CopyItem[],
  options: HashSourcesOptions = {},
): Promise<Digest> {
  const ordered = items
    .map((item) => ({ item, key: sortKey(item.target) }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map(({ item }) => item);
  const digests = await contentDigests(root, ordered, options.signal);
  const firstName = new Map<string, string>();
  const hash = createHash('sha256');
  ordered.forEach(({ source, target }, index) => {
    let hardlink = '';
    if (source.linkKey !== undefined) {
      hardlink = firstName.get(source.linkKey) ?? '';
      if (hardlink === '') firstName.set(source.linkKey, target);
    }
    const fields = [target, source.type, source.mode.toString(8), String(source.size), digests[index] ?? ''];
    fields.push(source.linkTarget ?? '', hardlink, options.includeMtime ? String(source.mtime) : '');
    hash.update(`${fields.map((field) => JSON.stringify(field)).join(' ')}\n`);
  });
  return `sha256:${hash.digest('hex')}`;
}

async function contentDigests(
  root: string,
  items: readonly CopyItem[],
  signal: AbortSignal | undefined,
): Promise<(string | undefined)[]> {
  const digests: (string | undefined)[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      const { source } = items[index] as CopyItem;
      if (source.type !== 'file') continue;
      const hash = createHash('sha256');
      await pipeline(createReadStream(join(root, source.path), { highWaterMark: FILE_READ_CHUNK }), hash, {
        signal,
      });
      digests[index] = hash.digest('hex');
    }
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
  return digests;
}
