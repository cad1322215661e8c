import { KimgError } from '../../errors';
import { CONTAINERD_IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION, type Descriptor } from '../../manifest';
import { normalizeName } from '../../reference';
import { ArchiveDestination, type ArchiveDestinationOptions } from '../archive/archive-destination';
import { encodeLayoutIndex, OCI_INDEX_FILE } from '../archive/layout-files';
import type { NamedImage } from '../types';

/**
 * `oci-archive:FILE[:REF]` as a destination: an OCI image layout written as one tar, streamed (see
 * ArchiveDestination). Several images may be tagged; index.json lists them in tag order. FILE is replaced at
 * commit, as skopeo does.
 */
export class OciArchiveDestination extends ArchiveDestination {
  private readonly entries: Descriptor[] = [];

  static async create(file: string, options: ArchiveDestinationOptions = {}): Promise<OciArchiveDestination> {
    const destination = new OciArchiveDestination(file, `oci-archive:${file}`);
    await destination.start(options);
    return destination;
  }

  /**
   * Adds an index.json entry with ref.name = REF, as `skopeo copy … oci-archive:F:REF` does. When REF is a full
   * normalized name (what kimg passes), containerd's name annotation is added too, so `docker load` (25+) and
   * `ctr import` name the image.
   */
  async tag(desc: Descriptor, ref: string | undefined): Promise<void> {
    this.assertOpen();
    this.requirePushed(desc, 'manifest');
    if (ref !== undefined && ref === '')
      throw new KimgError('INVALID_ARGUMENT', `empty image name for ${this.description}`);
    const annotations: Record<string, string> = { ...(desc.annotations ?? {}) };
    delete annotations[REF_NAME_ANNOTATION];
    delete annotations[CONTAINERD_IMAGE_NAME_ANNOTATION];
    if (ref !== undefined) {
      annotations[REF_NAME_ANNOTATION] = ref;
      if (isNormalizedName(ref)) annotations[CONTAINERD_IMAGE_NAME_ANNOTATION] = ref;
    }
    const entry: Descriptor = { ...desc, annotations };
    if (Object.keys(annotations).length === 0) delete entry.annotations;
    const sameImage = (e: Descriptor) => e.digest === desc.digest;
    if (ref === undefined) {
      if (!this.entries.some(sameImage)) this.entries.push(entry); // untagged: only if not already listed
      return;
    }
    // One name points at one image: a re-tag replaces the older entry, and a named entry replaces an untagged one.
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const existing = this.entries[i] as Descriptor;
      const name = existing.annotations?.[REF_NAME_ANNOTATION];
      if (name === ref || (name === undefined && sameImage(existing))) this.entries.splice(i, 1);
    }
    this.entries.push(entry);
  }

  async list(): Promise<NamedImage[]> {
    return this.entries.map((descriptor) => {
      const name = descriptor.annotations?.[REF_NAME_ANNOTATION];
      return name === undefined ? { descriptor } : { name, descriptor };
    });
  }

  protected metadataFiles(): { name: string; data: Buffer }[] {
    return [{ name: OCI_INDEX_FILE, data: encodeLayoutIndex(this.entries) }];
  }
}

function isNormalizedName(ref: string): boolean {
  try {
    return normalizeName(ref) === ref;
  } catch {
    return false;
  }
}
