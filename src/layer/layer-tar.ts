import { KimgError } from '../errors';
import type { OrderedEntry } from './layer-entry';
import { END_OF_ARCHIVE, encodeMemberHeader, padding, type MemberHeader } from './tar-header-encode';

/** How members are normalised (the reproducibility rules of issue 5, item 5). */
export interface LayerTarOptions {
  /** mtime of every member in seconds: `SOURCE_DATE_EPOCH`, else 0. */
  timestamp?: number;
  /** Keep each entry's own `mtime` instead (`--preserve-mtime`). */
  preserveMtime?: boolean;
  /** Owner of every listed entry (`--chown`); implicit parent directories stay 0:0. Default 0:0. */
  owner?: { uid: number; gid: number };
}

/**
 * The tar stream of a layer, member by member, in the order given (see orderLayerEntries). uname/gname are
 * always empty: a name would be looked up in the image's /etc/passwd by some extractors and not by others.
 * File contents are streamed, never buffered whole; a file whose size differs from the one it was listed with
 * fails the layer (its header already promised a size: tar cannot take it back).
 */
export async function* layerTar(
  entries: readonly OrderedEntry[],
  options: LayerTarOptions = {},
): AsyncGenerator<Buffer> {
  const timestamp = options.timestamp ?? 0;
  for (const entry of entries) {
    const header: MemberHeader = {
      name: entry.path,
      type: entry.type,
      mode: entry.mode,
      uid: entry.implicit ? 0 : (entry.uid ?? options.owner?.uid ?? 0),
      gid: entry.implicit ? 0 : (entry.gid ?? options.owner?.gid ?? 0),
      size: 0,
      mtime: options.preserveMtime && entry.mtime !== undefined ? entry.mtime : timestamp,
    };
    if (entry.type === 'symlink') {
      yield encodeMemberHeader({ ...header, linkname: entry.linkTarget ?? '' });
    } else if (entry.hardlinkTo !== undefined) {
      yield encodeMemberHeader({ ...header, type: 'hardlink', linkname: entry.hardlinkTo });
    } else if (entry.type === 'directory') {
      yield encodeMemberHeader(header);
    } else {
      const size = entry.size ?? 0;
      yield encodeMemberHeader({ ...header, size });
      if (size > 0) yield* fileContent(entry, size);
      const pad = padding(size);
      if (pad > 0) yield Buffer.alloc(pad);
    }
  }
  yield END_OF_ARCHIVE;
}

async function* fileContent(entry: OrderedEntry, size: number): AsyncGenerator<Buffer> {
  if (!entry.open) {
    throw new KimgError('INVALID_ARGUMENT', `layer entry "${entry.path}" has ${size} bytes but no content`);
  }
  let read = 0;
  for await (const chunk of entry.open()) {
    const bytes = chunk as Buffer;
    read += bytes.length;
    if (read > size) break;
    yield bytes;
  }
  if (read !== size) {
    throw new KimgError(
      'IO_ERROR',
      `${entry.path} changed while its layer was written: listed with ${size} bytes, read ${read > size ? 'more' : read}`,
      'files of the build context must not change during a build; run the build again',
    );
  }
}
