import { digestOf } from '../digest';
import type { Descriptor, Platform } from '../manifest/descriptor';
import { MAX_MANIFEST_BYTES } from '../manifest/limits';
import { parseManifest } from '../manifest/parse';
import { formatPlatform } from '../manifest/platform';
import { choosePlatformChild } from '../image/image-view';
import { readBlob } from '../transport/read-blob';
import type { IoOptions, ReadOnlyTarget } from '../transport/types';

/**
 * Which platforms of a multi-platform image to copy (issue: transports and copy engine, "Platforms").
 * - `all`: the image as it is (default of copy, push, save).
 * - `platforms` with one platform and no keepIndex: that platform's image manifest alone, as skopeo and
 *   docker pull do (the default of pull is the host's platform).
 * - `platforms` with several: a new, filtered index (new digest, reported); strict registries accept it.
 * - `keepIndex`: the original index bytes (digest kept) with only the chosen children copied — a sparse index,
 *   which some registries refuse; both modes are explicit for that reason.
 */
export type PlatformChoice =
  { kind: 'all' } | { kind: 'platforms'; platforms: Platform[]; keepIndex?: boolean };

export interface SelectedImage {
  /** What to copy and tag. */
  root: Descriptor;
  /** Documents made here (a filtered index) that the source does not hold: digest → bytes. */
  synthesized: Map<string, Buffer>;
  /** Index children deliberately left out (keepIndex): the copy skips them and the destination accepts the gap. */
  omitted: Set<string>;
  /** Set when the result's digest differs from the source's, for the user. */
  note?: string;
}

const BUILDKIT_REFERENCE_ANNOTATION = 'vnd.docker.reference.digest';

export async function selectPlatforms(
  source: ReadOnlyTarget,
  root: Descriptor,
  choice: PlatformChoice,
  options?: IoOptions,
): Promise<SelectedImage> {
  const unchanged: SelectedImage = { root, synthesized: new Map(), omitted: new Set() };
  if (choice.kind === 'all') return unchanged;
  const bytes = await readBlob(source, root, MAX_MANIFEST_BYTES, options);
  const parsed = parseManifest(bytes, root.mediaType, `manifest ${root.digest} in ${source.description}`);
  // A single-platform image has nothing to choose from; like docker pull we copy it as it is.
  if (parsed.kind !== 'index') return unchanged;

  const children = parsed.index.manifests;
  const chosen = choice.platforms.map((wanted) =>
    choosePlatformChild(
      parsed.index,
      wanted,
      `${source.description}: ${root.digest}`,
      'choose one with --platform, or copy all with --all-platforms',
    ),
  );
  const keep = new Set<string>(chosen.map((child) => child.digest));
  // Attestation manifests (buildkit) point at the image they describe; they travel with it.
  for (const child of children) {
    const about = child.annotations?.[BUILDKIT_REFERENCE_ANNOTATION];
    if (about !== undefined && keep.has(about)) keep.add(child.digest);
  }
  if (choice.keepIndex) {
    const omitted = new Set<string>(children.filter((c) => !keep.has(c.digest)).map((c) => c.digest));
    return { root, synthesized: new Map(), omitted };
  }
  if (choice.platforms.length === 1 && chosen[0]) {
    const child = chosen[0];
    return {
      root: { mediaType: child.mediaType, digest: child.digest, size: child.size },
      synthesized: new Map(),
      omitted: new Set(),
      note: `copied the ${formatPlatform(choice.platforms[0] as Platform)} image ${child.digest} of index ${root.digest}`,
    };
  }
  // Keep every field of the original document (annotations, unknown extensions), only fewer children.
  const document = JSON.parse(bytes.toString('utf8')) as { manifests: Descriptor[] };
  document.manifests = document.manifests.filter((child) => keep.has(child.digest));
  const filtered = Buffer.from(JSON.stringify(document));
  const digest: string = digestOf(filtered);
  return {
    root: { mediaType: parsed.mediaType, digest, size: filtered.length },
    synthesized: new Map([[digest, filtered]]),
    omitted: new Set(),
    note: `wrote a filtered index ${digest} (${choice.platforms.map(formatPlatform).join(', ')}) in place of ${root.digest}`,
  };
}
