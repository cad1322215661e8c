import { normalizeName } from '../../reference';
import {
  OciLayout,
  type DeleteResult,
  type NamePolicy,
  type OciLayoutOptions,
  type PruneOptions,
  type PruneResult,
} from '../../store';
import { LayoutTarget } from '../oci-layout';

/**
 * The store's naming: names are stored fully normalized (`nginx` → `docker.io/library/nginx:latest`) in
 * org.opencontainers.image.ref.name, so `skopeo copy oci:$KIMG_ROOT:docker.io/library/nginx:latest …` and
 * `umoci unpack --image $KIMG_ROOT:docker.io/library/nginx:latest` address the same image kimg calls `nginx`.
 * Like docker, short hex IDs (≥ 4 digits of the manifest digest) and full digests select images too.
 */
export const STORE_NAME_POLICY: NamePolicy = {
  normalize: normalizeName,
  idPrefixes: true,
  listHint: '`kimg images` lists what is there',
};

/** The local store: a Target (copy source and destination) plus the store-only verbs of images/rmi/prune. */
export class LocalStore extends LayoutTarget {
  constructor(root: string, options: OciLayoutOptions = {}) {
    super(new OciLayout(root, STORE_NAME_POLICY, `the local store ${root}`, options));
  }

  get root(): string {
    return this.layout.root;
  }

  /** `kimg tag` without a copy: names the image `src` resolves to as `name`, committed at once. */
  async addName(src: string, name: string): Promise<void> {
    const desc = await this.resolve(src);
    await this.tag(desc, name);
    await this.commit();
  }

  untag(name: string): Promise<string> {
    return this.layout.untag(name);
  }

  deleteImage(ref: string): Promise<DeleteResult> {
    return this.layout.deleteImage(ref);
  }

  prune(options?: PruneOptions): Promise<PruneResult> {
    return this.layout.prune(options);
  }
}

export function openLocalStore(root: string, options?: OciLayoutOptions): LocalStore {
  return new LocalStore(root, options);
}
