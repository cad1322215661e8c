import { Readable } from 'node:stream';
import { copyFromTarget } from '../../copy/copy-image';
import { digestOf } from '../../digest';
import { canonicalJson } from '../../manifest/canonical-json';
import type { Descriptor, Platform } from '../../manifest/descriptor';
import { MediaType } from '../../manifest/media-types';
import {
  formatImageLocation,
  formatReference,
  parseImageLocation,
  type ImageLocation,
} from '../../reference';
import type { OpenContext } from '../../transport/open';
import type { ReadOnlyTarget, Target } from '../../transport/types';
import { assembleImage } from '../image/assemble';
import type { StageImage } from '../image/stage-image';

/** `--label` and `--type` go on the final image only, after every instruction (as buildah's `--label`). */
export function withLabels(image: StageImage, labels: Record<string, string>): StageImage {
  if (Object.keys(labels).length === 0) return image;
  const current = (image.runConfig.Labels as Record<string, string> | undefined) ?? {};
  return { ...image, runConfig: { ...image.runConfig, Labels: { ...current, ...labels } } };
}

/** Config + manifest of one platform, pushed into the build's transaction. */
export async function storeImage(
  store: Target,
  image: StageImage,
  created: string,
): Promise<{ manifest: Descriptor; config: Descriptor }> {
  const assembled = assembleImage(image, created);
  await store.push(assembled.config.descriptor, Readable.from([assembled.config.bytes]));
  await store.push(assembled.manifest.descriptor, Readable.from([assembled.manifest.bytes]));
  return { manifest: assembled.manifest.descriptor, config: assembled.config.descriptor };
}

/** Several platforms: one OCI index (canonical JSON, platforms in the order asked), pushed like the rest. */
export async function storeIndex(
  store: Target,
  manifests: readonly { manifest: Descriptor; platform: Platform }[],
): Promise<Descriptor> {
  const bytes = canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: manifests.map(({ manifest, platform }) => ({ ...manifest, platform: { ...platform } })),
  });
  const descriptor: Descriptor = {
    mediaType: MediaType.OciIndex,
    digest: digestOf(bytes),
    size: bytes.length,
  };
  await store.push(descriptor, Readable.from([bytes]));
  return descriptor;
}

/**
 * `--push` (each tag to the registry its name says) and `--output oci:DIR|oci-archive:FILE|…`: the built image
 * copied from the store by the copy engine, one transaction per destination.
 */
export async function publish(
  store: ReadOnlyTarget,
  root: Descriptor,
  destinations: readonly string[],
  open: OpenContext,
  signal?: AbortSignal,
): Promise<string[]> {
  const written: string[] = [];
  for (const text of destinations) {
    const location = parseImageLocation(text);
    // Named as the destination says (copyImage's default): the tag of docker://, the REF of oci:DIR:REF.
    await copyFromTarget(store, { descriptor: root }, location, { open, ...(signal && { signal }) });
    written.push(formatImageLocation(location));
  }
  return written;
}

/** `--push`: the registry of each tag (`docker://NAME`). */
export function pushDestinations(tags: readonly string[]): string[] {
  return tags.map((tag) => {
    const location: ImageLocation = parseImageLocation(tag);
    return 'reference' in location && location.transport === 'store'
      ? `docker://${formatReference(location.reference)}`
      : tag;
  });
}
