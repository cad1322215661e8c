import type { z } from 'zod';
import { KimgError } from '../errors';
import { readBoundedFile } from '../fs';
import { defineLazyExports, zod } from '../lazy/lazy';
import {
  descriptorSchema,
  MAX_METADATA_BYTES,
  MediaType,
  parseBoundedJson,
  REF_NAME_ANNOTATION,
} from '../manifest';
import { writeFileAtomic } from '../fs/atomic-file';
import type { LayoutPaths } from './paths';

/**
 * index.json of an OCI layout (image-spec image-layout.md "index.json file": an image index). looseObject keeps
 * fields and annotations we do not model, so rewriting the file after a tag loses nothing another tool put there.
 */
function buildIndexFileSchema() {
  const z = zod();
  return {
    indexFileSchema: z.looseObject({
      schemaVersion: z.literal(2),
      mediaType: z.string().optional(),
      manifests: z.array(descriptorSchema),
      annotations: z.record(z.string(), z.string()).optional(),
    }),
  };
}

/** Built (and zod loaded) on first read, not at module load: see ../lazy/lazy.ts. */
export declare const indexFileSchema: ReturnType<typeof buildIndexFileSchema>['indexFileSchema'];
defineLazyExports(exports, ['indexFileSchema'], buildIndexFileSchema);

export type IndexFile = z.infer<typeof indexFileSchema>;
export type IndexEntry = IndexFile['manifests'][number];

export function emptyIndex(): IndexFile {
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
}

export function entryName(entry: IndexEntry): string | undefined {
  return entry.annotations?.[REF_NAME_ANNOTATION];
}

/**
 * The layout's index, or undefined when there is no index.json yet (a store nobody has written to). It must be
 * a regular file inside the layout (fs/: no device, FIFO or symlink out) of at most MAX_METADATA_BYTES.
 */
export async function readIndexFile(paths: LayoutPaths): Promise<IndexFile | undefined> {
  const file = paths.indexFile;
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(file, {
      what: 'index.json',
      within: paths.root,
      limit: MAX_METADATA_BYTES,
      limitHint: `an index this large is not one kimg or skopeo wrote; ${INVALID_HINT}`,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const json = parseBoundedJson(bytes, {
    what: file,
    maxBytes: MAX_METADATA_BYTES,
    invalid: (message, cause) => new KimgError('INDEX_INVALID', message, INVALID_HINT, { cause }),
  });
  const result = indexFileSchema.safeParse(json);
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first
      ? `${first.path.map(String).join('.') || '(root)'}: ${first.message}`
      : 'unknown problem';
    throw invalid(file, `it is not a valid image index (${where})`);
  }
  return result.data;
}

/** Callers hold the layout lock: the write is atomic, the lock makes read-modify-write safe. */
export async function writeIndexFile(paths: LayoutPaths, index: IndexFile): Promise<void> {
  await writeFileAtomic(paths.indexFile, JSON.stringify(index));
}

const INVALID_HINT =
  'kimg does not rewrite an index it cannot read, so nothing was changed; restore the file from a backup or repair it by hand';

function invalid(file: string, why: string, cause?: unknown): KimgError {
  return new KimgError('INDEX_INVALID', `${file}: ${why}`, INVALID_HINT, { cause });
}
