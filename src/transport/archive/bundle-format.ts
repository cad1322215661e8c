import { KimgError } from '../../errors';
import { memo, zod } from '../../lazy/lazy';
import { MAX_METADATA_BYTES, parseBoundedJson } from '../../manifest';
import { parseByteSize } from '../../unpack/byte-size';

/**
 * A bundle is an archive (oci-archive or docker-archive) prepared to cross an air gap: optionally compressed as a
 * whole, optionally cut into numbered parts that fit the media. The naming follows Zarf's split packages
 * (`zarf package create --max-package-size`, src/pkg/layout/split.go): `FILE.part000` is a small JSON header,
 * `FILE.part001`… are the bytes, so one glob (`FILE.part*`) carries the whole bundle and `kimg load -i
 * FILE.part000` (or any part, or FILE itself) reads it. Zarf's header fields (`count`, `bytes`, `sha256sum` of
 * the whole) are kept; ours adds each part's size and sha256 so load names the part that is missing, truncated
 * or corrupt before anything reaches the store.
 */
export const BUNDLE_COMPRESSIONS = ['none', 'gzip', 'zstd'] as const;
export type BundleCompression = (typeof BUNDLE_COMPRESSIONS)[number];

/** Marks our header among other JSON files called `*.part000`. */
export const BUNDLE_PARTS_MEDIA_TYPE = 'application/vnd.kimg.bundle.parts.v1+json';

/** No medium is smaller (a floppy is 1.44 MB); smaller parts would only multiply files. */
export const MIN_SPLIT_BYTES = 1024 * 1024;
/** Four digits at most: 9,999 parts of 4 GiB is 39 TiB, and a header listing them stays ~1 MiB. */
export const MAX_PARTS = 9999;
/** The header is a few hundred bytes per 100 parts; anything larger is not ours. */
export const MAX_HEADER_BYTES = Math.min(MAX_METADATA_BYTES, 2 * 1024 * 1024);

export interface BundlePartRecord {
  size: number;
  sha256: string;
}

export interface BundleHeader {
  mediaType: typeof BUNDLE_PARTS_MEDIA_TYPE;
  /** Zarf's fields: number of data parts, bytes of the whole, sha256 (hex) of the parts concatenated. */
  count: number;
  bytes: number;
  sha256sum: string;
  /** The whole archive's compression, as written (load sniffs the bytes anyway). */
  compression: BundleCompression;
  parts: BundlePartRecord[];
}

const hex64 = () =>
  zod()
    .string()
    .regex(/^[0-9a-f]{64}$/);
const headerSchema = memo(() =>
  zod().object({
    mediaType: zod().literal(BUNDLE_PARTS_MEDIA_TYPE),
    count: zod().number().int().min(1).max(MAX_PARTS),
    bytes: zod().number().int().min(0),
    sha256sum: hex64(),
    compression: zod().enum(BUNDLE_COMPRESSIONS),
    parts: zod()
      .array(zod().object({ size: zod().number().int().min(0), sha256: hex64() }))
      .max(MAX_PARTS),
  }),
);

/** `FILE.part000`: the header. */
export function headerPartName(file: string): string {
  return `${file}.part000`;
}

/** Data part `n` (from 1) of a bundle of `count` parts: three digits, four past 999. */
export function dataPartName(file: string, n: number, count: number): string {
  return `${file}.part${String(n).padStart(count > 999 ? 4 : 3, '0')}`;
}

/** The bundle a part name belongs to (`site.tar.part002` → `site.tar`), or undefined for other names. */
export function bundleOfPart(file: string): string | undefined {
  const match = /^(.+)\.part\d{3,4}$/.exec(file);
  return match?.[1];
}

/** Compression told by the name (`.tar.zst`, `.tzst`, `.tar.gz`, `.tgz`); undefined when the name says nothing. */
export function compressionOfName(file: string): BundleCompression | undefined {
  if (/\.(zst|zstd|tzst)$/i.test(file)) return 'zstd';
  if (/\.(gz|tgz)$/i.test(file)) return 'gzip';
  return undefined;
}

const SUFFIX: Record<BundleCompression, string> = { none: '.tar', gzip: '.tar.gz', zstd: '.tar.zst' };

export function parseCompression(text: string): BundleCompression {
  if ((BUNDLE_COMPRESSIONS as readonly string[]).includes(text)) return text as BundleCompression;
  throw new KimgError(
    'USAGE',
    `unknown compression "${text}"`,
    `use --compression ${BUNDLE_COMPRESSIONS.join(', ')}`,
  );
}

/**
 * The compression a save writes: the flag when given, else what the name says, else none. A flag that
 * contradicts the name (`-o x.tar.gz --compression zstd`) is refused: the file would lie about its content.
 */
export function chooseCompression(file: string, flag: BundleCompression | undefined): BundleCompression {
  const named = compressionOfName(file);
  if (flag !== undefined && named !== undefined && flag !== named) {
    throw new KimgError(
      'USAGE',
      `--compression ${flag} contradicts the name ${file}, which says ${named}`,
      `name the file for its content (${SUFFIX[flag]}) or drop --compression`,
    );
  }
  return flag ?? named ?? 'none';
}

export function encodeHeader(header: BundleHeader): Buffer {
  return Buffer.from(`${JSON.stringify(header, null, 1)}\n`);
}

/** The header's JSON, validated; `undefined` when the bytes are not a kimg bundle header at all. */
export function parseHeader(bytes: Buffer, file: string): BundleHeader | undefined {
  if (bytes[0] !== 0x7b /* { */) return undefined;
  const invalid = (message: string, cause?: unknown) =>
    new KimgError('ARCHIVE_INVALID', message, 'the list of parts is damaged; copy it again from the source', {
      cause,
    });
  const json = parseBoundedJson(bytes, { what: file, maxBytes: MAX_HEADER_BYTES, invalid });
  if ((json as { mediaType?: unknown }).mediaType !== BUNDLE_PARTS_MEDIA_TYPE) return undefined;
  const parsed = headerSchema().safeParse(json);
  if (!parsed.success || parsed.data.parts.length !== parsed.data.count) {
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    throw invalid(
      `${file} is not a valid list of parts (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'count and parts differ'})`,
    );
  }
  const total = parsed.data.parts.reduce((sum, part) => sum + part.size, 0);
  if (total !== parsed.data.bytes)
    throw invalid(`${file}: its parts add up to ${total} bytes, not the ${parsed.data.bytes} it states`);
  return parsed.data;
}

/** `--split SIZE` (`4G`, `700M`, `700MB`): the largest part, at least MIN_SPLIT_BYTES. */
export function parseSplitSize(text: string): number {
  const bytes = parseByteSize(text, '--split');
  if (bytes < MIN_SPLIT_BYTES) {
    throw new KimgError(
      'USAGE',
      `--split: ${text} is smaller than the smallest part kimg writes (1 MiB)`,
      'give the size of the medium, e.g. --split 4G or --split 700M',
    );
  }
  return bytes;
}
