import { CONTAINERD_IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION, type Descriptor } from '../manifest';
import { entryName, type IndexEntry, type IndexFile } from './index-file';

/**
 * Pure edits of index.json, applied under the lock to a freshly read index. Policy (like docker and podman):
 * a name belongs to one entry; moving a name to another image leaves the old image behind as an untagged
 * ("dangling") entry if no other entry holds it, so its blobs survive until `rmi` or `prune` removes it.
 * Entries other tools wrote keep every field and annotation; we only add or remove ref.name.
 */
export function applyTag(index: IndexFile, desc: Descriptor, name: string): IndexFile {
  const already = index.manifests.find((e) => entryName(e) === name && e.digest === desc.digest);
  let manifests = removeName(index.manifests, name, already);
  if (!already) {
    const dangling = manifests.findIndex((e) => e.digest === desc.digest && entryName(e) === undefined);
    const target = manifests[dangling];
    if (target) {
      manifests = manifests.map((e, i) => (i === dangling ? withName(target, name) : e));
    } else {
      manifests = [...manifests, withName(entryFor(desc), name)];
    }
  }
  return { ...index, manifests };
}

/** Records `desc` as an untagged root unless the index already holds an entry (named or not) for it. */
export function applyUntagged(index: IndexFile, desc: Descriptor): IndexFile {
  if (index.manifests.some((e) => e.digest === desc.digest)) return index;
  return { ...index, manifests: [...index.manifests, entryFor(desc)] };
}

/** Removes `name`; its entry stays as an untagged entry if it was the only one for that digest. */
export function untagName(index: IndexFile, name: string): IndexFile {
  return { ...index, manifests: removeName(index.manifests, name, undefined) };
}

/** Removes every entry (named or not) of `digest`: `rmi` of the image itself. */
export function removeDigest(index: IndexFile, digest: string): IndexFile {
  return { ...index, manifests: index.manifests.filter((e) => e.digest !== digest) };
}

export function removeUntagged(index: IndexFile): IndexFile {
  return { ...index, manifests: index.manifests.filter((e) => entryName(e) !== undefined) };
}

/** The descriptor callers see: naming annotations belong to the entry, not to the image it points at. */
export function descriptorOf(entry: IndexEntry): Descriptor {
  return withoutName(entry);
}

function removeName(entries: IndexEntry[], name: string, keep: IndexEntry | undefined): IndexEntry[] {
  const result: IndexEntry[] = [];
  for (const entry of entries) {
    if (entryName(entry) !== name || entry === keep) {
      result.push(entry);
      continue;
    }
    const survivors = entries.filter(
      (e) => e !== entry && e.digest === entry.digest && (entryName(e) !== name || e === keep),
    );
    const othersHoldDigest = survivors.length > 0;
    if (!othersHoldDigest && !result.some((e) => e.digest === entry.digest)) result.push(withoutName(entry));
  }
  return result;
}

function withName(entry: IndexEntry, name: string): IndexEntry {
  return { ...entry, annotations: { ...entry.annotations, [REF_NAME_ANNOTATION]: name } };
}

function withoutName(entry: IndexEntry): IndexEntry {
  const { [REF_NAME_ANNOTATION]: _name, ...annotations } = entry.annotations ?? {};
  const { annotations: _all, ...rest } = entry;
  return Object.keys(annotations).length > 0 ? { ...rest, annotations } : rest;
}

/** A new index entry for `desc`; a name another place gave it (its own ref.name, containerd's name) is dropped. */
function entryFor(desc: Descriptor): IndexEntry {
  const {
    [REF_NAME_ANNOTATION]: _ref,
    [CONTAINERD_IMAGE_NAME_ANNOTATION]: _ctr,
    ...annotations
  } = desc.annotations ?? {};
  // Descriptor is an interface (no index signature) and its digest a plain string; the zod entry type wants
  // both, and the digest was parsed by VerifyingStream before the blob could be staged. Hence the cast.
  return {
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    ...(desc.platform ? { platform: desc.platform } : {}),
    ...(desc.artifactType ? { artifactType: desc.artifactType } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  } as IndexEntry;
}
