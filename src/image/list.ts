import type { IoOptions, ReadOnlyTarget } from '../transport/types';
import { inspectImage } from './inspect';

export interface ImageListEntry {
  name?: string;
  digest: string;
  mediaType: string;
  size: number;
  created?: string;
  platforms: string[];
}

/** One row per name (an image with two names is listed twice, as `docker images` does), untagged ones too. */
export async function listImages(target: ReadOnlyTarget, options?: IoOptions): Promise<ImageListEntry[]> {
  const images = await target.list(options);
  const summaries = new Map<string, ReturnType<typeof inspectImage>>();
  const rows: ImageListEntry[] = [];
  for (const image of images) {
    const digest = image.descriptor.digest;
    let summary = summaries.get(digest);
    if (!summary) {
      summary = inspectImage(target, image.descriptor, options);
      summaries.set(digest, summary);
    }
    const { size, created, platforms, mediaType } = await summary;
    rows.push({
      ...(image.name !== undefined && { name: image.name }),
      digest,
      mediaType,
      size,
      ...(created !== undefined && { created }),
      platforms,
    });
  }
  return rows.sort(
    (a, b) => (a.name ?? '\uffff').localeCompare(b.name ?? '\uffff') || a.digest.localeCompare(b.digest),
  );
}
