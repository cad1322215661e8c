import { KimgError } from '../errors';
import { formatByteSize, parseByteSize } from './byte-size';

/** The caps of one unpack (or of several sharing an UnpackBudget: the layers of one image). */
export interface UnpackLimits {
  /** Bytes of decompressed tar read (contents, headers, padding): bounds the disk written and the inflate work. */
  maxBytes: number;
  /** Members, of any type: bounds inodes and time on tars of empty entries. */
  maxEntries: number;
  /** One member's content, checked on its header before a byte is written. */
  maxEntryBytes: number;
  /** Bytes of a member name or link target. */
  maxPathLength: number;
  /** Components of a member name. */
  maxDepth: number;
}

/**
 * Defaults generous for real images, small enough that a bomb stops long before the disk is full:
 * - 32 GiB: more than the largest images in common use unpack to (CUDA/ML bases are 10–20 GiB), and still a
 *   fraction of a build host's disk; a stage's layers share it (stage-files.ts).
 * - 1,000,000 entries: a full Debian with development packages has ~200k files, a node_modules-heavy image ~500k.
 * - 16 GiB per entry: a single file bigger than that is not a layer member anyone ships (VM disks go elsewhere).
 * - 4096 bytes per name: Linux PATH_MAX (limits.h), longer names cannot be opened anyway.
 * - 256 components: deeper than any real tree (node_modules nesting stays far below), shallow enough for
 *   recursive walkers.
 */
export const DEFAULT_UNPACK_LIMITS: Readonly<UnpackLimits> = {
  maxBytes: 32 * 1024 ** 3,
  maxEntries: 1_000_000,
  maxEntryBytes: 16 * 1024 ** 3,
  maxPathLength: 4096,
  maxDepth: 256,
};

interface Cap {
  /** What the cap bounds, for the message. */
  noun: string;
  env: string;
  /** The flag of `kimg build` (and later `kimg install`) that sets it, when there is one. */
  flag?: string;
  bytes: boolean;
}

export const UNPACK_CAPS: Readonly<Record<keyof UnpackLimits, Cap>> = {
  maxBytes: { noun: 'unpacked size', env: 'KIMG_MAX_UNPACK_SIZE', flag: '--max-unpack-size', bytes: true },
  maxEntries: {
    noun: 'entry count',
    env: 'KIMG_MAX_UNPACK_ENTRIES',
    flag: '--max-unpack-entries',
    bytes: false,
  },
  maxEntryBytes: { noun: 'entry size', env: 'KIMG_MAX_UNPACK_ENTRY_SIZE', bytes: true },
  maxPathLength: { noun: 'path length', env: 'KIMG_MAX_UNPACK_PATH_LENGTH', bytes: false },
  maxDepth: { noun: 'path depth', env: 'KIMG_MAX_UNPACK_DEPTH', bytes: false },
};

/** The caps set in the environment (`KIMG_MAX_UNPACK_*`); sizes accept units (`512MiB`). */
export function unpackLimitsFromEnv(env: NodeJS.ProcessEnv): Partial<UnpackLimits> {
  const limits: Partial<UnpackLimits> = {};
  for (const key of Object.keys(UNPACK_CAPS) as (keyof UnpackLimits)[]) {
    const value = env[UNPACK_CAPS[key].env];
    if (value !== undefined && value !== '') limits[key] = parseByteSize(value, UNPACK_CAPS[key].env);
  }
  return limits;
}

/** The cap as a message shows it: `32 GiB (34359738368 bytes)`, `1000000 entries`. */
export function showCap(key: keyof UnpackLimits, value: number): string {
  if (!UNPACK_CAPS[key].bytes) return `${value}`;
  const human = formatByteSize(value);
  return human.endsWith(' bytes') ? human : `${human} (${value} bytes)`;
}

/** The error for a cap that was hit: names the cap, its value, and the flag or variable that raises it. */
export function capExceeded(key: keyof UnpackLimits, value: number, what: string, detail: string): KimgError {
  const cap = UNPACK_CAPS[key];
  const raise = cap.flag ? `${cap.flag} or ${cap.env}` : cap.env;
  return new KimgError(
    'SIZE_LIMIT',
    `${what}: ${detail}, over the ${cap.noun} cap of ${showCap(key, value)}`,
    `if the archive is genuine, raise the cap with ${raise}`,
  );
}
