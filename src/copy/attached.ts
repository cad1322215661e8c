import { encodedPart } from '../digest';
import { KimgError } from '../errors';
import type { Descriptor } from '../manifest/descriptor';
import { MAX_MANIFEST_BYTES } from '../manifest/limits';
import { isIndexMediaType } from '../manifest/media-types';
import { manifestChildren, parseManifest } from '../manifest/parse';
import { formatReference, parseReference } from '../reference';
import { canListReferrers, canListTags } from '../transport/capabilities';
import { readBlob } from '../transport/read-blob';
import type { ReadOnlyTarget, Target } from '../transport/types';
import type { GraphCopier } from './copy-graph';

/** What to copy along with an image (issue 4 §5). */
export interface AttachedOptions {
  /** `--referrers`: every manifest whose `subject` is a copied manifest (OCI 1.1 referrers API or tag fallback). */
  referrers?: boolean;
  /** `--digest-tags`: cosign's `sha256-<hex>.sig`, `.att` and `.sbom` tags of the copied manifests. */
  digestTags?: boolean;
  signal?: AbortSignal;
}

export interface AttachedEnds {
  /** The real source: its referrers and tags are listed. */
  source: ReadOnlyTarget;
  /** The source plus documents made during the copy (a filtered index): where `root` is read. */
  reader: ReadOnlyTarget;
  destination: Target;
  copier: GraphCopier;
}

/** The suffixes cosign gives the tags it attaches to `sha256-<hex>` (sigstore/cosign pkg/oci/remote). */
export const DIGEST_TAG_SUFFIXES: readonly string[] = ['sig', 'att', 'sbom'];

/**
 * Copies what is attached to the image `root` (already copied): referrers, recursively (a signature of an SBOM
 * is a referrer of a referrer), and cosign digest tags. A referrer is pushed by digest with its `subject` kept
 * byte for byte, so the destination indexes it (referrers API) or the registry client adds it to the fallback
 * tag; it is recorded untagged so stores and layouts keep it. Returns how many artifacts were copied.
 */
export async function copyAttached(
  ends: AttachedEnds,
  root: Descriptor,
  names: readonly string[],
  options: AttachedOptions & { omitted?: ReadonlySet<string> },
): Promise<number> {
  const { source, destination, copier } = ends;
  const { signal } = options;
  const subjects = (await copiedManifests(ends.reader, root, signal)).filter(
    (s) => !options.omitted?.has(s.digest),
  );
  let count = 0;
  if (options.referrers) {
    if (!canListReferrers(source)) throw unsupported(source, '--referrers');
    const seen = new Set(subjects.map((s) => s.digest));
    for (let queue = [...subjects]; queue.length > 0;) {
      const subject = queue.shift() as Descriptor;
      for (const referrer of await source.referrers(subject, { signal })) {
        if (seen.has(referrer.digest)) continue;
        seen.add(referrer.digest);
        await copier.copy(referrer);
        await destination.tag(referrer, undefined, { signal });
        queue.push(referrer);
        count++;
      }
    }
  }
  if (options.digestTags) {
    if (!canListTags(source)) throw unsupported(source, '--digest-tags');
    const wanted = new Set(
      subjects.flatMap((s) =>
        DIGEST_TAG_SUFFIXES.map((suffix) => `sha256-${encodedPart(s.digest)}.${suffix}`),
      ),
    );
    for (const tag of (await source.tags({ signal })).filter((t) => wanted.has(t))) {
      const desc = await source.resolve(tag, { signal });
      await copier.copy(desc);
      await destination.tag(desc, siblingName(names[0], tag), { signal });
      count++;
    }
  }
  return count;
}

/** The root and, for an index, the children it names (the manifests something may be attached to). */
async function copiedManifests(
  source: ReadOnlyTarget,
  root: Descriptor,
  signal?: AbortSignal,
): Promise<Descriptor[]> {
  if (!isIndexMediaType(root.mediaType)) return [root];
  const bytes = await readBlob(source, root, MAX_MANIFEST_BYTES, { signal });
  return [root, ...manifestChildren(parseManifest(bytes, root.mediaType, `index ${root.digest}`))];
}

/** `host/app:1` + `sha256-….sig` → `host/app:sha256-….sig`; a bare ref (`oci:DIR:REF`) becomes the tag itself. */
function siblingName(name: string | undefined, tag: string): string {
  if (name === undefined || !/[/:@]/.test(name)) return tag;
  const { digest: _digest, ...reference } = parseReference(name);
  return formatReference({ ...reference, tag });
}

function unsupported(source: ReadOnlyTarget, flag: string): KimgError {
  return new KimgError(
    'UNSUPPORTED',
    `${flag}: ${source.description} cannot list what is attached to an image`,
    `${flag} works when the source is a registry (docker://)`,
  );
}
