import { KimgError } from '../errors';
import { parseReference } from '../reference';
import type { SyncSource } from './sync-file';
import type { TagPattern } from './tag-pattern';

export interface SourceArgumentOptions {
  /** `--tags REGEX`: only tags matching it (a repository or a whole registry). */
  tags?: TagPattern;
  /**
   * `--all-tags`: every tag of the repository, also when SRC names one image (`host/repo:tag`, `@digest`).
   * A repository or a registry is read whole already; the flag then only says so.
   */
  allTags?: boolean;
  /** `--exclude REGEX`: leave out `repository:tag` matching any. */
  exclude?: TagPattern[];
}

/**
 * `kimg sync SRC DST` without a file: SRC is an image (`host/repo:tag`, `host/repo@digest`), a repository
 * (`host/repo`: every tag, as skopeo sync's `--src docker`) or a whole registry (`host`: every repository of
 * its catalog). `docker://` may be written before it. The result is what a sync file would say.
 */
export function sourceFromArgument(text: string, options: SourceArgumentOptions = {}): SyncSource {
  if (options.allTags === true && options.tags) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      '--all-tags and --tags both say which tags to copy',
      'keep --tags REGEX for the matching tags only, or --all-tags for every tag',
    );
  }
  const bare = text.replace(/^docker:\/\//, '').replace(/\/+$/, '');
  const base: SyncSource = {
    registry: '',
    images: new Map(),
    tagPatterns: new Map(),
    semverRanges: new Map(),
    exclude: options.exclude ?? [],
  };
  if (!bare.includes('/') && (bare.includes('.') || bare.includes(':') || bare === 'localhost')) {
    return { ...base, registry: bare, everyRepository: options.tags ? { tags: options.tags } : {} };
  }
  const reference = parseReference(bare);
  // `--all-tags` makes a tag or digest in SRC name only its repository, so an image reference pasted as is
  // mirrors the whole repository (`docker pull -a` and `docker push -a` refuse the tag instead).
  const pin = options.allTags === true ? undefined : (reference.digest ?? reference.tag);
  if (pin !== undefined && options.tags) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `--tags filters the tags of a repository, but "${text}" names one image`,
      'drop the tag from the source, or drop --tags',
    );
  }
  if (pin !== undefined)
    return { ...base, registry: reference.domain, images: new Map([[reference.path, [pin]]]) };
  if (options.tags) {
    return { ...base, registry: reference.domain, tagPatterns: new Map([[reference.path, options.tags]]) };
  }
  // An empty list is every tag, as skopeo's `images: {repo: []}`.
  return { ...base, registry: reference.domain, images: new Map([[reference.path, []]]) };
}
