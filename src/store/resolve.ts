import { isDigest } from '../digest';
import { isKimgError, KimgError } from '../errors';
import { entryName, type IndexEntry, type IndexFile } from './index-file';
import type { NamePolicy } from './name-policy';

export interface Resolved {
  digest: string;
  /** Every index entry of that digest (an image with several names has one entry per name). */
  entries: IndexEntry[];
  /** Set when `ref` matched a name: the normalized name. */
  name?: string;
}

/** Docker accepts image IDs abbreviated to any unique prefix; fewer than 4 digits is almost never unique. */
export const MIN_ID_PREFIX = 4;
const ID_PREFIX_PATTERN = new RegExp(`^[a-f0-9]{${MIN_ID_PREFIX},128}$`);

/**
 * Finds the image `ref` names in `index`, in docker's order: a name, then a full digest, then a unique prefix of
 * a manifest digest's hex. `ref` undefined means "the only image". Pure, so the store and tests share it.
 */
export function resolveIn(
  index: IndexFile,
  ref: string | undefined,
  policy: NamePolicy,
  where: string,
): Resolved {
  const entries = index.manifests;
  if (ref === undefined) return only(entries, where);
  let name: string | undefined;
  let nameError: unknown;
  try {
    name = policy.normalize(ref);
  } catch (err) {
    if (!isKimgError(err, 'INVALID_REFERENCE')) throw err;
    nameError = err;
  }
  const named = name === undefined ? undefined : entries.find((e) => entryName(e) === name);
  if (named && name !== undefined)
    return { digest: named.digest, entries: ofDigest(entries, named.digest), name };
  if (isDigest(ref)) {
    const byDigest = ofDigest(entries, ref);
    if (byDigest.length > 0) return { digest: ref, entries: byDigest };
  } else if (policy.idPrefixes && ID_PREFIX_PATTERN.test(ref)) {
    const digests = distinctDigests(
      entries.filter((e) => e.digest.slice(e.digest.indexOf(':') + 1).startsWith(ref)),
    );
    const [first, second] = digests;
    if (first && second) {
      throw new KimgError(
        'AMBIGUOUS_IMAGE',
        `"${ref}" matches several images in ${where}: ${digests.join(', ')}`,
        'give more digits of the ID',
      );
    }
    if (first) return { digest: first, entries: ofDigest(entries, first) };
  }
  if (nameError) throw nameError;
  throw new KimgError('IMAGE_NOT_FOUND', `no image "${name ?? ref}" in ${where}`, policy.listHint);
}

function only(entries: IndexEntry[], where: string): Resolved {
  const digests = distinctDigests(entries);
  const [first, second] = digests;
  if (!first)
    throw new KimgError('IMAGE_NOT_FOUND', `${where} holds no image`, 'copy an image into it first');
  if (second) {
    const names = entries.map((e) => entryName(e) ?? e.digest);
    throw new KimgError(
      'AMBIGUOUS_IMAGE',
      `${where} holds ${digests.length} images; say which one`,
      `one of: ${names.join(', ')}`,
    );
  }
  return { digest: first, entries: ofDigest(entries, first) };
}

function ofDigest(entries: IndexEntry[], digest: string): IndexEntry[] {
  return entries.filter((e) => e.digest === digest);
}

function distinctDigests(entries: IndexEntry[]): string[] {
  return [...new Set(entries.map((e) => e.digest))];
}
