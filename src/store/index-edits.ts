import { CONTAINERD_IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION, type Descriptor } from '../manifest';
import { entryName, type IndexEntry, type IndexFile } from './index-file';

/** One tag (`name` set) or untagged root to record, as commit receives them. */
export interface IndexRoot {
  name?: string;
  desc: Descriptor;
}

/**
 * Pure edits of index.json, applied under the lock to a freshly read index. Policy (like docker and podman):
 * a name belongs to one entry; moving a name to another image leaves the old image behind as an untagged
 * ("dangling") entry if no other entry holds it, so its blobs survive until `rmi` or `prune` removes it.
 * Entries other tools wrote keep every field and annotation; we only add or remove ref.name.
 *
 * `applyRoots` records a whole transaction's tags in one pass: each tag is a few map lookups, so loading an
 * archive with 10,000 RepoTags is linear (one array rebuild per tag made it quadratic: 10,000 names, 30 s).
 */
export function applyRoots(index: IndexFile, roots: readonly IndexRoot[]): IndexFile {
  const editor = new IndexEditor(index.manifests);
  let changed = false;
  for (const { name, desc } of roots) {
    if (name === undefined) changed = editor.addUntagged(desc) || changed;
    else {
      editor.tag(desc, name);
      changed = true;
    }
  }
  return changed ? { ...index, manifests: editor.result() } : index;
}

export function applyTag(index: IndexFile, desc: Descriptor, name: string): IndexFile {
  return applyRoots(index, [{ name, desc }]);
}

/** Records `desc` as an untagged root unless the index already holds an entry (named or not) for it. */
export function applyUntagged(index: IndexFile, desc: Descriptor): IndexFile {
  return applyRoots(index, [{ desc }]);
}

/** Removes `name`; its entry stays as an untagged entry if it was the only one for that digest. */
export function untagName(index: IndexFile, name: string): IndexFile {
  const editor = new IndexEditor(index.manifests);
  editor.removeName(name, undefined);
  return { ...index, manifests: editor.result() };
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

/**
 * The index's entries in order, with positions by name, by digest and (untagged) by digest, so that tagging is
 * O(1) map work instead of a scan. Removed entries leave a hole until `result()`.
 */
class IndexEditor {
  private readonly entries: (IndexEntry | undefined)[];
  private readonly byName = new Map<string, Set<number>>();
  private readonly byDigest = new Map<string, Set<number>>();
  private readonly untaggedByDigest = new Map<string, Set<number>>();

  constructor(entries: readonly IndexEntry[]) {
    this.entries = [...entries];
    this.entries.forEach((entry, position) => entry && this.index(position, entry));
  }

  /** Gives `name` to `desc`: kept if already there, else moved (a dangling entry of `desc` is reused). */
  tag(desc: Descriptor, name: string): void {
    const named = [...(this.byName.get(name) ?? [])].filter((p) => this.entries[p]?.digest === desc.digest);
    const already = lowest(new Set(named));
    this.removeName(name, already);
    if (already !== undefined) return;
    const dangling = lowest(this.untaggedByDigest.get(desc.digest));
    const target = dangling === undefined ? undefined : this.entries[dangling];
    if (dangling !== undefined && target) this.replace(dangling, withName(target, name));
    else this.append(withName(entryFor(desc), name));
  }

  /** False when an entry (named or not) already holds `desc`. */
  addUntagged(desc: Descriptor): boolean {
    if ((this.byDigest.get(desc.digest)?.size ?? 0) > 0) return false;
    this.append(entryFor(desc));
    return true;
  }

  /**
   * Takes `name` from every entry but `keep`; an entry losing it stays as an untagged entry when nothing else
   * holds its digest (another entry, or one this removal already left untagged).
   */
  removeName(name: string, keep: number | undefined): void {
    for (const position of [...(this.byName.get(name) ?? [])].sort((a, b) => a - b)) {
      const entry = this.entries[position];
      if (position === keep || !entry) continue;
      const holders = this.byDigest.get(entry.digest) ?? new Set<number>();
      let heldElsewhere = false;
      for (const other of holders) {
        if (other === position) continue;
        if (other === keep || entryName(this.entries[other] as IndexEntry) !== name) {
          heldElsewhere = true;
          break;
        }
      }
      if (heldElsewhere) this.remove(position);
      else this.replace(position, withoutName(entry));
    }
  }

  result(): IndexEntry[] {
    return this.entries.filter((entry): entry is IndexEntry => entry !== undefined);
  }

  private append(entry: IndexEntry): void {
    this.entries.push(entry);
    this.index(this.entries.length - 1, entry);
  }

  private replace(position: number, entry: IndexEntry): void {
    this.remove(position);
    this.entries[position] = entry;
    this.index(position, entry);
  }

  private remove(position: number): void {
    const entry = this.entries[position];
    if (!entry) return;
    const name = entryName(entry);
    if (name !== undefined) this.byName.get(name)?.delete(position);
    else this.untaggedByDigest.get(entry.digest)?.delete(position);
    this.byDigest.get(entry.digest)?.delete(position);
    this.entries[position] = undefined;
  }

  private index(position: number, entry: IndexEntry): void {
    const name = entryName(entry);
    if (name !== undefined) addTo(this.byName, name, position);
    else addTo(this.untaggedByDigest, entry.digest, position);
    addTo(this.byDigest, entry.digest, position);
  }
}

function addTo(map: Map<string, Set<number>>, key: string, position: number): void {
  const set = map.get(key);
  if (set) set.add(position);
  else map.set(key, new Set([position]));
}

function lowest(positions: ReadonlySet<number> | undefined): number | undefined {
  let min: number | undefined;
  for (const p of positions ?? []) if (min === undefined || p < min) min = p;
  return min;
}
