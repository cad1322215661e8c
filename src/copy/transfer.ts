import type { Descriptor } from '../manifest/descriptor';
import { isTaggingRemote } from '../transport/capabilities';
import type { ReadOnlyTarget, Target } from '../transport/types';
import { copyAttached, type AttachedOptions } from './attached';
import { convertFormat, type ManifestFormat } from './convert-format';
import { GraphCopier, type CopyGraphOptions, type CopyStats } from './copy-graph';
import { overlaySource } from './overlay-source';
import { selectPlatforms, type PlatformChoice } from './platform-selection';

/** One image to move: found in the source by `ref` (or given as a descriptor), named `names` at the destination. */
export interface TransferItem {
  ref?: string;
  descriptor?: Descriptor;
  names: string[];
}

export interface TransferOptions extends CopyGraphOptions, Omit<AttachedOptions, 'signal'> {
  /** Default: every platform, byte for byte. */
  platforms?: PlatformChoice;
  /** Convert manifests to this format (new digests, reported); default: keep them as they are. */
  format?: ManifestFormat;
}

export interface TransferredImage {
  /** What the source had. */
  source: Descriptor;
  /** What the destination got: the same descriptor unless a platform filter or a conversion made a new one. */
  descriptor: Descriptor;
  names: string[];
  notes: string[];
}

export interface TransferResult {
  images: TransferredImage[];
  stats: CopyStats;
}

/**
 * Moves images from one target to another as one unit: every graph is copied, every name tagged, then the
 * destination commits once. Any failure aborts the destination, which is then left exactly as it was
 * (DESIGN.md: "nothing is half-written"). load, save, pull, push and copy are all this call.
 */
export async function transfer(
  source: ReadOnlyTarget,
  destination: Target,
  items: TransferItem[],
  options: TransferOptions = {},
): Promise<TransferResult> {
  try {
    const result = await copyItems(source, destination, items, options);
    await destination.commit({ signal: options.signal });
    return result;
  } catch (err) {
    await destination.abort();
    throw err;
  }
}

/**
 * `transfer` without the commit: the images copied and tagged in the destination's open transaction, which the
 * caller commits (or aborts) — so several sources can fill one destination in one transaction, as embedding does
 * (each `docker://` source is one repository). Concurrent calls on one destination are safe: its ingest stages a
 * blob once however many copies push it.
 */
export async function copyItems(
  source: ReadOnlyTarget,
  destination: Target,
  items: TransferItem[],
  options: TransferOptions = {},
): Promise<TransferResult> {
  const { signal } = options;
  // Documents made on the way (filtered indexes, converted manifests), served to the copier from memory.
  const made = new Map<string, Buffer>();
  const reader = overlaySource(source, made);
  const copier = new GraphCopier(reader, destination, options);
  const images: TransferredImage[] = [];
  for (const item of items) {
    const original = item.descriptor ?? (await source.resolve(item.ref, { signal }));
    const selected = await selectPlatforms(source, original, options.platforms ?? { kind: 'all' }, {
      signal,
    });
    for (const [digest, bytes] of selected.synthesized) made.set(digest, bytes);
    const notes = selected.note === undefined ? [] : [selected.note];
    let root = selected.root;
    if (options.format) {
      const converted = await convertFormat(overlaySource(source, made), root, options.format, made, {
        signal,
      });
      if (converted.digest !== root.digest) notes.push(`converted to ${options.format}: ${converted.digest}`);
      root = converted;
    }
    // A registry stores the root with its tag PUTs then: one PUT per tag, no digest PUT first (issue 12).
    if (isTaggingRemote(destination)) destination.expectTags(root, item.names);
    await copier.copy(root, selected.omitted);
    if (options.referrers || options.digestTags) {
      const attached = await copyAttached({ source, reader, destination, copier }, root, item.names, {
        ...options,
        omitted: selected.omitted,
      });
      notes.push(`${attached} attached artifact(s) copied`);
    }
    const tagOptions = { signal, ...(selected.omitted.size > 0 && { omitted: selected.omitted }) };
    if (item.names.length === 0) await destination.tag(root, undefined, tagOptions);
    for (const name of item.names) await destination.tag(root, name, tagOptions);
    images.push({ source: original, descriptor: root, names: item.names, notes });
  }
  return { images, stats: copier.stats };
}
