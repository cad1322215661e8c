import { digestOf, isDigest } from '../../digest';
import { MAX_MANIFEST_BYTES } from '../../manifest';
import { PATH_COMPONENT_PATTERN, TAG_PATTERN } from '../../reference';
import { RegistryDirPaths } from '../../transport/registry-dir';
import { MAX_LINK_BYTES } from '../../transport/registry-dir/links';
import { manifestFacts, type ManifestFacts } from './manifest-media-type';
import type { RegistryStorage, StorageFile } from './storage';

/** A manifest read from the storage, checked against its digest. */
export interface StoredManifest {
  digest: string;
  bytes: Buffer;
  facts: ManifestFacts;
}

/** Bounds the catalog walk of a storage that lies (a directory tree as deep as the file system allows). */
export const MAX_REPOSITORY_DEPTH = 32;
/** A referrers answer reads every manifest of the repository once (then remembers the facts by digest). */
const MAX_REMEMBERED_MANIFESTS = 100_000;

export class StoredManifestInvalid extends Error {}

/**
 * The CNCF registry's read semantics over a `RegistryStorage` (distribution registry/storage: linkedblobstore.go,
 * tagstore.go, catalog.go): a repository exists when it has `_manifests`; a tag is its `current/link`; a manifest
 * is served from a repository only through a revision link, and a blob only through a `_layers` link or a
 * revision link — a digest stored for another repository is not this repository's. Every link is read capped
 * (`MAX_LINK_BYTES`) and must hold exactly the digest its path names.
 */
export class RegistryView {
  private readonly paths = new RegistryDirPaths('');
  private readonly remembered = new Map<string, ManifestFacts>();

  constructor(readonly storage: RegistryStorage) {}

  async repositoryExists(name: string): Promise<boolean> {
    const entries = await this.storage.list(this.paths.repository(name));
    return entries?.some((entry) => entry.name === '_manifests' && entry.type === 'directory') ?? false;
  }

  /** The digest a tag's `current/link` names. */
  tagDigest(name: string, tag: string): Promise<string | undefined> {
    return this.readLink(this.paths.tagCurrentLink(name, tag));
  }

  /** The manifest `digest` of repository `name`, when a revision link says it is there. */
  async manifest(name: string, digest: string): Promise<StoredManifest | undefined> {
    if ((await this.readLink(this.paths.revisionLink(name, digest))) !== digest) return undefined;
    return this.readManifest(digest);
  }

  /** The blob `digest` opened, when repository `name` links it (as a layer or config, or as a manifest). */
  async openBlob(name: string, digest: string): Promise<StorageFile | undefined> {
    const linked =
      (await this.readLink(this.paths.layerLink(name, digest))) === digest ||
      (await this.readLink(this.paths.revisionLink(name, digest))) === digest;
    return linked ? this.storage.open(this.paths.blobData(digest)) : undefined;
  }

  /** Tags with a `current/link`, sorted as the registry sorts them (byte order). */
  async tags(name: string): Promise<string[]> {
    const tagsDir = this.paths.tags(name);
    const entries = (await this.storage.list(tagsDir)) ?? [];
    const tags: string[] = [];
    for (const entry of entries) {
      if (entry.type !== 'directory' || !TAG_PATTERN.test(entry.name)) continue;
      const current = await this.storage.list(`${tagsDir}/${entry.name}/current`);
      if (current?.some((file) => file.name === 'link' && file.type === 'file')) tags.push(entry.name);
    }
    return tags.sort(byteOrder);
  }

  /**
   * Every repository, sorted: a directory with `_manifests` is one (catalog.go walks the same tree; it never
   * descends into `_` directories, which are the registry's own). Names that the distribution grammar refuses are
   * skipped, so every name listed can be asked for.
   */
  async repositories(): Promise<string[]> {
    const found: string[] = [];
    const walk = async (prefix: string[]): Promise<void> => {
      const dir = prefix.length === 0 ? this.paths.repositories : this.paths.repository(prefix.join('/'));
      const entries = (await this.storage.list(dir)) ?? [];
      if (prefix.length > 0 && entries.some((entry) => entry.name === '_manifests'))
        found.push(prefix.join('/'));
      if (prefix.length >= MAX_REPOSITORY_DEPTH) return;
      for (const entry of entries.sort((a, b) => byteOrder(a.name, b.name))) {
        if (entry.type === 'directory' && PATH_COMPONENT_PATTERN.test(entry.name))
          await walk([...prefix, entry.name]);
      }
    };
    await walk([]);
    return found.sort(byteOrder);
  }

  /** The manifests of repository `name` whose `subject` is `digest` (image-spec 1.1 referrers). */
  async referrers(name: string, digest: string): Promise<StoredManifest[]> {
    const revisions = `${this.paths.repository(name)}/_manifests/revisions/sha256`;
    const found: StoredManifest[] = [];
    for (const entry of (await this.storage.list(revisions)) ?? []) {
      const candidate = `sha256:${entry.name}`;
      if (entry.type !== 'directory' || !isDigest(candidate)) continue;
      const known = this.remembered.get(candidate);
      if (known && known.subject !== digest) continue;
      const manifest = await this.manifest(name, candidate).catch((err: unknown) => {
        if (err instanceof StoredManifestInvalid) return undefined;
        throw err;
      });
      if (!manifest) continue;
      if (this.remembered.size < MAX_REMEMBERED_MANIFESTS) this.remembered.set(candidate, manifest.facts);
      if (manifest.facts.subject === digest) found.push(manifest);
    }
    return found.sort((a, b) => byteOrder(a.digest, b.digest));
  }

  private async readManifest(digest: string): Promise<StoredManifest | undefined> {
    const file = await this.storage.open(this.paths.blobData(digest));
    if (!file) return undefined;
    try {
      const bytes = await file.readAll(MAX_MANIFEST_BYTES);
      if (!bytes) {
        throw new StoredManifestInvalid(
          `manifest ${digest} is ${file.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
        );
      }
      // A manifest is small and its digest is its name: a damaged one is never served as if it were right.
      if (digestOf(bytes, digest.startsWith('sha512:') ? 'sha512' : 'sha256') !== digest) {
        throw new StoredManifestInvalid(`the stored bytes of manifest ${digest} do not match its digest`);
      }
      return { digest, bytes, facts: manifestFacts(bytes) };
    } finally {
      await file.close();
    }
  }

  /** A link file's digest; undefined when absent, too big or not a digest (a damaged link names nothing). */
  private async readLink(path: string): Promise<string | undefined> {
    const file = await this.storage.open(path);
    if (!file) return undefined;
    try {
      const text = (await file.readAll(MAX_LINK_BYTES))?.toString('utf8').trim();
      return text !== undefined && isDigest(text) ? text : undefined;
    } finally {
      await file.close();
    }
  }
}

/** Go's sort.Strings order (bytes), which the registry's listings use; for ASCII names it is UTF-16 order too. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
