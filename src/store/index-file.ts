import { promises as fs } from 'node:fs';
import type { z } from 'zod';
import { KimgError } from '../errors';
import { defineLazyExports, zod } from '../lazy/lazy';
import { descriptorSchema, MAX_METADATA_BYTES, MediaType, REF_NAME_ANNOTATION } from '../manifest';
import { writeFileAtomic } from './fs-atomic';
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

/** The layout's index, or undefined when there is no index.json yet (a store nobody has written to). */
export async function readIndexFile(paths: LayoutPaths): Promise<IndexFile | undefined> {
  const file = paths.indexFile;
  let bytes: Buffer;
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_METADATA_BYTES) {
      throw invalid(file, `it is ${stat.size} bytes, over the ${MAX_METADATA_BYTES}-byte limit`);
    }
    bytes = await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid(file, `it is not valid JSON (${(err as Error).message})`, err);
  }
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

function invalid(file: string, why: string, cause?: unknown): KimgError {
  return new KimgError(
    'INDEX_INVALID',
    `${file}: ${why}`,
    'kimg does not rewrite an index it cannot read, so nothing was changed; restore the file from a backup or repair it by hand',
    { cause },
  );
}
