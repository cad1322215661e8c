import { join } from 'node:path';
import { KimgError } from '../errors';
import { assertWritableInside, readBoundedFile } from '../fs';
import { memo, zod } from '../lazy/lazy';
import { parseBoundedJson } from '../manifest';
import { createFileIfAbsent, makeDirectory } from '../fs/atomic-file';
import { emptyIndex } from './index-file';
import type { LayoutPaths } from './paths';

/** image-spec image-layout.md "oci-layout file": the only version defined is 1.0.0. */
export const IMAGE_LAYOUT_VERSION = '1.0.0';

const layoutFileSchema = memo(() => zod().looseObject({ imageLayoutVersion: zod().string() }));

/** The `oci-layout` file holds one short JSON object; anything much bigger is not one. */
const MAX_LAYOUT_FILE_BYTES = 4096;

/**
 * Refuses a directory whose oci-layout file declares a version we do not know (reads and writes alike). The file
 * must be a regular file inside the layout (fs/: no device, FIFO or symlink out) of at most 4 KiB.
 */
export async function checkLayoutFile(paths: LayoutPaths): Promise<void> {
  let text: string;
  try {
    text = (
      await readBoundedFile(paths.layoutFile, {
        what: 'oci-layout',
        within: paths.root,
        limit: MAX_LAYOUT_FILE_BYTES,
        limitHint: `the oci-layout file is one small JSON object (image-spec image-layout.md); check that ${paths.root} is an OCI layout`,
      })
    ).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  let version: string | undefined;
  try {
    const json = parseBoundedJson(text, {
      what: paths.layoutFile,
      maxBytes: MAX_LAYOUT_FILE_BYTES,
      invalid: (message) => new KimgError('LAYOUT_INVALID', message),
    });
    const parsed = layoutFileSchema().safeParse(json);
    version = parsed.success ? parsed.data.imageLayoutVersion : undefined;
  } catch {
    version = undefined;
  }
  if (version !== IMAGE_LAYOUT_VERSION) {
    throw new KimgError(
      'LAYOUT_INVALID',
      `${paths.layoutFile}: unsupported or unreadable imageLayoutVersion ${JSON.stringify(version ?? text.slice(0, 80))}`,
      `kimg reads OCI image layouts of version ${IMAGE_LAYOUT_VERSION}; check that ${paths.root} is an OCI layout`,
    );
  }
}

/**
 * Refuses a layout whose folders lead outside it before the first write (fs/confine.ts): `.kimg/` (staging,
 * lock) and `blobs/<alg>/` for the algorithms image-spec registers, so a destination whose `blobs/sha256` is a
 * symlink to another folder is refused before anything is staged, not half-way through a commit.
 */
export async function assertLayoutWritable(paths: LayoutPaths): Promise<void> {
  const where = `the layout ${paths.root}`;
  for (const file of [
    join(paths.ingestDir, 'x'),
    paths.lockFile,
    join(paths.blobsDir, 'sha256', 'x'),
    join(paths.blobsDir, 'sha512', 'x'),
  ])
    await assertWritableInside(paths.root, file, where);
}

/**
 * Makes `root` a layout if it is not one yet. Called on the first write only: read-only operations on an absent
 * store must not create it. Each file appears atomically, index.json before oci-layout, so a killed process
 * leaves either no layout or a complete empty one.
 */
export async function ensureLayout(paths: LayoutPaths): Promise<void> {
  await makeDirectory(paths.blobsDir);
  await createFileIfAbsent(paths.indexFile, JSON.stringify(emptyIndex()));
  await createFileIfAbsent(paths.layoutFile, JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION }));
  await checkLayoutFile(paths);
}
