import { parseReference, repositoryName } from '../../reference';
import type { ImageEntry } from './image-entry';
import type { ListedImage } from './image-list';

interface IgnoreEntry {
  listed: ListedImage;
  file: string;
  /** Set when the entry names a registry repository without tag or digest: it matches all of them. */
  repository?: string;
  used: boolean;
}

/**
 * `--ignore-images` entries. An entry matches the image whose normalized spelling it has (`nginx` is
 * `docker.io/library/nginx:latest`), except that a registry entry written with neither tag nor digest
 * (`quay.io/org/app`) matches every tag and digest of that repository. Entries that match nothing are
 * reported: a typo there would silently embed what the user meant to leave out.
 */
export class IgnoreList {
  private readonly entries: IgnoreEntry[] = [];

  add(file: string, listed: readonly ListedImage[]): void {
    for (const item of listed) {
      const ignore: IgnoreEntry = { listed: item, file, used: false };
      const bare =
        item.entry.location === undefined ? item.entry.written.replace(/^docker:\/\//, '') : undefined;
      if (bare !== undefined) {
        const reference = parseReference(bare);
        if (reference.tag === undefined && reference.digest === undefined)
          ignore.repository = repositoryName(reference);
      }
      this.entries.push(ignore);
    }
  }

  matches(entry: ImageEntry): boolean {
    let matched = false;
    const repository =
      entry.location === undefined ? repositoryName(parseReference(entry.normalized)) : undefined;
    for (const ignore of this.entries) {
      const hit =
        ignore.repository !== undefined
          ? ignore.repository === repository
          : ignore.listed.entry.normalized === entry.normalized;
      if (hit) {
        ignore.used = true;
        matched = true;
      }
    }
    return matched;
  }

  unusedWarnings(): string[] {
    return this.entries
      .filter((ignore) => !ignore.used)
      .map(
        (ignore) =>
          `${ignore.file}:${ignore.listed.line}: ignore entry "${ignore.listed.entry.written}" matched no discovered image`,
      );
  }
}
