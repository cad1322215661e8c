// N images sharing one base layer plus one layer of their own, written into a registry storage (the CNCF
// registry's layout): the input of the serve and embed benchmarks (issue 10), cached while its parameters match.
import * as fs from 'fs';
import * as path from 'path';
import { capture } from './measure';
import { rmrf } from './paths';
import { writeLayerBlob, writeLayout, type LayoutEntry } from './random-image';

export interface SharedBaseSpec {
  /** Keystream seed of the layers (each benchmark its own, so their inputs differ). */
  seed: string;
  images: number;
  baseMiB: number;
  ownMiB: number;
}

export interface SharedBaseImages {
  /** Per image (1-based order), its manifest digest. */
  entries: LayoutEntry[];
  /** Sum of the distinct blob sizes (the base layer counted once), bytes. */
  blobBytes: number;
}

/** The repository image I is stored under (tag `1`). */
export const sharedBaseRepo = (i: number) => `bench/img-${i}`;

/** The saved input of `dir` when its stamp has exactly `params`, else null (to be made again). */
export function reuseInput<T>(dir: string, params: unknown): T | null {
  const stamp = path.join(dir, 'input.json');
  if (!fs.existsSync(stamp)) return null;
  const saved = JSON.parse(fs.readFileSync(stamp, 'utf8')) as { params: unknown; value: T };
  if (JSON.stringify(saved.params) !== JSON.stringify(params)) return null;
  console.log(`inputs: reusing ${dir} (--regen to rebuild)`);
  return saved.value;
}

/** Records `value` as the input made in `dir` for `params` (read back by reuseInput). */
export function saveInput(dir: string, params: unknown, value: unknown): void {
  fs.writeFileSync(path.join(dir, 'input.json'), JSON.stringify({ params, value }, null, 2));
}

/**
 * Writes the images (gzip, 25 % text) as an OCI layout in `scratch`, then `kimg copy oci:… registry-dir:STORAGE:
 * bench/img-I:1` for each; the layout and kimg's store are deleted afterwards.
 */
export async function writeSharedBaseStorage(
  kimg: string,
  spec: SharedBaseSpec,
  storage: string,
  scratch: string,
): Promise<SharedBaseImages> {
  console.log(
    `inputs: ${spec.images} images, ${spec.baseMiB} MiB shared + ${spec.ownMiB} MiB own layer each …`,
  );
  const layout = path.join(scratch, 'layout');
  const blobDir = path.join(layout, 'blobs', 'sha256');
  fs.mkdirSync(blobDir, { recursive: true });
  const layer = (index: number, mib: number) =>
    writeLayerBlob(blobDir, { seed: spec.seed, index, bytes: mib * 2 ** 20, textFraction: 0.25 });
  const base = await layer(0, spec.baseMiB);
  let blobBytes = base.size;
  const images = [];
  for (let i = 1; i <= spec.images; i++) {
    const own = await layer(i, spec.ownMiB);
    blobBytes += own.size;
    images.push({ ref: `img-${i}`, layers: [base, own], label: `${spec.seed}-${i}` });
  }
  const entries = writeLayout(layout, images);
  const root = path.join(scratch, 'kimg-copy-root');
  for (let i = 1; i <= spec.images; i++) {
    const dest = `registry-dir:${storage}:${sharedBaseRepo(i)}:1`;
    await capture(kimg, ['--root', root, '--quiet', 'copy', `oci:${layout}:img-${i}`, dest]);
  }
  rmrf(layout);
  rmrf(root);
  return { entries, blobBytes };
}
