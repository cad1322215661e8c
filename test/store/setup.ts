import { join } from 'node:path';
import { writeRandomImage, type FixtureImage, type RandomImageOptions } from '../fixtures/random-image';
import { makeTempDir } from '../harness';
import { openOciLayout } from '../../src/transport/oci-layout';
import type { Target } from '../../src/transport/types';

export interface SourceImage {
  fixture: FixtureImage;
  source: Target;
  dir: string;
}

/** A random image in its own OCI layout, opened as a copy source. */
export async function sourceImage(options: RandomImageOptions = {}): Promise<SourceImage> {
  const dir = join(await makeTempDir('kimg-store-src-'), 'layout');
  const fixture = await writeRandomImage(dir, { ref: 'src', ...options });
  return { fixture, source: openOciLayout(dir), dir };
}
