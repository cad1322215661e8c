import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { FILE_READ_CHUNK } from '../../digest';
import { KimgError } from '../../errors';
import { openRegularFile, readBoundedFile } from '../../fs';
import { inflateBound, sniffFileCompression, type SniffedCompression } from '../../layer';
import { decompressed } from '../../unpack';
import {
  bundleOfPart,
  dataPartName,
  headerPartName,
  MAX_HEADER_BYTES,
  parseHeader,
  type BundleHeader,
} from './bundle-format';

export interface BundlePart {
  file: string;
  size: number;
  /** From the header; a single-file archive has none. */
  sha256?: string;
}

/** An archive to load, as found on disk: one file, or the data parts a split bundle's header lists. */
export interface BundleInput {
  /** What the user named. */
  file: string;
  /** The header of a split bundle (`FILE.part000`); undefined for one file. */
  header?: string;
  parts: BundlePart[];
  /** Of the bytes as stored (the compressed size). */
  totalBytes: number;
  compression: SniffedCompression;
}

/**
 * Finds what `kimg load -i FILE` names: FILE itself; or, for a split bundle, its header — given as any part
 * (`site.tar.part000`, `site.tar.part002`) or as the bundle's name when FILE is absent and `FILE.part000` exists.
 * Every part the header lists must be there with its recorded size before a byte is read, so a missing or
 * truncated part is named at once (BUNDLE_INCOMPLETE), not after minutes of loading.
 */
export async function findBundle(file: string): Promise<BundleInput> {
  const base = bundleOfPart(file);
  let header = base !== undefined ? headerPartName(base) : undefined;
  if (header === undefined && (await isMissing(file)) && !(await isMissing(headerPartName(file))))
    header = headerPartName(file);
  if (header === undefined) return singleFile(file);
  const bundle = base ?? file;
  if (await isMissing(header)) {
    throw new KimgError(
      'BUNDLE_INCOMPLETE',
      `${header} is missing: it lists the parts of ${bundle}`,
      `copy ${basename(header)} next to the other parts, then load it`,
    );
  }
  const parsed = parseHeader(
    await readBoundedFile(header, {
      what: 'list of parts',
      limit: MAX_HEADER_BYTES,
      limitHint: 'kimg writes small lists of parts; this file is something else',
    }),
    header,
  );
  if (!parsed) {
    // A file that only looks like a part (`x.part001` made by split(1)): read it as the archive it is.
    if (header === file || base === undefined) throw notAHeader(header);
    return singleFile(file);
  }
  const parts = await checkParts(bundle, header, parsed);
  const compression = await sniffFileCompression((parts[0] as BundlePart).file);
  return { file, header, parts, totalBytes: parsed.bytes, compression };
}

async function checkParts(bundle: string, header: string, parsed: BundleHeader): Promise<BundlePart[]> {
  const parts = parsed.parts.map((record, i) => ({
    file: dataPartName(bundle, i + 1, parsed.count),
    size: record.size,
    sha256: record.sha256,
  }));
  const missing: string[] = [];
  for (const part of parts) {
    const size = await stat(part.file).then(
      (s) => (s.isFile() ? s.size : -1),
      () => undefined,
    );
    if (size === undefined) missing.push(basename(part.file));
    else if (size !== part.size) {
      throw new KimgError(
        'BUNDLE_INCOMPLETE',
        `${part.file} is ${size < 0 ? 'not a regular file' : `${size} bytes`}; ${basename(header)} says ${part.size}`,
        size >= 0 && size < part.size
          ? 'the part is truncated (a copy that did not finish?): copy it again'
          : 'copy the part again from the source',
      );
    }
  }
  if (missing.length > 0) {
    throw new KimgError(
      'BUNDLE_INCOMPLETE',
      `${bundle} is incomplete: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing (${basename(header)} lists ${parts.length} parts)`,
      'copy every part next to the header, then load again',
    );
  }
  return parts;
}

/**
 * The bundle's bytes as one stream: the parts one after the other, never concatenated on disk. Each part is
 * checked against its recorded size as it passes, and hashed; `check()`, called once the stream was read to its
 * end, fails listing every part whose sha256 differs from the header's. Not failing the stream itself lets a
 * blob the corruption falls in be refused first, by name (its own digest check; the reader runs ahead of the
 * blob being stored); corruption outside blobs (tar headers, padding, index.json) is caught by `check()`.
 */
export function readBundle(input: BundleInput, signal?: AbortSignal): { stream: Readable; check(): void } {
  const corrupt: string[] = [];
  let finished = false;
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const part of input.parts) {
      const hash = createHash('sha256');
      for await (const data of readPart(part)) {
        hash.update(data);
        yield data;
      }
      if (part.sha256 !== undefined && hash.digest('hex') !== part.sha256) corrupt.push(part.file);
    }
    finished = true;
  }
  return {
    stream: Readable.from(bytes(), { objectMode: false, ...(signal && { signal }) }),
    check() {
      if (corrupt.length > 0) throw corruptPartsError(input, corrupt);
      if (!finished) {
        throw new KimgError(
          'ARCHIVE_INVALID',
          `${input.file}: bytes after the end of the archive were not read, so its parts could not all be checked`,
          'the bundle holds more than one archive or trailing data; produce it again with kimg save',
        );
      }
    },
  };
}

/**
 * The parts of a split bundle whose bytes do not match the sha256 of its header (one more read of the bundle):
 * after a blob failed its digest, this says which part to copy again.
 */
export async function corruptParts(input: BundleInput): Promise<string[]> {
  const corrupt: string[] = [];
  for (const part of input.parts) {
    if (part.sha256 === undefined) continue;
    const hash = createHash('sha256');
    for await (const data of readPart(part)) hash.update(data);
    if (hash.digest('hex') !== part.sha256) corrupt.push(part.file);
  }
  return corrupt;
}

export function corruptPartsError(input: BundleInput, corrupt: string[]): KimgError {
  const names = corrupt.map((file) => basename(file)).join(', ');
  return new KimgError(
    'DIGEST_MISMATCH',
    `${input.file}: ${names} ${corrupt.length === 1 ? 'does' : 'do'} not match the sha256 ${basename(input.header ?? '')} records: corrupt part${corrupt.length === 1 ? '' : 's'}`,
    'copy the part again from the source; nothing was loaded',
  );
}

/** One part's bytes, refusing a part that is no longer the size the header records (a copy still running). */
async function* readPart(part: BundlePart): AsyncGenerator<Buffer> {
  const { handle } = await openRegularFile(part.file, { what: 'bundle part' });
  let size = 0;
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: FILE_READ_CHUNK, autoClose: false })) {
      const data = chunk as Buffer;
      size += data.length;
      if (size > part.size) break;
      yield data;
    }
  } finally {
    await handle.close();
  }
  if (size !== part.size) {
    throw new KimgError(
      'BUNDLE_INCOMPLETE',
      `${part.file} changed while it was read: ${size} bytes or more, not ${part.size}`,
      'load again once the copy has finished',
    );
  }
}

/**
 * The bundle as a plain tar stream: its bytes (readBundle), decompressed as their first bytes say (unpack/'s one
 * choice of decompressor), and bounded by the inflate ratio so a bomb stops with one error line. The free space is
 * not checked here: the bytes land in the store's staging, whose writes fail with ENOSPC on their own.
 */
export async function openBundleTar(
  input: BundleInput,
  options: { signal?: AbortSignal; maxInflateRatio?: number } = {},
): Promise<{ tar: Readable; check(): void }> {
  const bundle = readBundle(input, options.signal);
  const { stream } = await decompressed(bundle.stream);
  if (input.compression === 'none') return { tar: stream, check: bundle.check };
  const bound = await inflateBound(input.file, input.totalBytes, dirname(input.parts[0]?.file ?? '.'), {
    keepFreeBytes: -Infinity,
    ...(options.maxInflateRatio !== undefined && { maxInflateRatio: options.maxInflateRatio }),
  });
  const tar = pipeline([stream, bound.counter()], () => undefined) as unknown as Readable;
  return { tar, check: bundle.check };
}

function notAHeader(header: string): KimgError {
  return new KimgError(
    'ARCHIVE_FORMAT_UNKNOWN',
    `${header} is not the list of parts of a kimg bundle`,
    'a split bundle starts with FILE.part000, written by `kimg save --split`',
  );
}

async function isMissing(file: string): Promise<boolean> {
  return stat(file).then(
    () => false,
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
  );
}

/** One file as the archive: its size and compression (sniffed from its first bytes, never from its name). */
async function singleFile(file: string): Promise<BundleInput> {
  const compression = await sniffFileCompression(file); // names a missing or special file
  const { size } = await stat(file);
  return { file, parts: [{ file, size }], totalBytes: size, compression };
}
