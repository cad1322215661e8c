import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isKimgError, KimgError } from '../errors';
import { normalizeName } from '../reference';
import {
  archiveSourceOf,
  findBundle,
  NeedsRandomAccess,
  openArchiveSource,
  corruptParts,
  corruptPartsError,
  openBundleTar,
  readStreamedArchive,
  type ArchiveFormat,
  type ArchiveReadOptions,
  type BundleInput,
} from '../transport/archive';
import type { ReadOnlyTarget, Target } from '../transport/types';
import type { CopyGraphOptions, CopyStats } from './copy-graph';
import { transfer, type TransferItem, type TransferResult } from './transfer';

export interface LoadResult extends TransferResult {
  format: ArchiveFormat;
  /** Names in the archive that are not valid image references; those images were loaded untagged. */
  skippedNames: string[];
  /** The bundle as read: its compression and the files it came from (one, or the data parts of a split bundle). */
  bundle: { compression: BundleInput['compression']; files: string[]; bytes: number };
  /** What the store did not have before: images (a name → digest or an untagged digest), blobs, bytes. */
  added: { images: number; blobs: number; bytes: number };
}

export type LoadOptions = CopyGraphOptions & { archive?: ArchiveReadOptions };

/**
 * `kimg load`: every image of an oci-archive or docker-archive (format detected from the content) into the
 * store, as one transaction — either all images land or the store is left as it was. Every blob is verified
 * against its digest before the commit; nothing is visible in the store until then.
 *
 * A plain tar is read in place (TarIndex: headers scanned, blobs read at their offsets). A compressed archive or
 * a split bundle is read in one sequential pass (streamed-archive.ts): the parts one after the other, each
 * checked against its sha256, decompressed on the fly, every blob verified and staged straight into the store's
 * transaction — no decompressed or concatenated copy on disk, so peak disk is the bundle plus what the store
 * gains. Only a compressed legacy `docker save` (layers named `<id>/layer.tar`) falls back to an inflated copy in
 * the store's scratch, as gzipped archives always were.
 */
export async function loadArchive(
  file: string,
  store: Target,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const bundle = await findBundle(file);
  const before = await store.list();
  let loaded: Omit<LoadResult, 'bundle' | 'added'>;
  if (bundle.header === undefined && bundle.compression === 'none') {
    loaded = await loadFrom(await openArchiveSource(file, options.archive), store, options);
  } else {
    try {
      loaded = await loadStreamed(bundle, store, options);
    } catch (err) {
      if (!(err instanceof NeedsRandomAccess)) throw err;
      await store.abort();
      if (bundle.header !== undefined) {
        throw new KimgError(
          'UNSUPPORTED',
          `${file}: "${err.member}" is neither a blob nor metadata, and a split bundle is read in one pass`,
          'join the parts into one file (cat) and load that',
        );
      }
      loaded = await loadFrom(await openArchiveSource(file, options.archive), store, options);
    }
  }
  const had = new Set(before.map((image) => `${image.name ?? ''}\0${image.descriptor.digest}`));
  const images = loaded.images.filter((image) =>
    (image.names.length > 0 ? image.names : ['']).some(
      (name) => !had.has(`${name}\0${image.descriptor.digest}`),
    ),
  ).length;
  return {
    ...loaded,
    bundle: {
      compression: bundle.compression,
      files: bundle.parts.map((part) => part.file),
      bytes: bundle.totalBytes,
    },
    added: { images, blobs: loaded.stats.blobsCopied, bytes: loaded.stats.bytesCopied },
  };
}

/**
 * The sequential pass: blobs are pushed into the store's open transaction as they stream by (a blob the store
 * has is verified and drained), then the archive's images are tagged by the same transfer as a plain tar's — it
 * finds every blob present and copies nothing more — and the transaction commits once.
 */
async function loadStreamed(
  bundle: BundleInput,
  store: Target,
  options: LoadOptions,
): Promise<Omit<LoadResult, 'bundle' | 'added'>> {
  const { signal } = options;
  const stats: CopyStats = { blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, bytesCopied: 0 };
  const { tar, check } = await openBundleTar(bundle, {
    ...(signal && { signal }),
    ...(options.archive?.maxInflateRatio !== undefined && {
      maxInflateRatio: options.archive.maxInflateRatio,
    }),
  });
  const label = bundle.header ? `${bundle.file} (split bundle)` : bundle.file;
  try {
    const members = await readStreamedArchive(tar, label, {
      signal,
      openBlob: (desc) => store.fetch(desc, { signal }),
      onBlob: async (desc, content) => {
        if (await store.exists(desc, { signal })) {
          await drain(content, signal);
          stats.blobsSkipped++;
        } else {
          await store.push(desc, content, { signal });
          stats.blobsCopied++;
          stats.bytesCopied += desc.size;
        }
      },
    });
    check(); // every part read to its end and matching its sha256, before anything is committed
    const loaded = await loadFrom(await archiveSourceOf(members), store, options);
    return { ...loaded, stats };
  } catch (err) {
    await store.abort();
    throw await withCorruptParts(err, bundle);
  } finally {
    tar.destroy();
  }
}

/** The images of `archive` into the store (archive closed after), names normalized; unparsable names skipped. */
async function loadFrom(
  archive: { format: ArchiveFormat; source: ReadOnlyTarget },
  store: Target,
  options: LoadOptions,
): Promise<Omit<LoadResult, 'bundle' | 'added'>> {
  const { archive: _archiveOptions, ...copyOptions } = options;
  try {
    const images = await archive.source.list(copyOptions);
    if (images.length === 0) {
      throw new KimgError(
        'ARCHIVE_INVALID',
        `${archive.source.description} holds no images`,
        'check that the file was written completely',
      );
    }
    // Names as a Set per image: an archive may carry 10,000 RepoTags for one image (includes() was quadratic).
    const byDigest = new Map<string, { descriptor: TransferItem['descriptor']; names: Set<string> }>();
    const skippedNames: string[] = [];
    for (const image of images) {
      let item = byDigest.get(image.descriptor.digest);
      if (!item) {
        item = { descriptor: image.descriptor, names: new Set() };
        byDigest.set(image.descriptor.digest, item);
      }
      if (image.name === undefined) continue;
      try {
        item.names.add(normalizeName(image.name));
      } catch {
        skippedNames.push(image.name);
      }
    }
    const items: TransferItem[] = [...byDigest.values()].map(({ descriptor, names }) => ({
      descriptor,
      names: [...names],
    }));
    const result = await transfer(archive.source, store, items, copyOptions);
    return { ...result, format: archive.format as ArchiveFormat, skippedNames };
  } finally {
    await archive.source.close();
  }
}

async function drain(content: Readable, signal?: AbortSignal): Promise<void> {
  await pipeline(content, new Writable({ write: (_chunk, _encoding, callback) => callback() }), {
    ...(signal && { signal }),
  });
}

/**
 * A blob that fails its digest in a split bundle is named by its own error; the parts that fail their sha256
 * (one more read of the bundle, on failure only) are added, so the user knows which part to copy again.
 */
async function withCorruptParts(err: unknown, bundle: BundleInput): Promise<unknown> {
  if (bundle.header === undefined || !isKimgError(err)) return err;
  if (!['DIGEST_MISMATCH', 'SIZE_MISMATCH', 'ARCHIVE_INVALID'].includes(err.code)) return err;
  if (bundle.parts.some((part) => err.message.includes(basename(part.file)))) return err;
  const corrupt = await corruptParts(bundle).catch(() => []);
  if (corrupt.length === 0) return err;
  const parts = corruptPartsError(bundle, corrupt);
  return new KimgError(err.code, `${err.message}; ${parts.message}`, parts.hint, { cause: err });
}
