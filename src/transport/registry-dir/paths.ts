import { join } from 'node:path';
import { parseDigest } from '../../digest';

/**
 * Where things live in the CNCF distribution registry's storage (registry/storage/paths.go, pathMapper, with the
 * filesystem driver's rootdirectory = `root`). Digests are split `<algorithm>/<hex>` everywhere
 * (digestPathComponents); only the blob store adds the `<first two hex>` fan-out directory.
 */
export class RegistryDirPaths {
  /** paths.go defaultPathMapper: root "/docker/registry/", version "v2". */
  readonly v2: string;

  constructor(readonly root: string) {
    this.v2 = join(root, 'docker', 'registry', 'v2');
  }

  /** blobDataPathSpec: `<root>/v2/blobs/<algorithm>/<first two hex>/<hex>/data`. */
  blobData(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.v2, 'blobs', algorithm, encoded.slice(0, 2), encoded, 'data');
  }

  /** repositoriesRootPathSpec. */
  get repositories(): string {
    return join(this.v2, 'repositories');
  }

  repository(name: string): string {
    return join(this.repositories, ...name.split('/'));
  }

  /** layerLinkPathSpec: `<name>/_layers/<algorithm>/<hex>/link` — every non-manifest blob served in the repo. */
  layerLink(name: string, digest: string): string {
    return join(this.repository(name), '_layers', ...digestComponents(digest), 'link');
  }

  /** manifestRevisionLinkPathSpec: `<name>/_manifests/revisions/<algorithm>/<hex>/link`. */
  revisionLink(name: string, digest: string): string {
    return join(this.repository(name), '_manifests', 'revisions', ...digestComponents(digest), 'link');
  }

  /** manifestTagsPathSpec: `<name>/_manifests/tags/`. */
  tags(name: string): string {
    return join(this.repository(name), '_manifests', 'tags');
  }

  /** manifestTagCurrentPathSpec: `<name>/_manifests/tags/<tag>/current/link`. */
  tagCurrentLink(name: string, tag: string): string {
    return join(this.tags(name), tag, 'current', 'link');
  }

  /** manifestTagIndexEntryLinkPathSpec: `<name>/_manifests/tags/<tag>/index/<algorithm>/<hex>/link`. */
  tagIndexLink(name: string, tag: string, digest: string): string {
    return join(this.tags(name), tag, 'index', ...digestComponents(digest), 'link');
  }
}

function digestComponents(digest: string): string[] {
  const { algorithm, encoded } = parseDigest(digest);
  return [algorithm, encoded];
}
